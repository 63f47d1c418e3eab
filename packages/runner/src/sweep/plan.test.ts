import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '@vgglab/store';
import { planPoint } from './plan.ts';

/** The point's newest run as the store finds it by spec hash, in the given status (or none). */
const storeWith = (status: RunStatus | undefined) => (status ? ({ id: 'r1', status, pid: 42, host: 'box' } as unknown as Run) : undefined);

describe('planPoint', () => {
  it('runs a point the store has never seen, and starts a failed one over', () => {
    expect(planPoint(storeWith(undefined))).toEqual({ action: 'new' });
    expect(planPoint(storeWith('failed'))).toEqual({ action: 'new' });
  });

  it('skips finished and live running points', () => {
    expect(planPoint(storeWith('finished'))).toMatchObject({ action: 'skip', runId: 'r1' });
    expect(planPoint(storeWith('running'))).toMatchObject({ action: 'skip', reason: 'running (pid 42 on box)' });
  });

  it('resumes an interrupted point: killed, or crashed (its process is gone)', () => {
    expect(planPoint(storeWith('killed'))).toEqual({ action: 'resume', runId: 'r1', reason: 'interrupted' });
    expect(planPoint(storeWith('crashed'))).toEqual({ action: 'resume', runId: 'r1', reason: 'interrupted' });
  });
});
