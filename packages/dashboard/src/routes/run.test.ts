import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testServer } from '../testing/server.ts';

const api = testServer();

describe('one run', () => {
  it('returns the run with params, tags, latest metrics, evaluations and artifact files', async () => {
    const id = api.fixture.ids['vgg11-adam'];
    const { status, body } = await api.getJson(`/api/runs/${id}`);
    expect(status).toBe(200);
    expect(body.name).toBe('vgg11-adam');
    expect(body.params['optimizer.lr']).toBe('0.001');
    expect(body.tags).toEqual({ note: 'baseline', sweep: 'optimizers' });
    expect(body.seed).toBe(0);
    expect(body.gitCommit).toBe('a1b2c3d4e5f6');
    expect(body.backend).toBe('wasm');
    expect(body.specText).toContain('name: vgg11');
    expect(body.metrics['val/accuracy'].count).toBe(5);
    const checkpoint = body.artifacts.find((a: any) => a.kind === 'checkpoint-best');
    expect(checkpoint.files.sort()).toEqual([`${id}/checkpoint-best/model.json`, `${id}/checkpoint-best/weights.bin`]);
    // An artifact outside the runs folder is listed but offers no file to download.
    expect(body.artifacts.find((a: any) => a.kind === 'outside').files).toEqual([]);
  });

  it('accepts a unique id prefix and answers 404 for an unknown run', async () => {
    const id = api.fixture.ids['vgg16-sgd'];
    expect((await api.getJson(`/api/runs/${id.slice(0, 12)}`)).body.id).toBe(id);
    const missing = await api.getJson('/api/runs/ffffffffffffffff');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/ffffffffffffffff/);
  });

  it('returns the confusion matrix with per-class accuracy, or 404 saying how to make one', async () => {
    const { status, body } = await api.getJson(`/api/runs/${api.fixture.ids['vgg11-adam']}/confusion-matrix`);
    expect(status).toBe(200);
    expect(body.classNames).toEqual(['circle', 'square', 'triangle', 'star']);
    expect(body.confusionMatrix[2]).toEqual([0, 3, 19, 3]);
    expect(body.perClassAccuracy[2]).toBeCloseTo(19 / 25);
    expect(body.perClassAccuracy[0]).toBeCloseTo(24 / 25);
    const none = await api.getJson(`/api/runs/${api.fixture.ids['vgg16-sgd']}/confusion-matrix`);
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/vgglab evaluate --run/);
  });

  it('lists the params that differ between runs, all of them on request', async () => {
    const a = api.fixture.ids['vgg11-adam'];
    const b = api.fixture.ids['vgg16-adam'];
    const diff = (await api.getJson(`/api/params?runs=${a},${b}`)).body;
    expect(diff.runs.map((r: any) => r.name)).toEqual(['vgg11-adam', 'vgg16-adam']);
    expect(diff.params.map((p: any) => p.key).sort()).toEqual(['model.name', 'optimizer.lr']);
    expect(diff.params.find((p: any) => p.key === 'model.name').values).toEqual(['vgg11', 'vgg16']);
    const all = (await api.getJson(`/api/params?runs=${a},${b}&all=true`)).body;
    expect(all.params.map((p: any) => p.key)).toContain('data.name');
  });
});
describe('error messages', () => {
  it('name no file-system path of the server (the db file, the runs folder) in a 404', async () => {
    const unknown = 'ffffffffffff';
    const urls = [
      `/api/runs/${unknown}`,
      `/api/runs/${unknown}/confusion-matrix`,
      `/api/runs/${unknown}/files/model.json`,
      `/api/metrics?runs=${unknown}`,
      `/api/metrics.csv?runs=${unknown}`,
      `/api/params?runs=${unknown}`,
      `/api/metric-keys?runs=${unknown}`,
    ];
    for (const url of urls) {
      const response = await api.app.inject(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().message, url).toMatch(/ffffffffffff/);
      expect(response.body, url).not.toContain(api.fixture.dir);
      expect(response.body, url).not.toContain('vgglab.db');
    }
  });
});

describe('files', () => {
  const secret = 'TOP-SECRET';

  it('serves a checkpoint file of the run', async () => {
    const id = api.fixture.ids['vgg11-adam'];
    const response = await api.app.inject(`/api/runs/${id}/files/${id}/checkpoint-best/model.json`);
    expect(response.statusCode).toBe(200);
    expect(response.json().format).toBe('layers-model');
    expect(response.headers['content-disposition']).toBe('attachment; filename="model.json"');
  });

  it('refuses every path that leaves the runs folder or is not an artifact of the run', async () => {
    const id = api.fixture.ids['vgg11-adam'];
    const other = api.fixture.ids['vgg16-adam'];
    const link = join(api.fixture.runsDir, id, 'checkpoint-best', 'escape.txt');
    symlinkSync(api.fixture.secretFile, link);
    const attempts = [
      `/api/runs/${id}/files/..%2fsecret.txt`,
      `/api/runs/${id}/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      `/api/runs/${id}/files/${id}%2f..%2f..%2fsecret.txt`,
      `/api/runs/${id}/files/%2Fetc%2Fpasswd`,
      `/api/runs/${id}/files/${encodeURIComponent(api.fixture.secretFile)}`,
      `/api/runs/${id}/files/..%5csecret.txt`,
      `/api/runs/${id}/files/${id}/checkpoint-best/escape.txt`,
      `/api/runs/${id}/files/${id}/not-an-artifact.txt`,
      `/api/runs/${id}/files/vgglab.db`,
      `/api/runs/${other}/files/${id}/checkpoint-best/model.json`,
      `/api/runs/${id}/files/${id}/checkpoint-best/model.json%00.txt`,
    ];
    for (const url of attempts) {
      const response = await api.app.inject(url);
      expect([400, 403, 404], url).toContain(response.statusCode);
      expect(response.body, url).not.toContain(secret);
      expect(response.body, url).not.toContain('SQLite format');
    }
  });

  it('serves the page but nothing outside its build folder', async () => {
    const page = await api.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const attempts = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/..%5cpackage.json',
      '/assets/%2e%2e/%2e%2e/src/server.ts',
      `/${'..%2f'.repeat(8)}etc/passwd`,
      '/.gitignore',
    ];
    for (const url of attempts) {
      const response = await api.app.inject(url);
      expect(response.statusCode, url).not.toBe(200);
      expect(response.body, url).not.toContain('@vgglab/dashboard');
      expect(response.body, url).not.toContain('root:x:0');
      expect(response.body, url).not.toContain('createServer');
    }
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await api.app.inject('/api/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toMatch(/no API route GET \/api\/nothing-here/);
  });
});
