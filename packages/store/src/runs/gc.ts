/**
 * `vgglab runs gc`: records what the status function already shows. `running` runs on this host whose process is
 * gone (or, with staleAfterMs, any run without a recent heartbeat) are marked `killed`, ended at their last heartbeat.
 */
import { hostname } from 'node:os';
import type { Connection } from '../storage/connection.ts';
import type { GcOptions, GcResult } from '../types.ts';
import { checkSafeInteger, invalid, show } from '../validate.ts';
import { pidIsAlive, processIsGone } from './liveness.ts';

interface RunningRow {
  pk: number;
  id: string;
  host: string;
  pid: number | null;
  process_start: string | null;
  heartbeat_at: number;
}

export function gcRuns(c: Connection, options: GcOptions = {}): GcResult {
  const host = options.host ?? hostname();
  const isAlive = options.isAlive ?? pidIsAlive;
  if (options.staleAfterMs !== undefined) checkSafeInteger(options.staleAfterMs, 'gcRuns: staleAfterMs');
  const decide = (): RunningRow[] => {
    const now = Date.now();
    const running = c.sql("SELECT pk, id, host, pid, process_start, heartbeat_at FROM runs WHERE status = 'running'").all() as RunningRow[];
    return running.filter((r) => {
      if (options.exclude?.has(r.id)) return false;
      if (r.host === host && r.pid !== null && processIsGone(r.pid, r.process_start, isAlive)) return true;
      return options.staleAfterMs !== undefined && now - r.heartbeat_at > options.staleAfterMs;
    });
  };
  if (options.dryRun) return { killed: c.read(decide).map((r) => r.id) };
  const mark = options.mark ?? 'killed';
  if (mark !== 'killed' && mark !== 'crashed') throw invalid(`gcRuns: mark must be 'killed' or 'crashed', received ${show(mark)}`);
  return c.write(() => {
    const dead = decide();
    // The end time is the last sign of life, which is closer to the truth than "now".
    for (const r of dead) c.sql("UPDATE runs SET status = ?, end_time = heartbeat_at WHERE pk = ? AND status = 'running'").run(mark, r.pk);
    return { killed: dead.map((r) => r.id) };
  });
}
