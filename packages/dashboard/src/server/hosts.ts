/**
 * Which addresses are this machine, and the Host check of a loopback server. A server listening on loopback only
 * answers requests whose Host header names this machine: a web page that rebinds its own domain name to 127.0.0.1
 * (DNS rebinding) is refused. A server listening beyond loopback cannot know every name it is reached by; there
 * every request needs the token instead (src/auth), which a rebinding page does not have, and its cookie belongs
 * to the real host name, so the page's requests carry nothing.
 */
import { networkInterfaces } from 'node:os';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a Host header (`127.0.0.1:6006` -> `127.0.0.1`, `[::1]:80` -> `[::1]`). */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0];
}

/** True for names and addresses of this machine's loopback interface (`localhost`, 127.x.x.x, ::1). */
export function isLoopbackAddress(host: string): boolean {
  const address = host.toLowerCase().replace(/^::ffff:/, '');
  return LOOPBACK_HOSTS.has(address) || /^127\.\d+\.\d+\.\d+$/.test(address);
}

/** True when the request comes from this machine (its socket's peer, not a header a client could write). */
export function isLoopbackClient(request: FastifyRequest): boolean {
  return isLoopbackAddress(request.socket.remoteAddress ?? '');
}

/** onRequest hook of a loopback server: 403 for a Host header that does not name this machine. */
export const loopbackHostCheck: onRequestAsyncHookHandler = async (request, reply) => {
  if (isLoopbackAddress(hostName(request.headers.host))) return;
  return reply.code(403).send({
    statusCode: 403,
    error: 'Forbidden',
    message: `the dashboard listens on this machine only; Host '${request.headers.host ?? ''}' is refused (start it with --host to serve other addresses)`,
  });
};

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** `http://host:port/` with an IPv6 address in brackets. */
export function httpUrl(address: string, port: number): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `http://${host}:${port}/`;
}

/**
 * The addresses a server listening on `bound` can be reached at: the address itself, or for a wildcard (0.0.0.0,
 * ::) every address of this machine's interfaces (IPv4 first; IPv6 too for ::), external ones before loopback.
 */
export function reachableAddresses(bound: string, interfaces = networkInterfaces()): string[] {
  if (!WILDCARDS.has(bound)) return [bound];
  const withIpv6 = bound !== '0.0.0.0';
  const all = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => info.family === 'IPv4' || (withIpv6 && info.family === 'IPv6' && !info.address.startsWith('fe80:')));
  const rank = (info: (typeof all)[number]) => (info.internal ? 2 : 0) + (info.family === 'IPv6' ? 1 : 0);
  return [...new Set(all.sort((a, b) => rank(a) - rank(b)).map((info) => info.address))];
}
