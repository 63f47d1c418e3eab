/**
 * `npx nx run dashboard:serve [-- --db <file>] [--port <n>] [--host <addr>] [--token <secret>]`: the dashboard
 * without model code (predict answers 501; `vgglab serve` adds it). The db is --db, else VGGLAB_DB, else
 * runs/vgglab.db, from where the command was started (the store's resolveDbFile). A --host beyond loopback needs a
 * token (--token, else VGGLAB_TOKEN); see SECURITY.md.
 */
import { parseArgs } from 'node:util';
import { DB_ENV_VAR, DEFAULT_DB_FILE, resolveDbFile } from '@vgglab/store';
import { DASHBOARD_DEFAULTS } from './defaults.ts';
import { startBanner, startServer } from './server/start.ts';

const HELP = `usage: dashboard:serve [--db <file>] [--port <n>] [--host <addr>] [--token <secret>]

  --db <file>       run store (default: $${DB_ENV_VAR}, else ${DEFAULT_DB_FILE})
  --port <n>        port (default ${DASHBOARD_DEFAULTS.port}; 0 picks a free one)
  --host <addr>     address to listen on (default ${DASHBOARD_DEFAULTS.host}: this machine only); any other
                    address needs a token
  --token <secret>  access token (default: $VGGLAB_TOKEN), at least 16 characters; checked on every request
                    when --host is beyond this machine
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  // The store's rule, as every vgglab command reads it (relative to where the command was started).
  const dbFile = resolveDbFile({ flag: values.db });
  let port: number = DASHBOARD_DEFAULTS.port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`--port must be an integer from 0 to 65535, received '${values.port}'`);
    }
  }
  const token = values.token ?? process.env.VGGLAB_TOKEN;
  const started = await startServer({ dbFile, port, host: values.host, token, logger: false });
  process.stdout.write(startBanner(started, { dbFile, token }));
  const stop = () => {
    void started.app.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
