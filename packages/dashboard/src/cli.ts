/**
 * `npx nx run dashboard:serve [-- --db <file>] [--port <n>] [--host <addr>]`: the dashboard without model code
 * (predict answers 501; `vgglab serve` adds it). The db is --db, else VGGLAB_DB, else runs/vgglab.db, resolved
 * against the directory the command was started from.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DASHBOARD_DEFAULTS } from './defaults.ts';
import { startServer } from './server/start.ts';

const HELP = `usage: dashboard:serve [--db <file>] [--port <n>] [--host <addr>]

  --db <file>     run store (default: $VGGLAB_DB, else ${DASHBOARD_DEFAULTS.dbFile})
  --port <n>      port (default ${DASHBOARD_DEFAULTS.port}; 0 picks a free one)
  --host <addr>   address to listen on (default ${DASHBOARD_DEFAULTS.host}: this machine only)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const base = process.env.INIT_CWD || process.env.NX_WORKSPACE_ROOT || process.cwd();
  const dbFile = resolve(base, values.db ?? process.env.VGGLAB_DB ?? DASHBOARD_DEFAULTS.dbFile);
  let port: number = DASHBOARD_DEFAULTS.port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`--port must be an integer from 0 to 65535, received '${values.port}'`);
    }
  }
  const { app, url } = await startServer({ dbFile, port, host: values.host, logger: false });
  process.stdout.write(`vgglab dashboard on ${url}  (runs: ${dbFile})\n`);
  const stop = () => {
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
