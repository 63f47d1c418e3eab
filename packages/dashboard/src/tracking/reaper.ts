/**
 * The tracking server records `crashed` for a run whose heartbeat stopped and that no live job holds (a worker that
 * died without a word, a machine that lost power): every `reapEveryMs` it asks the queue which runs its active jobs
 * hold, then has the store mark the others that are silent for `staleAfterMs` (and those of this machine whose
 * process is gone). A run held by a job is left to the queue: when the job's lock expires it goes back to waiting,
 * and the next attempt resumes the run.
 */
import type { FastifyInstance } from 'fastify';

export interface Reaper {
  /** One look (also what the timer does). Returns the runs it recorded crashed. */
  reapNow(): Promise<string[]>;
  stop(): void;
}

export function startReaper(app: FastifyInstance): Reaper {
  const { store, settings } = app.tracking!;
  let running = false;
  const reapNow = async (): Promise<string[]> => {
    const held = app.queueView ? await app.queueView.heldRuns() : new Set<string>();
    return store.gcRuns({ staleAfterMs: settings.staleAfterMs, mark: 'crashed', exclude: held }).killed;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reapNow()
      .then((ids) => {
        if (ids.length > 0) app.log.info({ runs: ids }, 'recorded crashed: no heartbeat and no live job');
      })
      .catch((error: unknown) => app.log.error({ err: error }, 'looking for crashed runs failed'))
      .finally(() => (running = false));
  }, settings.reapEveryMs);
  timer.unref();
  return { reapNow, stop: () => clearInterval(timer) };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The tracking server's crash detector (tests call reapNow). */
    reaper?: Reaper;
  }
}
