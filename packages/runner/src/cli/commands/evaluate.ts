/** `vgglab evaluate`: accuracy, per-class precision/recall and the confusion matrix of a run, stored with it. */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { flag, int, list, printJson, str, table, type Command } from '../command.ts';
import { EXIT, SPEC_FILE_TAG } from '../../defaults.ts';
import { CliError, UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';
import type { EvaluationData } from '../../inference/evaluate.ts';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Evaluate a run's best checkpoint: accuracy, per-class precision and recall, confusion matrix; stored with the run.",
  usage: 'vgglab evaluate --run <id> [--data <root>] [--json]',
  options: {
    run: { type: 'string', description: 'Run id (or unique prefix).', valueName: 'id' },
    data: { type: 'string', description: "A class-per-folder image root to evaluate on (default: the run's validation split).", valueName: 'root' },
    'batch-size': { type: 'string', description: "Images per batch (default: the run's).", valueName: 'n' },
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    server: { type: 'string', description: 'Evaluate a run of this tracking server (VGGLAB_TRACKING_URI): its checkpoint is downloaded, the result stored there.', valueName: 'url' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  details: [
    'Counts readable images only, each once: an unreadable file (not an image, truncated…) is left out, warned',
    'about once with its reason, and listed under `skipped` with --json.',
    '',
    'Examples:',
    '  vgglab evaluate --run 3f2a9c1e',
    '  vgglab evaluate --run 3f2a9c1e --data data/holdout --json',
  ].join('\n'),
  async run(values, positionals, io) {
    const [{ startEngine }, { evaluateModel }, { commandRegistry, registerRunPlugins }, { loadRunModel, runCheckpoint }, { openDataset }, { openExistingStore }] = await Promise.all([
      import('../../engine.ts'),
      import('../../inference/evaluate.ts'),
      import('../../plugins.ts'),
      import('../../inference/predict.ts'),
      import('../../loop/setup.ts'),
      import('../../store.ts'),
    ]);
    const runArg = str(values, 'run');
    if (!runArg) throw new UsageError('evaluate needs --run <id>');
    if (positionals.length) throw new UsageError(`evaluate takes no positional arguments, received '${positionals[0]}' (use --data <root>)`);
    const base = invocationDir(io.env);
    const registry = await commandRegistry(list(values, 'plugin'), io.env, base);
    const { remoteRun } = await import('./predict.ts');
    const remote = await remoteRun(runArg, str(values, 'server'), io.env);
    const store = remote ? null : openExistingStore(str(values, 'db'), io.env);
    try {
      const runId = remote ? remote.runId : store!.resolveRunId(runArg);
      const runRow = remote ? remote.run : store!.getRun(runId)!;
      const checkpoint = remote ? remote.checkpoint : runCheckpoint(store!, runId);
      await registerRunPlugins(registry, runRow);
      await startEngine(undefined, (line) => io.stderr.write(line + '\n'));
      const model = await loadRunModel(checkpoint, registry);
      try {
        const dataArg = str(values, 'data');
        const specFile = runRow.tags[SPEC_FILE_TAG];
        const specDir = specFile ? path.dirname(specFile) : base;
        let spec = model.spec;
        let dataset = 'val';
        let data: EvaluationData = { split: 'val' };
        if (dataArg) {
          const root = path.resolve(base, dataArg);
          if (!fs.existsSync(root)) throw new CliError(`no data folder at ${root}`);
          // Every image under root is evaluated: it is both the train and the val root of an image folder.
          spec = { ...spec, data: { ...spec.data, name: 'imageFolder', options: { trainRoot: root, valRoot: root } } };
          dataset = root;
          data = { folder: root };
        }
        const source = await openDataset(registry, spec, specDir, (m) => io.stderr.write(`warning: ${m}\n`));
        try {
          const batchSize = int(values, 'batch-size', spec.data.batchSize ?? 32);
          const result = await evaluateModel(model, source, data, { batchSize, dataset });
          const { samples: _s, loss: _l, skipped, ...evaluation } = result;
          const record = { ...evaluation, extra: { ...evaluation.extra, skipped } };
          await (remote ? remote.client.logEvaluation(runId, record) : store!.logEvaluation(runId, record));
          if (flag(values, 'json')) {
            printJson(io, { runId, ...result });
            return EXIT.ok;
          }
          const what = 'folder' in data ? `folder ${data.folder}` : `its ${data.split} split`;
          const left = result.skipped.length ? `, ${result.skipped.length} unreadable file${result.skipped.length === 1 ? '' : 's'} left out (listed in the warnings)` : '';
          io.stdout.write(`run ${runId} on ${what} (${result.samples} images${left}, checkpoint ${checkpoint})\n`);
          io.stdout.write(`accuracy ${result.accuracy.toFixed(4)}   loss ${result.loss.toFixed(4)}\n\n`);
          io.stdout.write(
            table([
              ['CLASS', 'PRECISION', 'RECALL', 'SUPPORT'],
              ...result.perClass.map((c) => [c.className, c.precision.toFixed(4), c.recall.toFixed(4), String(c.support)]),
            ]),
          );
          io.stdout.write('\nconfusion matrix (rows: true class, columns: predicted):\n');
          io.stdout.write(table([['', ...result.classNames], ...result.confusionMatrix.map((row, i) => [result.classNames[i]!, ...row.map(String)])]));
          return EXIT.ok;
        } finally {
          await source.close?.();
        }
      } finally {
        model.dispose();
      }
    } finally {
      store?.close();
      await remote?.client.close();
    }
  },
};
