/** `vgglab serve`: the dashboard over the run store, with predict provided by the runner's model code. */
import * as fs from 'node:fs';
import type { PredictFn } from '@vgglab/dashboard';
import { flag, int, list, str, type Command } from '../command.ts';
import { EXIT } from '../../defaults.ts';
import { CliError } from '../../errors.ts';
import { invocationDir, resolveDbFile } from '../../paths.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the dashboard: compare runs live, and predict with any run from the browser.',
  usage: 'vgglab serve [--db file] [--port n] [--host addr]',
  options: {
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    port: { type: 'string', description: "Port (default: the dashboard's, 6006; 0 picks a free one).", valueName: 'n' },
    host: { type: 'string', description: "Address to listen on (default: the dashboard's, 127.0.0.1).", valueName: 'addr' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    'no-predict': { type: 'boolean', description: 'Do not load model code (predict answers 501).' },
  },
  async run(values, _positionals, io) {
    // The dashboard and model code load only when serving: other commands start faster without them.
    const { DASHBOARD_DEFAULTS, startServer } = await import('@vgglab/dashboard');
    const dbFile = resolveDbFile({ flag: str(values, 'db') }, io.env);
    if (!fs.existsSync(dbFile)) throw new CliError(`no run store at ${dbFile}; run an experiment first (\`vgglab exp <file>\`) or pass --db <file>`);
    // The dashboard opens the store read-only; opening it once for writing migrates an older schema first.
    const { openStoreForWriting } = await import('../../store.ts');
    openStoreForWriting(dbFile).close();
    let predict: PredictFn | undefined;
    if (!flag(values, 'no-predict')) {
      const [{ commandRegistry }, { startEngine }, { createPredictFn }] = await Promise.all([
        import('../../plugins.ts'),
        import('../../engine.ts'),
        import('../../inference/predict-server.ts'),
      ]);
      const registry = await commandRegistry(list(values, 'plugin'), io.env, invocationDir(io.env));
      await startEngine(undefined, (line) => io.stderr.write(line + '\n'));
      predict = createPredictFn(dbFile, registry);
    }
    const { app, url } = await startServer({
      dbFile,
      port: int(values, 'port', DASHBOARD_DEFAULTS.port, 0),
      host: str(values, 'host') ?? DASHBOARD_DEFAULTS.host,
      predict,
      logger: false,
    });
    io.stdout.write(`vgglab dashboard on ${url} (store ${dbFile}); Ctrl-C to stop\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void app.close().then(() => resolve());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return EXIT.ok;
  },
};
