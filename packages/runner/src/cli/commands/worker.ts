/** `vgglab worker`: runs sweep points from the queue, logging to the tracking server (worker/worker.ts). */
import * as path from 'node:path';
import { int, list, str, type Command } from '../command.ts';
import { TRACKING_URI_ENV_VAR } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run sweep points from the queue (`vgglab exp --queue`), each training in a child process, logging to the tracking server.',
  usage: 'vgglab worker --server url --redis url [--concurrency N]',
  options: {
    server: { type: 'string', description: `The tracking server (${TRACKING_URI_ENV_VAR}); its token comes from VGGLAB_TOKEN.`, valueName: 'url' },
    redis: { type: 'string', description: 'The queue\'s Redis (VGGLAB_REDIS_URL).', valueName: 'url' },
    concurrency: { type: 'string', description: 'Points trained at once (default 1).', valueName: 'N' },
    'lock-ms': { type: 'string', description: 'Lock on a job, renewed at half of it; a worker that dies loses its jobs after this (default 30000).', valueName: 'ms' },
    'stalled-ms': { type: 'string', description: 'How often to look for jobs whose worker died (default 30000).', valueName: 'ms' },
    'max-stalled': { type: 'string', description: 'Times a job may lose its worker before it is failed (default 3).', valueName: 'N' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module in every training (also VGGLAB_PLUGINS).', valueName: 'module' },
  },
  details: [
    'Examples:',
    '  VGGLAB_TOKEN=… vgglab worker --server http://10.0.0.5:6006 --redis redis://10.0.0.5:6379',
    '',
    'Redis is checked first (version >= 6.2, maxmemory-policy noeviction, persistence on). SIGTERM (Ctrl-C): running',
    'trainings write a checkpoint, upload it, and their points go back to the queue without using an attempt.',
  ].join('\n'),
  async run(values, positionals, io) {
    if (positionals.length) throw new UsageError(`worker takes no positional arguments, received '${positionals[0]}'`);
    const [{ runWorker }, { redisUrlOf }, { trackingUri }] = await Promise.all([
      import('../../worker/worker.ts'),
      import('../../worker/submit.ts'),
      import('../../tracking/target.ts'),
    ]);
    const server = trackingUri(str(values, 'server'), io.env);
    if (!server) throw new UsageError(`worker needs the tracking server: --server http://host:6006 (or ${TRACKING_URI_ENV_VAR})`);
    const base = invocationDir(io.env);
    const optional = (name: string, min: number) => (str(values, name) === undefined ? undefined : int(values, name, 0, min));
    return runWorker({
      server,
      redisUrl: redisUrlOf(str(values, 'redis'), io.env, 'worker'),
      concurrency: int(values, 'concurrency', 1, 1),
      lockDurationMs: optional('lock-ms', 1000),
      stalledIntervalMs: optional('stalled-ms', 100),
      maxStalledCount: optional('max-stalled', 0),
      childArgs: list(values, 'plugin').flatMap((p) => ['--plugin', path.resolve(base, p)]),
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  },
};
