import { describe, expect, it } from 'vitest';
import { tempStore } from '../testing/temp.ts';
import type { NewEvaluation } from '../types.ts';

const base: NewEvaluation = {
  dataset: 'val',
  accuracy: 0.5,
  classNames: ['cat', 'dog'],
  perClass: [
    { className: 'cat', precision: 0.5, recall: 0.5, support: 2 },
    { className: 'dog', precision: 0.5, recall: 0.5, support: 2 },
  ],
  confusionMatrix: [
    [1, 1],
    [1, 1],
  ],
  extra: { loss: 0.7 },
};

describe('an evaluation’s misclassified images', () => {
  it('are kept with their true and predicted class, apart from extra; evaluations without them read null', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {} });
    const misclassified = {
      root: '/data/pets',
      items: [
        { path: 'cat/1.jpg', true: 0, predicted: 1 },
        { path: 'dog/7.jpg', true: 1, predicted: 0 },
      ],
    };
    store.logEvaluation(run.id, { ...base, misclassified });
    store.logEvaluation(run.id, base);
    const [plain, withSamples] = store.listEvaluations(run.id);
    expect(withSamples).toMatchObject({ misclassified, extra: { loss: 0.7 } });
    expect(plain).toMatchObject({ misclassified: null, extra: { loss: 0.7 } });
  });

  it('refuses paths that leave the dataset folder, class indexes out of range and a relative root', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {} });
    const bad: [NewEvaluation['misclassified'], RegExp][] = [
      [{ root: '/d', items: [{ path: '../etc/passwd', true: 0, predicted: 1 }] }, /items\[0\]\.path must be a path relative to the dataset folder/],
      [{ root: '/d', items: [{ path: '/etc/passwd', true: 0, predicted: 1 }] }, /items\[0\]\.path must be/],
      [{ root: '/d', items: [{ path: 'cat/1.jpg', true: 0, predicted: 2 }] }, /items\[0\]\.predicted must be a class index in 0\.\.1, received 2/],
      [{ root: 'data/pets', items: [] }, /misclassified\.root must be an absolute folder or null/],
    ];
    for (const [misclassified, message] of bad) expect(() => store.logEvaluation(run.id, { ...base, misclassified })).toThrow(message);
    expect(() => store.logEvaluation(run.id, { ...base, extra: { misclassified: [] } })).toThrow(/reserved/);
    expect(store.listEvaluations(run.id)).toEqual([]);
  });
});
