/** `vgglab exp <file>`: run an experiment (or a sweep), logging to the run store. */
import * as path from 'node:path';
import { flag, int, list, printJson, str, type Command, type ParsedValues } from '../command.ts';
import { DEFAULT_WORKERS, EXIT, PARENT_COMMAND_ENV } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';
import type { StopFlag } from '../../loop/train.ts';

/** The path as the user should see it in messages: relative to the cwd when inside it. */
function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/**
 * Ctrl-C: the first finishes the current step, writes a checkpoint and marks the run killed; a second one
 * quits at once (the run then stays 'running' until resumed or `vgglab runs gc`).
 */
function onInterrupt(stop: StopFlag, write: (t: string) => void): () => void {
  const handler = () => {
    if (stop.requested) {
      write('\ninterrupted again: quitting now\n');
      process.exit(EXIT.interrupted);
    }
    stop.requested = true;
    write('\ninterrupt: finishing this step and writing a checkpoint (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * The command line as the user gave it, as words (`vgglab exp experiments/q.yaml -o optimizer.lr=0.02`), stored with
 * each new run so it can be started again: the spec file and options as typed, in a fixed order.
 */
export function commandWords(values: ParsedValues, positionals: string[]): string[] {
  const words = ['vgglab', 'exp', ...positionals];
  for (const o of list(values, 'override')) words.push('-o', o);
  for (const name of ['db', 'workers'] as const) {
    const value = str(values, name);
    if (value !== undefined) words.push(`--${name}`, value);
  }
  for (const p of list(values, 'plugin')) words.push('--plugin', p);
  return words;
}

/** A sweep child's: the command its parent was given (PARENT_COMMAND_ENV), when it can be read. */
function parentCommand(env: NodeJS.ProcessEnv): string[] | undefined {
  try {
    const words = JSON.parse(env[PARENT_COMMAND_ENV] ?? '') as unknown;
    return Array.isArray(words) && words.every((w) => typeof w === 'string') ? (words as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export const expCommand: Command = {
  name: 'exp',
  summary: 'Run an experiment spec (YAML): train, validate, checkpoint, log to the run store. A `sweep:` block runs a grid.',
  usage: 'vgglab exp <file> [-o key=value …] [--db file] [--resume run-id] [--workers N]',
  options: {
    override: { type: 'string', short: 'o', multiple: true, description: 'Set a spec field before validation, e.g. -o optimizer.lr=0.001.', valueName: 'key=value' },
    db: { type: 'string', description: 'Run store file (default: the spec\'s store.db, else runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    resume: { type: 'string', description: 'Continue an interrupted run from its last checkpoint (id or unique prefix).', valueName: 'run-id' },
    workers: { type: 'string', description: `Sweep points run at once, each in a child process (default ${DEFAULT_WORKERS}).`, valueName: 'N' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS=a,b).', valueName: 'module' },
    'sweep-point': { type: 'string', description: 'Run only this point of the sweep (0-based; what --workers children are given).', valueName: 'i' },
    json: { type: 'boolean', description: 'Print the outcome as JSON at the end.' },
  },
  details: [
    'Examples:',
    '  vgglab exp experiments/quickstart.yaml',
    '  vgglab exp experiments/quickstart.yaml -o train.epochs=2 -o optimizer.lr=3e-4',
    '  vgglab exp experiments/compare-vgg-optimizers.yaml --workers 2',
    '  vgglab exp --resume 3f2a9c1e',
    '',
    'Ctrl-C finishes the current step, writes a checkpoint and marks the run killed; continue it with --resume.',
    'Exit codes: 0 done, 1 failed, 2 bad usage or spec, 130 interrupted.',
  ].join('\n'),
  async run(values, positionals, io) {
    // Loaded here, not at start-up: `vgglab --help` and other commands stay fast.
    const [{ runExp }, { commandRegistry }] = await Promise.all([import('../../sweep/experiment.ts'), import('../../plugins.ts')]);
    if (positionals.length > 1) throw new UsageError(`exp takes one spec file, received ${positionals.length}: ${positionals.join(' ')}`);
    const resume = str(values, 'resume');
    if (!positionals[0] && !resume) throw new UsageError('exp needs a spec file, e.g. `vgglab exp experiments/quickstart.yaml` (see --help)');
    const base = invocationDir(io.env);
    const file = positionals[0] ? displayPath(path.resolve(base, positionals[0])) : undefined;
    const sweepPointText = str(values, 'sweep-point');
    const plugins = list(values, 'plugin');
    const registry = await commandRegistry(plugins, io.env, base);
    const stop: StopFlag = { requested: false };
    const removeHandler = onInterrupt(stop, (t) => io.stderr.write(t));
    try {
      const outcome = await runExp({
        file,
        overrides: list(values, 'override'),
        dbFlag: str(values, 'db') ? path.resolve(base, str(values, 'db')!) : undefined,
        resume,
        workers: int(values, 'workers', DEFAULT_WORKERS),
        sweepPoint: sweepPointText === undefined ? undefined : int(values, 'sweep-point', 0, 0),
        registry,
        env: io.env,
        stdout: io.stdout,
        stderr: io.stderr,
        stop,
        childArgs: plugins.flatMap((p) => ['--plugin', path.resolve(base, p)]),
        command: sweepPointText === undefined ? commandWords(values, positionals) : parentCommand(io.env),
      });
      if (flag(values, 'json')) printJson(io, outcome);
      const isSweep = outcome.runs.length + outcome.skipped.length + outcome.failed.length > 1 || outcome.runs.some((r) => r.label);
      if (isSweep && sweepPointText === undefined) {
        io.stdout.write(`sweep done: ${outcome.runs.length} ran, ${outcome.skipped.length} skipped, ${outcome.failed.length} failed\n`);
      }
      if (outcome.failed.length) return EXIT.error;
      if (stop.requested || outcome.runs.some((r) => r.status === 'killed')) return EXIT.interrupted;
      return EXIT.ok;
    } finally {
      removeHandler();
    }
  },
};
