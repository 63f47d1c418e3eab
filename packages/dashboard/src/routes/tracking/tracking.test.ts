/**
 * The write API through its HTTP client, on a real listening server over a fresh store: every write route needs the
 * token (on loopback too), writes are exactly-once over retries, attempts fence a run taken over elsewhere, a proxy
 * that loses answers after the commit doubles nothing, and writes made while the server is down wait (spooled) and
 * arrive once it is back.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunReader, StoreError, TRACKING_ROUTES, trackingPath } from '@vgglab/store';
import { startLossyProxy, startTrackingFixture, TEST_TOKEN, type TrackingFixture } from '../../testing/tracking.ts';

const spec = { name: 'sweep', seed: 0, model: { name: 'vgg11' }, optimizer: { name: 'adam', lr: 0.001 } };
const newRun = (specHash = 'hash-a') => ({ experiment: 'sweep', resolvedSpec: spec, specHash, host: 'worker-1', pid: 1234, processStart: null });

let fixtures: TrackingFixture[] = [];
afterEach(async () => {
  for (const f of fixtures) await f.cleanup();
  fixtures = [];
});
async function tracking(options: Parameters<typeof startTrackingFixture>[0] = {}): Promise<TrackingFixture> {
  const f = await startTrackingFixture(options);
  fixtures.push(f);
  return f;
}

/** Every point of every key of a run, from the file (a reader of its own). */
function rows(f: TrackingFixture, runId: string): Record<string, { step: number; value: number }[]> {
  const reader = openRunReader(f.dbFile);
  try {
    const out: Record<string, { step: number; value: number }[]> = {};
    for (const p of reader.iterateMetrics({ runIds: [runId] })) (out[p.key] ??= []).push({ step: p.step, value: p.value });
    return out;
  } finally {
    reader.close();
  }
}

describe('the write API', () => {
  it('answers 401 on every write route without the token (on loopback too), and takes the write with it', async () => {
    const f = await tracking();
    const client = f.client();
    const run = await client.createRun(newRun());
    const routes: [string, string][] = [
      ['POST', TRACKING_ROUTES.experiments],
      ['POST', TRACKING_ROUTES.runs],
      ['GET', trackingPath(TRACKING_ROUTES.run, { runId: run.id })],
      ['GET', `${TRACKING_ROUTES.find}?experiment=sweep&specHash=hash-a`],
      ['GET', trackingPath(TRACKING_ROUTES.resolve, { idOrPrefix: run.id })],
      ...(['resume', 'batch', 'status', 'heartbeat', 'truncate', 'artifacts', 'evaluations'] as const).map(
        (r): [string, string] => ['POST', trackingPath(TRACKING_ROUTES[r], { runId: run.id })],
      ),
      ['PUT', trackingPath(TRACKING_ROUTES.artifactFile, { runId: run.id, kind: 'checkpoint-last' })],
      ['GET', trackingPath(TRACKING_ROUTES.artifactFile, { runId: run.id, kind: 'checkpoint-last' })],
    ];
    for (const [method, path] of routes) {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef']) {
        const response = await fetch(`${f.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: method === 'GET' ? undefined : JSON.stringify({ status: 'finished' }),
        });
        expect(response.status, `${method} ${path} ${authorization ?? 'no token'}`).toBe(401);
      }
    }
    expect(openRunReader(f.dbFile).getRun(run.id)!.status).toBe('running');
    // Read routes stay open on loopback, as before.
    expect((await fetch(`${f.url}/api/runs`)).status).toBe(200);
    const ok = await fetch(`${f.url}${trackingPath(TRACKING_ROUTES.status, { runId: run.id })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ status: 'finished', attempt: 1 }),
    });
    expect(ok.status).toBe(200);
    await client.close();
  });

  it('logs runs, batches (NaN and infinities too), params, tags and status; reads them back; bad bodies are 400s naming the field', async () => {
    const f = await tracking();
    const client = f.client();
    const run = await client.createRun({ ...newRun(), tags: { team: 'vision' } });
    expect(run).toMatchObject({ attempt: 1, status: 'running', host: 'worker-1' });
    await client.logBatch(run.id, {
      metrics: [
        { key: 'loss', value: 0.5, step: 1, epoch: 0 },
        { key: 'loss', value: Number.NaN, step: 2, epoch: 0 },
        { key: 'grad', value: Infinity, step: 2 },
        { key: 'grad', value: -Infinity, step: 3 },
      ],
      params: [{ key: 'extra', value: '1' }],
      tags: [{ key: 'phase', value: 'train' }],
    });
    await client.heartbeat(run.id, 1234);
    await client.setRunStatus(run.id, 'finished');
    expect(rows(f, run.id)).toEqual({
      grad: [
        { step: 2, value: Infinity },
        { step: 3, value: -Infinity },
      ],
      loss: [
        { step: 1, value: 0.5 },
        { step: 2, value: Number.NaN },
      ],
    });
    const details = (await client.getRun(run.id))!;
    expect(details).toMatchObject({ status: 'finished', params: { extra: '1', 'model.name': 'vgg11' }, tags: { team: 'vision', phase: 'train' } });
    expect(details.metrics.loss!.value).toBeNaN();
    expect(await client.findRunBySpecHash('sweep', 'hash-a')).toMatchObject({ id: run.id });
    expect(await client.findRunBySpecHash('sweep', 'nope')).toBeUndefined();
    expect(await client.resolveRunId(run.id.slice(0, 8))).toBe(run.id);
    expect(await client.getRun('no-such-run')).toBeUndefined();

    const bad = await fetch(`${f.url}${trackingPath(TRACKING_ROUTES.batch, { runId: run.id })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
      body: JSON.stringify({ metrics: [{ key: 'loss', value: 'high', step: 1 }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/body field 'metrics' \(item 1\)/);
    await expect(client.logParam(run.id, 'extra', '2')).rejects.toThrow(/param "extra" was already logged/);
    await client.close();
  });

  it('a newer attempt fences the older: its writes get 409, write nothing, and every later write of it is refused', async () => {
    const f = await tracking();
    const first = f.client();
    const run = await first.createRun(newRun());
    await first.logBatch(run.id, { metrics: [1, 2, 3].map((step) => ({ key: 'loss', value: step, step })) });
    await first.uploadArtifact(run.id, { kind: 'checkpoint-last', step: 2 }, writeTemp(f, 'ckpt', 'weights at step 2'));

    const second = f.client();
    const resumed = await second.resumeRun(run.id, { fromArtifact: 'checkpoint-last', pid: 99, host: 'worker-2' });
    expect(resumed).toMatchObject({ attempt: 2, fromStep: 2, resumedFrom: { kind: 'checkpoint-last', step: 2 } });
    expect(rows(f, run.id).loss!.map((p) => p.step)).toEqual([1, 2]);

    await expect(first.logBatch(run.id, { metrics: [{ key: 'loss', value: 30, step: 3 }] })).rejects.toThrow(
      expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/attempt 2; this write of attempt 1 was refused/) }),
    );
    await expect(first.heartbeat(run.id)).rejects.toBeInstanceOf(StoreError);
    await expect(first.setRunStatus(run.id, 'finished')).rejects.toThrow(/attempt/);
    await expect(first.uploadArtifact(run.id, { kind: 'checkpoint-last', step: 3 }, writeTemp(f, 'late', 'stale'))).rejects.toThrow(/attempt/);
    await second.logBatch(run.id, { metrics: [{ key: 'loss', value: 3.5, step: 3 }] });
    expect(rows(f, run.id).loss).toEqual([
      { step: 1, value: 1 },
      { step: 2, value: 2 },
      { step: 3, value: 3.5 },
    ]);
    expect((await second.getRun(run.id))!.artifacts.map((a) => a.step)).toEqual([2]);
    await first.close();
    await second.close();
  });

  it('a proxy that loses answers after the commit: the client retries, no row or run is doubled', async () => {
    const f = await tracking();
    let requests = 0;
    // Every third request's answer is lost, whatever it was (create, batch, status).
    const proxy = await startLossyProxy(f, () => ++requests % 3 === 0);
    const client = f.client({ url: proxy.url });
    const run = await client.createRun(newRun());
    for (let step = 1; step <= 30; step++) {
      await client.logBatch(run.id, { metrics: ['loss', 'acc'].map((key) => ({ key, value: step / 10, step })) });
    }
    await client.setRunStatus(run.id, 'finished');
    await client.close();
    await proxy.close();
    expect(proxy.dropped).toBeGreaterThanOrEqual(10);
    const stored = rows(f, run.id);
    for (const key of ['loss', 'acc']) {
      expect(stored[key]!.map((p) => p.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(stored[key]!.map((p) => p.value)).toEqual(Array.from({ length: 30 }, (_, i) => (i + 1) / 10));
    }
    const reader = openRunReader(f.dbFile);
    expect(reader.listRuns().total).toBe(1);
    expect(reader.getRun(run.id)!.metrics.loss!.count).toBe(30);
    reader.close();
  });

  it('writes made while the server is down wait, in memory then spooled to disk, and all arrive in order once it is back', async () => {
    const f = await tracking();
    const client = f.client({ memoryLimit: 5 });
    const run = await client.createRun(newRun());
    await f.stop();
    const writes = Array.from({ length: 40 }, (_, i) => client.logBatch(run.id, { metrics: [{ key: 'loss', value: i, step: i }] }));
    const finished = client.setRunStatus(run.id, 'finished');
    await expect.poll(() => client.pendingWrites.spooled).toBeGreaterThan(30);
    const spoolDir = join(f.dir, 'spool');
    expect(readdirSync(spoolDir).filter((n) => n.endsWith('.jsonl'))).toHaveLength(1);
    await f.start();
    await Promise.all([...writes, finished]);
    expect(client.pendingWrites).toEqual({ total: 0, spooled: 0 });
    expect(readdirSync(spoolDir)).toEqual([]);
    expect(rows(f, run.id).loss!.map((p) => p.value)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(openRunReader(f.dbFile).getRun(run.id)!.status).toBe('finished');
    await client.close();
  });
});

function writeTemp(f: TrackingFixture, name: string, text: string): string {
  const file = join(f.dir, name);
  writeFileSync(file, text);
  return file;
}

describe('uploaded artifacts', () => {
  it('upload then download gives the same bytes, checked by sha256; a new upload replaces the old file', async () => {
    const f = await tracking();
    const client = f.client();
    const run = await client.createRun(newRun());
    const first = await client.uploadArtifact(run.id, { kind: 'checkpoint-last', step: 10, metadata: { epoch: 1 } }, writeTemp(f, 'a.bin', 'A'.repeat(100_000)));
    expect(first).toMatchObject({ kind: 'checkpoint-last', step: 10, bytes: 100_000, metadata: { epoch: 1 }, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const second = await client.uploadArtifact(run.id, { kind: 'checkpoint-last', step: 20 }, writeTemp(f, 'b.bin', 'B'.repeat(5000)));
    expect(existsSync(join(f.dir, 'runs', first.path))).toBe(false);
    const dest = join(f.dir, 'downloaded.bin');
    const got = await client.downloadArtifact(run.id, 'checkpoint-last', dest);
    expect(got).toMatchObject({ step: 20, sha256: second.sha256 });
    expect(readFileSync(dest, 'utf8')).toBe('B'.repeat(5000));
    expect(readdirSync(join(f.dir, 'runs', run.id, 'uploads'))).toHaveLength(1);

    // A file changed on the server after upload: the download is refused and leaves nothing.
    writeFileSync(join(f.dir, 'runs', second.path), 'C'.repeat(5000));
    const other = join(f.dir, 'other.bin');
    await expect(client.downloadArtifact(run.id, 'checkpoint-last', other)).rejects.toThrow(/sha256 .* the server recorded/);
    expect(readdirSync(f.dir).filter((n) => n.includes('other'))).toEqual([]);
    await client.close();
  });

  it('a folder (a checkpoint) travels as one file and comes back whole', async () => {
    const f = await tracking();
    const client = f.client();
    const run = await client.createRun(newRun());
    const dir = join(f.dir, 'ckpt');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.json'), '{"layers":[]}');
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(70_000, 3));
    const uploaded = await client.uploadFolder(run.id, { kind: 'checkpoint-last', step: 12, metadata: { stepInEpoch: 0 } }, dir);
    expect(uploaded).toMatchObject({ kind: 'checkpoint-last', step: 12, metadata: { stepInEpoch: 0 } });
    const back = join(f.dir, 'back', 'last');
    await client.downloadFolder(run.id, 'checkpoint-last', back);
    expect(readdirSync(back).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readFileSync(join(back, 'weights.bin')).equals(Buffer.alloc(70_000, 3))).toBe(true);
    expect(readdirSync(join(f.dir, 'back'))).toEqual(['last']);
    await client.close();
  });

  it('an upload killed midway leaves no file and no record: the previous checkpoint stays whole', async () => {
    const f = await tracking();
    const client = f.client();
    const run = await client.createRun(newRun());
    const kept = await client.uploadArtifact(run.id, { kind: 'checkpoint-last', step: 1 }, writeTemp(f, 'ok.bin', 'ok'.repeat(1000)));
    // A raw upload that sends half of what it announced, then dies.
    const net = await import('node:net');
    const socket = net.connect(f.port, '127.0.0.1');
    await new Promise((resolve) => socket.on('connect', resolve));
    const path = `${trackingPath(TRACKING_ROUTES.artifactFile, { runId: run.id, kind: 'checkpoint-last' })}?attempt=1&step=2&name=x`;
    socket.write(
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: 1000000\r\nx-vgglab-sha256: ${'0'.repeat(64)}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(400_000, 7));
    const uploads = join(f.dir, 'runs', run.id, 'uploads');
    await expect.poll(() => readdirSync(uploads).filter((n) => n.startsWith('.upload-')).length).toBe(1);
    socket.destroy();
    await expect.poll(() => readdirSync(uploads)).toEqual([kept.path.split('/').pop()]);
    const artifacts = (await client.getRun(run.id))!.artifacts;
    expect(artifacts).toEqual([expect.objectContaining({ step: 1, sha256: kept.sha256 })]);
    await client.downloadArtifact(run.id, 'checkpoint-last', join(f.dir, 'back.bin'));
    await client.close();
  });
});

describe('the tracking server and the queue', () => {
  const claim = { queue: 'vgglab', jobId: 'sweep-abc', token: 'lock-token', lockMs: 30_000 };
  const queueStub = (held: Set<string>, holds: boolean) => ({
    heldRuns: async () => held,
    holdsLock: async () => holds,
    overview: async () => ({ enabled: true, queue: 'vgglab', sweeps: [] }),
    close: async () => undefined,
  });

  it('records crashed a run whose heartbeat stopped and that no live job holds; a write of its attempt revives it', async () => {
    const held = new Set<string>();
    // staleAfterMs -1: every run counts as silent, so the test does not wait on the clock.
    const f = await tracking({ tracking: { staleAfterMs: -1, reapEveryMs: 3_600_000 }, queue: queueStub(held, true) });
    const client = f.client();
    const lost = await client.createRun(newRun('lost'));
    const busy = await client.createRun(newRun('busy'));
    held.add(busy.id);
    expect(await f.server.app.reaper!.reapNow()).toEqual([lost.id]);
    const reader = openRunReader(f.dbFile);
    expect(reader.getRun(lost.id)!.status).toBe('crashed');
    expect(reader.getRun(busy.id)!.status).toBe('running');
    await client.heartbeat(lost.id);
    expect(reader.getRun(lost.id)!.status).toBe('running');
    reader.close();
    await client.close();
  });

  it('starts an attempt for a worker only while it holds its job lock', async () => {
    const noQueue = await tracking();
    await expect(noQueue.client({ claim }).createRun(newRun())).rejects.toThrow(/no queue \(start it with --redis\)/);
    const f = await tracking({ queue: queueStub(new Set(), false) });
    await expect(f.client({ claim }).createRun(newRun())).rejects.toThrow(/job sweep-abc is no longer held by this worker/);
    expect(openRunReader(f.dbFile).listRuns().total).toBe(0);
    const g = await tracking({ queue: queueStub(new Set(), true) });
    const run = await g.client({ claim }).createRun(newRun());
    expect(run.attempt).toBe(1);
  });

  it('the queue panel route says whether there is a queue', async () => {
    const f = await tracking();
    expect(await (await fetch(`${f.url}/api/queue`)).json()).toEqual({ enabled: false, queue: null, sweeps: [] });
    const g = await tracking({ queue: queueStub(new Set(), true) });
    expect(await (await fetch(`${g.url}/api/queue`)).json()).toEqual({ enabled: true, queue: 'vgglab', sweeps: [] });
  });
});
