/** `vgglab serve`: the dashboard over the run store, with predict provided by the runner's model code. */
import * as fs from 'node:fs';
import type { PredictFn } from '@vgglab/dashboard';
import { flag, int, list, str, type Command, type CommandIO, type ParsedValues } from '../command.ts';
import { EXIT } from '../../defaults.ts';
import { CliError } from '../../errors.ts';
import { invocationDir, resolveDbFile } from '../../paths.ts';

/** The dashboard's predict function over the runner's model code (`--plugin`), unless `--no-predict`. */
export async function predictFor(values: ParsedValues, io: CommandIO, dbFile: string): Promise<PredictFn | undefined> {
  if (flag(values, 'no-predict')) return undefined;
  const [{ commandRegistry }, { startEngine }, { createPredictFn }] = await Promise.all([
    import('../../plugins.ts'),
    import('../../engine.ts'),
    import('../../inference/predict-server.ts'),
  ]);
  const registry = await commandRegistry(list(values, 'plugin'), io.env, invocationDir(io.env));
  await startEngine(undefined, (line) => io.stderr.write(line + '\n'));
  return createPredictFn(dbFile, registry);
}

/** Resolves once SIGINT or SIGTERM came and `close` finished. */
export function untilStopped(close: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void close().then(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the dashboard: compare runs live, and predict with any run from the browser.',
  usage: 'vgglab serve [--db file] [--port n] [--host addr] [--token secret]',
  options: {
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    port: { type: 'string', description: "Port (default: the dashboard's, 6006; 0 picks a free one).", valueName: 'n' },
    host: { type: 'string', description: "Address to listen on (default: the dashboard's, 127.0.0.1); any other needs a token.", valueName: 'addr' },
    token: { type: 'string', description: 'Access token, checked on every request beyond 127.0.0.1 (VGGLAB_TOKEN; see SECURITY.md).', valueName: 'secret' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    'no-predict': { type: 'boolean', description: 'Do not load model code (predict answers 501).' },
  },
  async run(values, _positionals, io) {
    // The dashboard and model code load only when serving: other commands start faster without them.
    const { DASHBOARD_DEFAULTS, checkListenAccess, startBanner, startServer } = await import('@vgglab/dashboard');
    const host = str(values, 'host') ?? DASHBOARD_DEFAULTS.host;
    const token = str(values, 'token') ?? io.env.VGGLAB_TOKEN;
    // Before any model code loads: beyond loopback only with a token.
    checkListenAccess(host, token);
    const dbFile = resolveDbFile({ flag: str(values, 'db') }, io.env);
    if (!fs.existsSync(dbFile)) throw new CliError(`no run store at ${dbFile}; run an experiment first (\`vgglab exp <file>\`) or pass --db <file>`);
    const predict = await predictFor(values, io, dbFile);
    const started = await startServer({ dbFile, port: int(values, 'port', DASHBOARD_DEFAULTS.port, 0), host, token, predict, logger: false });
    const { app } = started;
    io.stdout.write(`${startBanner(started, { dbFile, token })}Ctrl-C to stop\n`);
    await untilStopped(() => app.close());
    return EXIT.ok;
  },
};
