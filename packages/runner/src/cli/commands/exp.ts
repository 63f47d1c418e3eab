/** `vgglab exp <file>`: run an experiment (or a sweep), logging to the run store. */
import * as path from 'node:path';
import { flag, int, list, printJson, str, type Command, type CommandIO, type ParsedValues } from '../command.ts';
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
  usage: 'vgglab exp <file> [-o key=value …] [--db file | --server url] [--resume run-id] [--workers N] [--queue --redis url]',
  options: {
    override: { type: 'string', short: 'o', multiple: true, description: 'Set a spec field before validation, e.g. -o optimizer.lr=0.001.', valueName: 'key=value' },
    db: { type: 'string', description: 'Run store file (default: the spec\'s store.db, else runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    server: { type: 'string', description: 'Log to this tracking server (`vgglab server`) instead of a store file (VGGLAB_TRACKING_URI; token: VGGLAB_TOKEN).', valueName: 'url' },
    resume: { type: 'string', description: 'Continue an interrupted run from its last checkpoint (id or unique prefix).', valueName: 'run-id' },
    queue: { type: 'boolean', description: 'Put the sweep\'s points on the queue for `vgglab worker`s instead of running them (needs --redis).' },
    redis: { type: 'string', description: 'The queue\'s Redis, with --queue (VGGLAB_REDIS_URL).', valueName: 'url' },
    attempts: { type: 'string', description: 'With --queue: tries per point before it is failed (default 3).', valueName: 'N' },
    job: { type: 'string', description: 'Run one queued sweep point (what `vgglab worker` gives its training processes).', valueName: 'file' },
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
    '  VGGLAB_TRACKING_URI=http://10.0.0.5:6006 vgglab exp experiments/quickstart.yaml   # log to a tracking server',
    '  vgglab exp experiments/compare-vgg-optimizers.yaml --queue --redis redis://10.0.0.5:6379   # for `vgglab worker`s',
    '',
    'Ctrl-C finishes the current step, writes a checkpoint and marks the run killed; continue it with --resume.',
    'Exit codes: 0 done, 1 failed, 2 bad usage or spec, 75 taken over by another worker (--job), 130 interrupted.',
  ].join('\n'),
  async run(values, positionals, io) {
    // Loaded here, not at start-up: `vgglab --help` and other commands stay fast.
    const [{ runExp }, { commandRegistry }] = await Promise.all([import('../../sweep/experiment.ts'), import('../../plugins.ts')]);
    if (positionals.length > 1) throw new UsageError(`exp takes one spec file, received ${positionals.length}: ${positionals.join(' ')}`);
    const jobFile = str(values, 'job');
    if (jobFile) return runJobCommand(jobFile, values, io);
    if (flag(values, 'queue')) return queueCommand(positionals, values, io);
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
        server: str(values, 'server'),
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

/** `--queue`: the sweep's points go on the queue; workers run them. */
async function queueCommand(positionals: string[], values: ParsedValues, io: CommandIO): Promise<number> {
  const [{ submitSweep, redisUrlOf }, { commandRegistry }] = await Promise.all([import('../../worker/submit.ts'), import('../../plugins.ts')]);
  if (!positionals[0]) throw new UsageError('exp --queue needs a spec file with a sweep');
  const base = invocationDir(io.env);
  const result = await submitSweep({
    file: displayPath(path.resolve(base, positionals[0])),
    overrides: list(values, 'override'),
    registry: await commandRegistry(list(values, 'plugin'), io.env, base),
    redisUrl: redisUrlOf(str(values, 'redis'), io.env, 'exp --queue'),
    attempts: str(values, 'attempts') === undefined ? undefined : int(values, 'attempts', 3, 1),
    command: commandWords(values, positionals),
    stdout: io.stdout,
  });
  if (flag(values, 'json')) printJson(io, result);
  return EXIT.ok;
}

/** `--job <file>`: one queued point, in a worker's child process; it stops when its worker goes away. */
async function runJobCommand(jobFile: string, values: ParsedValues, io: CommandIO): Promise<number> {
  const [{ runQueuedJob }, { commandRegistry }] = await Promise.all([import('../../worker/job.ts'), import('../../plugins.ts')]);
  // The worker died (SIGKILL, a lost machine): its job goes back to the queue when the lock expires; stop writing.
  process.once('disconnect', () => process.exit(EXIT.fenced));
  const base = invocationDir(io.env);
  const stop: StopFlag = { requested: false };
  // A stop request, however often it comes (a service manager signals the worker's whole group, and the worker
  // passes it on): checkpoint, upload, end. Quitting at once is the worker's call (SIGKILL).
  const request = () => {
    if (!stop.requested) io.stderr.write('stop requested: finishing this step, writing and uploading a checkpoint\n');
    stop.requested = true;
  };
  process.on('SIGINT', request);
  process.on('SIGTERM', request);
  const removeHandler = () => {
    process.off('SIGINT', request);
    process.off('SIGTERM', request);
  };
  try {
    const result = await runQueuedJob({
      jobFile,
      server: str(values, 'server'),
      registry: await commandRegistry(list(values, 'plugin'), io.env, base),
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
      stop,
    });
    return result?.status === 'killed' ? EXIT.interrupted : EXIT.ok;
  } finally {
    removeHandler();
  }
}
