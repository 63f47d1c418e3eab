import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '@vgglab/store';
import { planPoint } from './plan.ts';

/** A store that knows one run of the point, in the given status. */
const storeWith = (status: RunStatus | undefined) => ({
  findRunBySpecHash: () => (status ? ({ id: 'r1', status, pid: 42, host: 'box' } as unknown as Run) : undefined),
});

describe('planPoint', () => {
  it('runs a point the store has never seen, and starts a failed one over', () => {
    expect(planPoint(storeWith(undefined), 'e', 'h')).toEqual({ action: 'new' });
    expect(planPoint(storeWith('failed'), 'e', 'h')).toEqual({ action: 'new' });
  });

  it('skips finished and live running points', () => {
    expect(planPoint(storeWith('finished'), 'e', 'h')).toMatchObject({ action: 'skip', runId: 'r1' });
    expect(planPoint(storeWith('running'), 'e', 'h')).toMatchObject({ action: 'skip', reason: 'running (pid 42 on box)' });
  });

  it('resumes an interrupted point: killed, or crashed (its process is gone)', () => {
    expect(planPoint(storeWith('killed'), 'e', 'h')).toEqual({ action: 'resume', runId: 'r1', reason: 'interrupted' });
    expect(planPoint(storeWith('crashed'), 'e', 'h')).toEqual({ action: 'resume', runId: 'r1', reason: 'interrupted' });
  });
});
