/**
 * Is a `running` run's process still there? A run killed with kill -9 (or a machine that lost power) never writes
 * its end, so the store decides when it reads: on the run's own host by its process (the pid is gone, or now
 * belongs to a process started at another time: pids are reused), elsewhere by its heartbeat. The answer is an
 * SQLite function registered on every connection, read-only ones included, so the run list filters, sorts and
 * counts on the status a run shows, not only on the one stored.
 */
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

/** SQL function (host, pid, process_start, heartbeat_at) -> 'running' | 'crashed', for a stored `running` run. */
const STATUS_FUNCTION = 'vgglab_running_status';
const CALL = `${STATUS_FUNCTION}(r.host, r.pid, r.process_start, r.heartbeat_at)`;

/** The status a run shows, for a SELECT with `runs` as `r`. The function runs only for stored `running` rows. */
export const SHOWN_STATUS_SQL = `(CASE WHEN r.status = 'running' THEN ${CALL} ELSE r.status END)`;
/** Its end time: a crashed run ended at its last sign of life (as `gcRuns` records it). */
export const SHOWN_END_TIME_SQL = `(CASE WHEN r.status = 'running' AND ${CALL} = 'crashed' THEN r.heartbeat_at ELSE r.end_time END)`;
/** True for a stored `running` run that shows as `status` ('running' or 'crashed'). */
export const runningShownAsSql = (placeholder: string): string => `(r.status = 'running' AND ${CALL} = ${placeholder})`;

/** `process.kill(pid, 0)`: EPERM means the process exists but belongs to someone else. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | undefined;

/**
 * What tells the process `pid` from a later one with the same pid: on Linux the boot id and the start time in clock
 * ticks (field 22 of /proc/<pid>/stat), so a reboot also makes every old pid another process. null where /proc is
 * not there (macOS, Windows: the pid alone is checked) or when no such process runs.
 */
export function processStartOf(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces; fields 3.. follow the last ')'.
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  if (!ticks) return null;
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return `${bootId}:${ticks}`;
}

/** The recorded process is gone: its pid is not alive, or is alive with another start than the one recorded. */
export function processIsGone(pid: number, recordedStart: string | null, isAlive: (pid: number) => boolean = pidIsAlive): boolean {
  if (!isAlive(pid)) return true;
  if (recordedStart === null) return false;
  const current = processStartOf(pid);
  return current !== null && current !== recordedStart;
}

export interface ShownStatusOptions {
  /** This machine's name (os.hostname()): runs recorded here are judged by their process. */
  host: string;
  /** Other hosts' runs: crashed after this long without a heartbeat. */
  staleHeartbeatMs: number;
}

/** Registers the status function on a connection (before any statement that uses the SQL above is prepared). */
export function registerShownStatus(db: Database.Database, options: ShownStatusOptions): void {
  db.function(STATUS_FUNCTION, { deterministic: false }, (host: unknown, pid: unknown, start: unknown, heartbeatAt: unknown) => {
    const gone =
      host === options.host && typeof pid === 'number'
        ? processIsGone(pid, typeof start === 'string' ? start : null)
        : Date.now() - Number(heartbeatAt) > options.staleHeartbeatMs;
    return gone ? 'crashed' : 'running';
  });
}
