import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/create.ts';
import type { PredictFn } from '../server/options.ts';
import { testServer } from '../testing/server.ts';

const api = testServer();

describe('predict', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  it('answers 501 with a clear message when no predict function was given', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: `/api/runs/${api.fixture.ids['vgg11-adam']}/predict`,
      headers: { 'content-type': 'image/png' },
      payload: png,
    });
    expect(response.statusCode).toBe(501);
    expect(response.json().message).toMatch(/vgglab serve/);
  });

  describe('with a predict function', () => {
    let withPredict: FastifyInstance;
    const calls: { runId: string; bytes: number }[] = [];
    const predict: PredictFn = async (runId, imageBytes) => {
      calls.push({ runId, bytes: imageBytes.length });
      // As the runner's data code words a bad file: its path, which here is the upload's temporary file.
      if (imageBytes[0] === 0x00) {
        const file = join(tmpdir(), 'vgglab-predict-Ab12Cd', 'image');
        throw Object.assign(new Error(`cannot read image ${file}: ${file}: unsupported image format`), { statusCode: 400 });
      }
      if (imageBytes[0] !== 0x89) throw Object.assign(new Error('not a PNG or JPEG image'), { statusCode: 422 });
      return [
        { label: 'circle', probability: 0.1 },
        { label: 'star', probability: 0.6 },
        { label: 'square', probability: 0.25 },
        { label: 'triangle', probability: 0.05 },
      ];
    };

    beforeAll(async () => {
      withPredict = await createServer({ dbFile: api.fixture.dbFile, predict, predictMaxBytes: 1024 });
    });
    afterAll(async () => {
      await withPredict?.close();
    });

    it('passes the full run id and image bytes, and returns the top classes by probability', async () => {
      const id = api.fixture.ids['vgg11-adam'];
      const response = await withPredict.inject({
        method: 'POST',
        url: `/api/runs/${id.slice(0, 8)}/predict?top=2`,
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().predictions).toEqual([
        { label: 'star', probability: 0.6 },
        { label: 'square', probability: 0.25 },
      ]);
      expect(calls.at(-1)).toEqual({ runId: id, bytes: png.length });
    });

    it('answers 413 for an image over the size limit, before calling predict', async () => {
      const before = calls.length;
      const response = await withPredict.inject({
        method: 'POST',
        url: `/api/runs/${api.fixture.ids['vgg11-adam']}/predict`,
        headers: { 'content-type': 'image/jpeg' },
        payload: Buffer.alloc(4096, 1),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().message).toMatch(/1024 bytes/);
      expect(calls.length).toBe(before);
    });

    it('rejects other content types (415), an empty body (400), bad top (400) and passes predict errors on', async () => {
      const url = `/api/runs/${api.fixture.ids['vgg11-adam']}/predict`;
      const json = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(json.statusCode).toBe(415);
      expect(json.json().message).toMatch(/image\/png/);
      const empty = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(0) });
      expect(empty.statusCode).toBe(400);
      const top = await withPredict.inject({ method: 'POST', url: `${url}?top=0`, headers: { 'content-type': 'image/png' }, payload: png });
      expect(top.statusCode).toBe(400);
      const notImage = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'image/png' }, payload: Buffer.from('hello') });
      expect(notImage.statusCode).toBe(422);
      expect(notImage.json().message).toMatch(/not a PNG/);
      const unknownRun = await withPredict.inject({ method: 'POST', url: '/api/runs/ffffffffffff/predict', headers: { 'content-type': 'image/png' }, payload: png });
      expect(unknownRun.statusCode).toBe(404);
    });

    it('names no temporary file of the server in a bad upload\'s 400', async () => {
      const url = `/api/runs/${api.fixture.ids['vgg11-adam']}/predict`;
      const response = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'image/png' }, payload: Buffer.from([0, 1, 2]) });
      expect(response.statusCode).toBe(400);
      const { message } = response.json();
      expect(message).not.toContain(tmpdir());
      expect(message).not.toContain('vgglab-predict-');
      expect(message).toMatch(/unsupported image format/);
    });
  });
});
