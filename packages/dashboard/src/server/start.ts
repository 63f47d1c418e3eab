/**
 * Starting the server on an address. On loopback (the default) it answers this machine only, without a token, as
 * always. Beyond loopback (`--host 0.0.0.0`, a LAN address, a host name) it needs a token and checks it on every
 * request; without one it refuses to start. The banner names the addresses it really listens on.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { TOKEN_SOURCES, tokenProblem } from '../auth/index.ts';
import { DASHBOARD_DEFAULTS } from '../defaults.ts';
import { createServer } from './create.ts';
import { httpUrl, isLoopbackAddress, reachableAddresses } from './hosts.ts';
import type { StartOptions } from './options.ts';

export interface StartedServer {
  app: FastifyInstance;
  /** The first address it can be reached at (an external one first when it listens on every interface). */
  url: string;
  /** Every address it can be reached at. */
  urls: string[];
  /** Whether every request needs the token (it listens beyond loopback). */
  tokenRequired: boolean;
}

/** Throws the one-line reason when the server may not start on `host` with this token (empty counts as none). The
 * tracking server needs one wherever it listens: its write routes always check it. */
export function checkListenAccess(host: string, token: string | undefined, options: { tracking?: boolean } = {}): void {
  if (token) {
    const problem = tokenProblem(token);
    if (problem) throw new Error(`${TOKEN_SOURCES}: ${problem}`);
    return;
  }
  if (options.tracking) {
    throw new Error(
      `the tracking server needs a token: its write API takes runs from other machines; set ${TOKEN_SOURCES} ` +
        '(e.g. `openssl rand -hex 24`) and give the same to the workers',
    );
  }
  if (!isLoopbackAddress(host)) {
    throw new Error(
      `refusing to serve ${host} without a token: anyone who reaches it could read every run and download checkpoints; ` +
        `set ${TOKEN_SOURCES} (e.g. \`openssl rand -hex 24\`), or leave --host out to serve this machine only`,
    );
  }
}

/** Starts the dashboard and resolves once it listens. */
export async function startServer(options: StartOptions): Promise<StartedServer> {
  const host = options.host ?? DASHBOARD_DEFAULTS.host;
  const token = options.token || undefined;
  checkListenAccess(host, token, { tracking: options.tracking !== undefined });
  const loopback = isLoopbackAddress(host);
  const app = await createServer({
    dbFile: options.dbFile,
    predict: options.predict,
    runsDir: options.runsDir,
    logger: options.logger,
    loopbackOnly: loopback,
    token,
    tokenEveryRoute: !loopback,
    tracking: options.tracking,
    queue: options.queue,
  });
  try {
    await app.listen({ host, port: options.port ?? DASHBOARD_DEFAULTS.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { address, port } = app.server.address() as AddressInfo;
  const reachable = reachableAddresses(address);
  const urls = (reachable.length > 0 ? reachable : [address]).map((a) => httpUrl(a, port));
  return { app, url: urls[0], urls, tokenRequired: !loopback };
}

/**
 * What a command prints once it listens: the address (with `?token=` when the token is needed, the one time the
 * token is shown; opening it sets the browser's cookie), the other addresses, and the store.
 */
export function startBanner(
  started: Pick<StartedServer, 'urls' | 'tokenRequired'>,
  details: { dbFile: string; token?: string; tracking?: boolean },
): string {
  const [first, ...others] = started.urls;
  const withToken = started.tokenRequired && details.token ? `${first}?token=${encodeURIComponent(details.token)}` : first;
  const lines = [`vgglab dashboard on ${withToken}  (runs: ${details.dbFile})`];
  if (details.tracking) lines.push(`  tracking server: runs on other machines log with VGGLAB_TRACKING_URI=${first.replace(/\/$/, '')} and the token`);
  if (others.length > 0) lines.push(`  also on ${others.join(', ')}`);
  if (started.tokenRequired) {
    lines.push('  every request needs the token: open the URL above once (it sets a cookie), or send `Authorization: Bearer <token>`');
  }
  return `${lines.join('\n')}\n`;
}
