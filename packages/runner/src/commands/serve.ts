/** `vgglab serve`: the dashboard over the run store, with predict provided by the runner's model code. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DASHBOARD_DEFAULTS, startServer, type PredictFn } from '@vgglab/dashboard';
import type { Registry } from '@vgglab/core';
import { flag, int, list, str, type Command } from '../command.ts';
import { EXIT } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { startEngine } from '../engine.ts';
import { invocationDir, resolveDbFile } from '../paths.ts';
import { commandRegistry } from '../plugins.ts';
import { loadRunModel, predictFiles, runCheckpoint, type RunModel } from '../predict.ts';
import { openStore } from '@vgglab/store';

/** Keeps the last few runs' models loaded so repeated predictions do not rebuild them. */
const MODEL_CACHE_SIZE = 3;

/** A predict function for the dashboard: run id + image bytes -> class probabilities, all classes. */
export function createPredictFn(dbFile: string, registry: Registry): PredictFn {
  const cache = new Map<string, Promise<RunModel>>();
  const modelFor = (runId: string): Promise<RunModel> => {
    let found = cache.get(runId);
    if (!found) {
      const store = openStore(dbFile, { readonly: true });
      let checkpoint: string;
      try {
        checkpoint = runCheckpoint(store, store.resolveRunId(runId));
      } catch (err) {
        throw Object.assign(err as Error, { statusCode: 404 });
      } finally {
        store.close();
      }
      found = loadRunModel(checkpoint, registry);
      found.catch(() => cache.delete(runId));
      cache.set(runId, found);
      while (cache.size > MODEL_CACHE_SIZE) {
        const [oldest, model] = cache.entries().next().value!;
        cache.delete(oldest);
        void model.then((m) => m.dispose(), () => undefined);
      }
    }
    return found;
  };
  return async (runId, imageBytes) => {
    const model = await modelFor(runId);
    // The data package decodes from files (sharp, EXIF orientation): hand it a temporary one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-predict-'));
    const file = path.join(dir, 'image');
    try {
      fs.writeFileSync(file, imageBytes);
      let predictions;
      try {
        predictions = await predictFiles(model, [file], model.classNames.length);
      } catch (err) {
        throw Object.assign(new Error((err as Error).message.replace(file, 'the uploaded image')), { statusCode: 400 });
      }
      return predictions[0]!.top.map((t) => ({ label: t.className, probability: t.probability }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the dashboard: compare runs live, and predict with any run from the browser.',
  usage: 'vgglab serve [--db file] [--port n] [--host addr]',
  options: {
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    port: { type: 'string', description: `Port (default ${DASHBOARD_DEFAULTS.port}; 0 picks a free one).`, valueName: 'n' },
    host: { type: 'string', description: `Address to listen on (default ${DASHBOARD_DEFAULTS.host}).`, valueName: 'addr' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    'no-predict': { type: 'boolean', description: 'Do not load model code (predict answers 501).' },
  },
  async run(values, _positionals, io) {
    const dbFile = resolveDbFile({ flag: str(values, 'db') }, io.env);
    if (!fs.existsSync(dbFile)) throw new CliError(`no run store at ${dbFile}; run an experiment first (\`vgglab exp <file>\`) or pass --db <file>`);
    let predict: PredictFn | undefined;
    if (!flag(values, 'no-predict')) {
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
