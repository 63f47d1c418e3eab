/** A sweep's points against the store: which to run fresh, which to resume, which to skip; and their names. */
import type { Run } from '@vgglab/store';

/**
 * A sweep point's short name for run names and output: `model.name=vgg11,optimizer=sgd(lr=0.02)`. A whole
 * block swept as an object shows its `name` and its other scalar fields.
 */
export function sweepLabel(values: Readonly<Record<string, unknown>>): string {
  const show = (v: unknown): string => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const { name, ...rest } = v as Record<string, unknown>;
      const scalars = Object.entries(rest)
        .filter(([, x]) => x === null || typeof x !== 'object')
        .map(([k, x]) => `${k}=${String(x)}`);
      if (typeof name === 'string') return scalars.length ? `${name}(${scalars.join(',')})` : name;
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  return Object.entries(values)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(',');
}

export type PointPlan = { action: 'new' } | { action: 'resume' | 'skip'; runId: string; reason: string };

/** Decides what to do with a sweep point given its newest run (the store's findRunBySpecHash): run it fresh, resume
 * that run, or skip it. */
export function planPoint(existing: Run | undefined): PointPlan {
  if (!existing) return { action: 'new' };
  if (existing.status === 'finished') return { action: 'skip', runId: existing.id, reason: 'already finished' };
  if (existing.status === 'running') return { action: 'skip', runId: existing.id, reason: `running (pid ${existing.pid} on ${existing.host})` };
  // Killed (stopped, or marked by gc) or crashed (its process is gone): continue from its last checkpoint.
  if (existing.status === 'killed' || existing.status === 'crashed') return { action: 'resume', runId: existing.id, reason: 'interrupted' };
  return { action: 'new' }; // failed: start over with a new run; the failed one stays for its error message
}
