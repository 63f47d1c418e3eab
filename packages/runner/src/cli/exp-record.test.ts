/**
 * What `vgglab exp` records with a run besides its metrics, in a child process as a user's: its name (the spec's
 * `name`, `-o name=` included), the command line and `-o` overrides, system metrics every N seconds, and an
 * evaluation of its best checkpoint when training ends (unless the spec turns it off).
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { run, runsIn, tinyYaml, tmp } from '../testing/cli.ts';

function details(db: string, runId: string) {
  const store = openStore(db, { readonly: true });
  try {
    return { run: store.getRun(runId)!, evaluations: store.listEvaluations(runId), cpu: store.getMetricHistory(runId, 'sys/cpu_percent') };
  } finally {
    store.close();
  }
}

describe('what a run records', () => {
  it('its name, command line, overrides, system metrics and the evaluation of its best checkpoint', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'recorded', '', { epochs: 2 });
    const overrides = ['optimizer.lr=0.03', 'train.systemMetricsSeconds=0.2', 'name=lr-probe'];
    const r = await run(['exp', file, ...overrides.flatMap((o) => ['-o', o]), '--db', db]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/evaluated the best checkpoint \(after epoch \d\) on 12 validation images: accuracy \d/);
    const [summary] = runsIn(db);
    const { run: stored, evaluations, cpu } = details(db, summary!.id);
    // `-o name=` names the run (and its experiment)
    expect(stored.name).toBe('lr-probe');
    expect(stored.experimentName).toBe('lr-probe');
    expect(stored.command).toEqual(['vgglab', 'exp', file, ...overrides.flatMap((o) => ['-o', o]), '--db', db]);
    expect(stored.overrides).toEqual(overrides);
    expect((stored.resolvedSpec as { optimizer: { lr: number } }).optimizer.lr).toBe(0.03);
    // system metrics: sampled while training, and once at its end
    expect(cpu.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(stored.metrics).filter((k) => k.startsWith('sys/')).sort()).toEqual([
      'sys/cpu_percent',
      'sys/heap_mb',
      'sys/images_per_s',
      'sys/rss_mb',
      'sys/tfjs_mb',
    ]);
    expect(stored.metrics['sys/rss_mb']!.value).toBeGreaterThan(10);
    // the evaluation after training: the best checkpoint on the validation split, with what it got wrong
    expect(evaluations).toHaveLength(1);
    const [evaluation] = evaluations;
    expect(evaluation!.dataset).toBe('val');
    expect(evaluation!.extra).toMatchObject({ after: 'training', samples: 12, split: 'val' });
    expect(evaluation!.checkpoint).toBe(path.join(dir, summary!.id, 'checkpoints', 'best'));
    const matrix = evaluation!.confusionMatrix;
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(12);
    const wrong = matrix.reduce((a, row, i) => a + row.reduce((b, c, j) => b + (i === j ? 0 : c), 0), 0);
    // synthetic colours: no image folder; every wrong sample is named
    expect(evaluation!.misclassified).toMatchObject({ root: null });
    expect(evaluation!.misclassified!.items).toHaveLength(wrong);
    for (const item of evaluation!.misclassified!.items) expect(item.true).not.toBe(item.predicted);
  }, 120_000);

  it("a run is named by its spec's name; `train.evaluate: false` and `train.systemMetricsSeconds: 0` turn both off", async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'quiet', '  evaluate: false\n  systemMetricsSeconds: 0', { epochs: 1 });
    const r = await run(['exp', file, '--db', db]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toContain('evaluated the best checkpoint');
    const [summary] = runsIn(db);
    const { run: stored, evaluations } = details(db, summary!.id);
    expect(stored.name).toBe('quiet');
    expect(stored.overrides).toEqual([]);
    expect(evaluations).toEqual([]);
    expect(Object.keys(stored.metrics).filter((k) => k.startsWith('sys/'))).toEqual([]);
  }, 120_000);
});
