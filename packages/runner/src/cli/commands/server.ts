/**
 * `vgglab server`: the tracking server. The dashboard (read routes, the page, predict) plus the write API that runs on
 * other machines log to (`/api/tracking`, always behind the token), over a store it opens for writing and is the only
 * writer of; with `--redis`, the queue's panel and the lock checks of `vgglab worker`s. It needs a token wherever it
 * listens. `vgglab serve` stays the read-only local dashboard.
 */
import type { QueueView } from '@vgglab/queue';
import { int, str, type Command } from '../command.ts';
import { predictFor, untilStopped } from './serve.ts';
import { EXIT, TOKEN_ENV_VAR } from '../../defaults.ts';
import { resolveDbFile } from '../../paths.ts';

export const serverCommand: Command = {
  name: 'server',
  summary: 'Start the tracking server: the dashboard plus a write API for runs on other machines, and the queue of sweeps.',
  usage: 'vgglab server [--db file] [--port n] [--host addr] [--token secret] [--redis url]',
  options: {
    db: { type: 'string', description: 'Run store file, created when missing (default runs/vgglab.db; VGGLAB_DB).', valueName: 'file' },
    port: { type: 'string', description: "Port (default: the dashboard's, 6006; 0 picks a free one).", valueName: 'n' },
    host: { type: 'string', description: "Address to listen on (default 127.0.0.1); another needs the token on every request.", valueName: 'addr' },
    token: { type: 'string', description: `Access token, required (${TOKEN_ENV_VAR}): the write API always checks it (see SECURITY.md).`, valueName: 'secret' },
    redis: { type: 'string', description: 'The queue of `vgglab exp --queue` and `vgglab worker` (VGGLAB_REDIS_URL): its panel and job-lock checks.', valueName: 'url' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
    'no-predict': { type: 'boolean', description: 'Do not load model code (predict answers 501).' },
  },
  details: [
    'Examples:',
    '  VGGLAB_TOKEN=$(openssl rand -hex 24) vgglab server --redis redis://127.0.0.1:6379',
    '  vgglab server --host 0.0.0.0 --port 6006 --db /srv/vgglab/runs/vgglab.db   # runs on other machines: VGGLAB_TRACKING_URI=http://<this host>:6006',
  ].join('\n'),
  async run(values, _positionals, io) {
    const { DASHBOARD_DEFAULTS, checkListenAccess, startBanner, startServer } = await import('@vgglab/dashboard');
    const host = str(values, 'host') ?? DASHBOARD_DEFAULTS.host;
    const token = str(values, 'token') ?? io.env[TOKEN_ENV_VAR];
    // Before anything loads: a token is required, on loopback too (the write API).
    checkListenAccess(host, token, { tracking: true });
    const dbFile = resolveDbFile({ flag: str(values, 'db') }, io.env);
    const port = int(values, 'port', DASHBOARD_DEFAULTS.port, 0);
    let queue: QueueView | undefined;
    const redisFlag = str(values, 'redis') ?? io.env.VGGLAB_REDIS_URL;
    if (redisFlag) {
      const { createQueueView, readRedisFacts, redisProblems, showRedisUrl } = await import('@vgglab/queue');
      // Workers refuse an unsafe Redis; the server says so too, and still starts (it only reads the queue).
      for (const problem of redisProblems(await readRedisFacts(redisFlag))) io.stderr.write(`warning: Redis at ${showRedisUrl(redisFlag)}: ${problem}\n`);
      queue = createQueueView(redisFlag);
    }
    const predict = await predictFor(values, io, dbFile);
    const started = await startServer({ dbFile, port, host, token, predict, tracking: {}, queue, logger: false }).catch(async (error: unknown) => {
      await queue?.close();
      throw error;
    });
    io.stdout.write(`${startBanner(started, { dbFile, token, tracking: true })}Ctrl-C to stop\n`);
    await untilStopped(() => started.app.close().then(() => queue?.close()));
    return EXIT.ok;
  },
};
