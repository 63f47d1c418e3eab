import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { addCompareRuns, MISCLASSIFIED_CELL, type CompareFixture } from '../testing/compare-fixture.ts';
import { testServer } from '../testing/server.ts';

const api = testServer();
let runs: CompareFixture;
beforeAll(() => {
  runs = addCompareRuns(api.fixture);
});

const base = () => `/api/runs/${runs.evaluation.runId}/evaluations/${runs.evaluation.id}`;

describe('the images behind a confusion-matrix cell', () => {
  it('lists the recorded images of one cell, each with a URL that serves the PNG', async () => {
    const { status, body } = await api.getJson(`${base()}/misclassified?true=${MISCLASSIFIED_CELL.true}&predicted=${MISCLASSIFIED_CELL.predicted}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ trueClass: 'square', predictedClass: 'triangle', count: 3, note: null });
    expect(body.items.map((i: any) => i.path)).toEqual(runs.evaluation.cellPaths);
    const image = await api.app.inject(`/${body.items[0].url}`);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    // the diagonal holds no misclassified image
    expect((await api.getJson(`${base()}/misclassified?true=0&predicted=0`)).body.items).toEqual([]);
    expect((await api.getJson(`${base()}/misclassified?true=9&predicted=0`)).status).toBe(404);
  });

  it('serves no file the evaluation did not record, nothing outside the dataset folder, and no path in messages', async () => {
    const { dataDir } = runs.evaluation;
    // a file in the dataset folder that is not recorded, a traversal, an encoded traversal, the secret
    writeFileSync(join(dataDir, 'square', 'unrecorded.png'), 'x');
    for (const path of ['square/unrecorded.png', '../../secret.txt', '..%2F..%2Fsecret.txt', 'square/../../../secret.txt', api.fixture.secretFile]) {
      const response = await api.app.inject(`${base()}/images/${path}`);
      expect(response.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(response.body, path).not.toContain('TOP-SECRET');
      expect(response.body, path).not.toContain(dataDir);
    }
    // a recorded path that leads out of the folder through a symlink is refused
    const store = openStore(api.fixture.dbFile);
    try {
      const evaluation = store.logEvaluation(runs.evaluation.runId, {
        dataset: 'val',
        accuracy: 0.5,
        classNames: ['a', 'b'],
        perClass: [
          { className: 'a', precision: 0.5, recall: 0.5, support: 1 },
          { className: 'b', precision: 0.5, recall: 0.5, support: 1 },
        ],
        confusionMatrix: [
          [0, 1],
          [1, 0],
        ],
        misclassified: { root: dataDir, items: [{ path: 'a/escape.png', true: 0, predicted: 1 }] },
      });
      // dataset/a -> a folder outside the dataset, which holds escape.png
      writeFileSync(join(api.fixture.dir, 'escape.png'), 'TOP-SECRET image outside the dataset');
      symlinkSync(api.fixture.dir, join(dataDir, 'a'), 'dir');
      const escaped = await api.app.inject(`/api/runs/${runs.evaluation.runId}/evaluations/${evaluation.id}/images/a/escape.png`);
      expect(escaped.statusCode).toBeGreaterThanOrEqual(400);
      expect(escaped.body).not.toContain('TOP-SECRET');
    } finally {
      store.close();
    }
  });

  it('says why a cell has no images when the evaluation recorded none', async () => {
    const id = api.fixture.ids['vgg11-adam'];
    const evaluation = (await api.getJson(`/api/runs/${id}/confusion-matrix`)).body.id;
    const { status, body } = await api.getJson(`/api/runs/${id}/evaluations/${evaluation}/misclassified?true=1&predicted=0`);
    expect(status).toBe(200);
    expect(body.items).toEqual([]);
    expect(body.count).toBe(2);
    expect(body.note).toMatch(/recorded no misclassified images/);
  });
});
