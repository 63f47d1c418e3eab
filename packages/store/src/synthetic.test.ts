import { describe, expect, it } from 'vitest';
import { generateSyntheticRuns } from './synthetic.ts';
import { tempStore } from './testing/temp.ts';

describe('generateSyntheticRuns', () => {
  it('writes the asked number of runs and points through the normal write path, deterministically', () => {
    const a = tempStore();
    const b = tempStore();
    const ids = generateSyntheticRuns(a, { runs: 4, pointsPerMetric: 300, metricKeys: ['train/loss', 'val/accuracy'], experiments: 2 });
    generateSyntheticRuns(b, { runs: 4, pointsPerMetric: 300, metricKeys: ['train/loss', 'val/accuracy'], experiments: 2 });
    expect(ids).toHaveLength(4);
    expect(a.listExperiments().map((e) => e.name)).toEqual(['synthetic-0', 'synthetic-1']);
    for (const id of ids) {
      const run = a.getRun(id)!;
      expect(run.metrics['train/loss']).toMatchObject({ count: 300, step: 300 });
      expect(run.metrics['val/accuracy']!.max).toBeLessThanOrEqual(1);
      expect(run.params['model.name']).toMatch(/^vgg/);
    }
    const summary = (s: typeof a): unknown => s.listRuns({ order: 'asc' }).runs.map((r) => [r.name, r.status, r.metrics['val/accuracy']!.value]);
    expect(summary(b)).toEqual(summary(a));
  });
});
