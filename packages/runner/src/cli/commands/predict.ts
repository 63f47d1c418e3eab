/** `vgglab predict`: class probabilities for image files from a run's checkpoint. */
import * as path from 'node:path';
import { flag, int, list, printJson, str, type Command, type CommandIO } from '../command.ts';
import { DEFAULT_TOP_K, EXIT } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';
import type { UnreadableImage } from '../../inference/predict.ts';

/**
 * One stderr line per file that could not be read, then the exit code: 0 when every file was predicted,
 * 3 (partly done) when some were, 1 when none was.
 */
function reportUnreadable(unreadable: UnreadableImage[], predicted: number, io: CommandIO): number {
  for (const u of unreadable) io.stderr.write(`vgglab: cannot read image ${u.file}: ${u.reason}\n`);
  if (unreadable.length === 0) return EXIT.ok;
  const total = unreadable.length + predicted;
  io.stderr.write(`vgglab: ${unreadable.length} of ${total} image${total === 1 ? '' : 's'} could not be read${predicted > 0 ? `; predicted the other ${predicted}` : ''}\n`);
  return predicted > 0 ? EXIT.partial : EXIT.error;
}

/**
 * With a tracking server (`--server`, VGGLAB_TRACKING_URI): the run as the server has it, and its checkpoint
 * downloaded into this machine's runs folder; undefined for the local store.
 */
export async function remoteRun(runArg: string, serverFlag: string | undefined, env: NodeJS.ProcessEnv) {
  const { openRunTarget, trackingUri } = await import('../../tracking/target.ts');
  if (!trackingUri(serverFlag, env)) return undefined;
  const { fetchRunCheckpoint } = await import('../../tracking/remote-runs.ts');
  const target = openRunTarget({ server: serverFlag, env });
  const client = target.remote!;
  try {
    const runId = await client.resolveRunId(runArg);
    const run = (await client.getRun(runId))!;
    return { runId, run, checkpoint: await fetchRunCheckpoint(client, runId, target.runsDir), client };
  } catch (error) {
    await target.close();
    throw error;
  }
}

export const predictCommand: Command = {
  name: 'predict',
  summary: "Predict image files with a trained run's model and its own preprocessing: top classes with softmax probabilities.",
  usage: 'vgglab predict (--run <id> | --checkpoint <path>) <image>… [--top 5] [--json]',
  options: {
    run: { type: 'string', description: "Run id (or unique prefix): uses its best checkpoint, else its last.", valueName: 'id' },
    checkpoint: { type: 'string', description: 'A checkpoint folder (runs/<id>/checkpoints/best) or its model.json.', valueName: 'path' },
    top: { type: 'string', description: `Classes shown per image (default ${DEFAULT_TOP_K}).`, valueName: 'k' },
    db: { type: 'string', description: 'Run store file (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    server: { type: 'string', description: 'Read the run from this tracking server (VGGLAB_TRACKING_URI); its checkpoint is downloaded.', valueName: 'url' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    json: { type: 'boolean', description: 'Print JSON.' },
  },
  details: [
    'An image that cannot be read (missing, not an image, truncated) is reported on stderr with its reason and',
    'the others are still predicted. Exit code: 0 all predicted, 3 some could not be read, 1 none could.',
    '',
    'Examples:',
    '  vgglab predict --run 3f2a9c1e photo.jpg',
    '  vgglab predict --checkpoint runs/3f2a9c1e.../checkpoints/best *.png --top 3 --json',
  ].join('\n'),
  async run(values, positionals, io) {
    const [{ startEngine }, { commandRegistry, registerRunPlugins }, { loadRunModel, normaliseCheckpointPath, predictEachFile, runCheckpoint }, { openExistingReader }] = await Promise.all([
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
    const remote = runArg ? await remoteRun(runArg, str(values, 'server'), io.env) : undefined;
    if (remote) {
      runId = remote.runId;
      checkpoint = remote.checkpoint;
      await remote.client.close();
      await registerRunPlugins(registry, remote.run);
    } else if (runArg) {
      const store = openExistingReader(str(values, 'db'), io.env);
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
      // Results name each file as it was typed.
      const typed = new Map(files.map((f, i) => [f, positionals[i]!]));
      const { predictions, unreadable } = await predictEachFile(model, files, topK);
      const shown = <T extends { file: string }>(x: T): T => ({ ...x, file: typed.get(x.file) ?? x.file });
      if (flag(values, 'json')) {
        printJson(io, { runId: runId ?? model.state.runId, checkpoint, predictions: predictions.map(shown), unreadable: unreadable.map(shown) });
      } else {
        for (const p of predictions.map(shown)) {
          io.stdout.write(`${p.file}\n`);
          for (const t of p.top) io.stdout.write(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${t.className}\n`);
        }
      }
      return reportUnreadable(unreadable.map(shown), predictions.length, io);
    } finally {
      model.dispose();
    }
  },
};
