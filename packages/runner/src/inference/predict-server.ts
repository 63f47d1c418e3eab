/** The predict function `vgglab serve` gives the dashboard: a run's model on uploaded image bytes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Registry } from '@vgglab/core';
import type { PredictFn } from '@vgglab/dashboard';
import { openRunReader, type RunDetails } from '@vgglab/store';
import { registerRunPlugins } from '../plugins.ts';
import { loadRunModel, predictFiles, runCheckpoint, type RunModel } from './predict.ts';

/** Keeps the last few runs' models loaded so repeated predictions do not rebuild them. */
const MODEL_CACHE_SIZE = 3;

/** A predict function for the dashboard: run id + image bytes -> class probabilities, all classes. */
export function createPredictFn(dbFile: string, registry: Registry): PredictFn {
  const cache = new Map<string, Promise<RunModel>>();
  const modelFor = (runId: string): Promise<RunModel> => {
    let found = cache.get(runId);
    if (!found) {
      const store = openRunReader(dbFile);
      let checkpoint: string;
      let run: RunDetails;
      try {
        const id = store.resolveRunId(runId);
        checkpoint = runCheckpoint(store, id, path.dirname(dbFile));
        run = store.getRun(id)!;
      } catch (err) {
        throw Object.assign(err as Error, { statusCode: 404 });
      } finally {
        store.close();
      }
      found = registerRunPlugins(registry, run).then(() => loadRunModel(checkpoint, registry));
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
        // The message names the temporary file (in predict's words and again in the decoder's): the client sent
        // bytes, not a path, and must not learn the server's folders.
        const reason = (err as Error).message.replaceAll(`${file}: `, '').replaceAll(file, 'the uploaded image');
        throw Object.assign(new Error(reason.replace(/^cannot read image /, 'cannot read the uploaded image: ')), { statusCode: 400 });
      }
      return predictions[0]!.top.map((t) => ({ label: t.className, probability: t.probability }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

