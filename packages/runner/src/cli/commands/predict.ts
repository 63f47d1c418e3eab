/** `vgglab predict`: class probabilities for image files from a run's checkpoint. */
import * as path from 'node:path';
import { flag, int, list, printJson, str, type Command } from '../command.ts';
import { DEFAULT_TOP_K, EXIT } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: "Predict image files with a trained run's model and its own preprocessing: top classes with softmax probabilities.",
  usage: 'vgglab predict (--run <id> | --checkpoint <path>) <image>… [--top 5] [--json]',
  options: {
    run: { type: 'string', description: "Run id (or unique prefix): uses its best checkpoint, else its last.", valueName: 'id' },
    checkpoint: { type: 'string', description: 'A checkpoint folder (runs/<id>/checkpoints/best) or its model.json.', valueName: 'path' },
    top: { type: 'string', description: `Classes shown per image (default ${DEFAULT_TOP_K}).`, valueName: 'k' },
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  details: 'Examples:\n  vgglab predict --run 3f2a9c1e photo.jpg\n  vgglab predict --checkpoint runs/3f2a9c1e.../checkpoints/best *.png --top 3 --json',
  async run(values, positionals, io) {
    const [{ startEngine }, { commandRegistry, registerRunPlugins }, { loadRunModel, normaliseCheckpointPath, predictFiles, runCheckpoint }, { openExistingStore }] = await Promise.all([
      import('../../engine.ts'),
      import('../../plugins.ts'),
      import('../../inference/predict.ts'),
      import('../../store.ts'),
    ]);
    const runArg = str(values, 'run');
    const ckptArg = str(values, 'checkpoint');
    if (!runArg === !ckptArg) throw new UsageError('predict needs exactly one of --run <id> or --checkpoint <path>');
    if (positionals.length === 0) throw new UsageError('predict needs at least one image file');
    const topK = int(values, 'top', DEFAULT_TOP_K);
    const base = invocationDir(io.env);
    let checkpoint: string;
    let runId: string | undefined;
    const registry = await commandRegistry(list(values, 'plugin'), io.env, base);
    if (runArg) {
      const store = openExistingStore(str(values, 'db'), io.env);
      try {
        runId = store.resolveRunId(runArg);
        checkpoint = runCheckpoint(store, runId);
        await registerRunPlugins(registry, store.getRun(runId)!);
      } finally {
        store.close();
      }
    } else checkpoint = normaliseCheckpointPath(path.resolve(base, ckptArg!));
    await startEngine(undefined, (line) => io.stderr.write(line + '\n'));
    const model = await loadRunModel(checkpoint, registry);
    try {
      const files = positionals.map((p) => path.resolve(base, p));
      const predictions = await predictFiles(model, files, topK);
      if (flag(values, 'json')) {
        printJson(io, { runId: runId ?? model.state.runId, checkpoint, predictions: predictions.map((p, i) => ({ ...p, file: positionals[i] })) });
        return EXIT.ok;
      }
      predictions.forEach((p, i) => {
        io.stdout.write(`${positionals[i]}\n`);
        for (const t of p.top) io.stdout.write(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${t.className}\n`);
      });
      return EXIT.ok;
    } finally {
      model.dispose();
    }
  },
};
