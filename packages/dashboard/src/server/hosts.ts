/**
 * Which addresses are this machine, and the Host check of a loopback server. A server listening on loopback only
 * answers requests whose Host header names this machine: a web page that rebinds its own domain name to 127.0.0.1
 * (DNS rebinding) is refused.
 */
import type { onRequestAsyncHookHandler } from 'fastify';

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

/** onRequest hook of a loopback server: 403 for a Host header that does not name this machine. */
export const loopbackHostCheck: onRequestAsyncHookHandler = async (request, reply) => {
  if (isLoopbackAddress(hostName(request.headers.host))) return;
  return reply.code(403).send({
    statusCode: 403,
    error: 'Forbidden',
    message: `the dashboard listens on this machine only; Host '${request.headers.host ?? ''}' is refused (start it with --host to serve other addresses)`,
  });
};
