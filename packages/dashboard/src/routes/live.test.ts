import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { createServer } from '../server/create.ts';
import { makeFixture } from '../testing/fixture.ts';

/** Opens a server-sent event stream and collects its events. */
async function openStream(port: number, path: string) {
  const events: { event: string; data: any }[] = [];
  let buffer = '';
  const request = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } });
  await new Promise<void>((resolve, reject) => {
    request.on('response', (response) => {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/event-stream');
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve();
    });
    request.on('error', reject);
    request.end();
  });
  return { events, close: () => request.destroy() };
}

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 30));
  expect(predicate()).toBe(true);
}

describe('live stream', () => {
  it('sends new points of the watched runs and their status changes', async () => {
    // Its own store: this test writes to it.
    const own = makeFixture();
    const live = await createServer({ dbFile: own.dbFile, livePollMs: 40 });
    await live.listen({ host: '127.0.0.1', port: 0 });
    const port = (live.server.address() as { port: number }).port;
    const runId = own.ids['quickstart-live'];
    const other = own.ids['vgg16-sgd'];
    const watched = await openStream(port, `/api/live?runs=${runId}`);
    const runEvents = await openStream(port, '/api/live?metrics=false');
    const writer = openStore(own.dbFile);
    try {
      await waitFor(() => watched.events.some((e) => e.event === 'ready') && runEvents.events.some((e) => e.event === 'ready'));
      writer.logBatch(runId, {
        metrics: [
          { key: 'train/loss', value: 0.42, step: 1000, epoch: 3 },
          { key: 'train/loss', value: NaN, step: 1010, epoch: 3 },
        ],
      });
      writer.logBatch(other, { metrics: [{ key: 'train/loss', value: 9, step: 5000 }] });
      await waitFor(() => watched.events.some((e) => e.event === 'metrics'));
      const points = watched.events.filter((e) => e.event === 'metrics').flatMap((e) => e.data.points);
      expect(points.map((p: any) => [p.runId, p.step, p.value, p.nonFinite])).toEqual([
        [runId, 1000, 0.42, undefined],
        [runId, 1010, null, 'NaN'],
      ]);
      writer.setRunStatus(runId, 'finished');
      await waitFor(() => watched.events.some((e) => e.event === 'runs'));
      expect(watched.events.find((e) => e.event === 'runs')!.data.changed).toEqual([
        expect.objectContaining({ id: runId, status: 'finished' }),
      ]);
      // The run-events-only stream saw the status change and a new run, and no metric points.
      const started = writer.createRun({ specHash: 'test-spec', experiment: 'quickstart', name: 'new', resolvedSpec: {} });
      await waitFor(() => runEvents.events.some((e) => e.event === 'runs' && e.data.changed.some((c: any) => c.id === started.id)));
      const changes = runEvents.events.filter((e) => e.event === 'runs').flatMap((e) => e.data.changed);
      expect(changes).toEqual([
        expect.objectContaining({ id: runId, status: 'finished' }),
        expect.objectContaining({ id: started.id, status: 'running' }),
      ]);
      expect(runEvents.events.some((e) => e.event === 'metrics')).toBe(false);
    } finally {
      writer.close();
      watched.close();
      runEvents.close();
      await live.close();
      own.cleanup();
    }
  });
});
