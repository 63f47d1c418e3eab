import { describe, expect, it } from 'vitest';
import { ABSENT_FIELD_DEFAULTS } from './spec-schema.ts';
import { parseSpec } from './spec.ts';

const BASE = 'name: absent\nmodel: { name: vgg11 }\ndata: { name: shapes }\noptimizer: { name: adam, lr: 0.001 }\ntrain: { epochs: 1 }\n';

describe('fields read with a default when absent (train.evaluate, train.systemMetricsSeconds)', () => {
  it('stay out of a resolved spec that does not name them, so its hash is what it was before they existed', () => {
    const { spec } = parseSpec(BASE, 'a.yaml');
    expect(spec.train).not.toHaveProperty('evaluate');
    expect(spec.train).not.toHaveProperty('systemMetricsSeconds');
    expect(ABSENT_FIELD_DEFAULTS).toEqual({ evaluate: true, systemMetricsSeconds: 10 });
  });

  it('are checked when given', () => {
    const given = parseSpec(BASE.replace('epochs: 1 }', 'epochs: 1, evaluate: false, systemMetricsSeconds: 2.5 }'), 'b.yaml').spec.train;
    expect(given).toMatchObject({ evaluate: false, systemMetricsSeconds: 2.5 });
    expect(() => parseSpec(BASE.replace('epochs: 1 }', 'epochs: 1, systemMetricsSeconds: -1 }'), 'c.yaml')).toThrow(/systemMetricsSeconds must be >= 0/);
    expect(() => parseSpec(BASE.replace('epochs: 1 }', 'epochs: 1, evaluate: sometimes }'), 'd.yaml')).toThrow(/evaluate/);
  });
});
