/** Starting the server on an address (127.0.0.1 unless another is asked for). */
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_DEFAULTS } from '../defaults.ts';
import { createServer } from './create.ts';
import { isLoopbackAddress } from './hosts.ts';
import type { StartOptions } from './options.ts';

/** Starts the dashboard and resolves once it listens. */
export async function startServer(options: StartOptions): Promise<{ app: FastifyInstance; url: string }> {
  const host = options.host ?? DASHBOARD_DEFAULTS.host;
  const app = await createServer({
    dbFile: options.dbFile,
    predict: options.predict,
    runsDir: options.runsDir,
    logger: options.logger,
    loopbackOnly: isLoopbackAddress(host.toLowerCase()),
  });
  await app.listen({ host, port: options.port ?? DASHBOARD_DEFAULTS.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { app, url: `http://${shownHost}:${port}/` };
}
