import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store.ts';
import { tempDir } from '../testing/temp.ts';

/** Writes ~8 MB of WAL (past SQLite's 1,000-page automatic checkpoint): 60 batches of 100 points with packed blocks. */
function write(store: ReturnType<typeof openStore>): void {
  const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {} });
  for (let b = 0; b < 60; b++) store.logBatch(run.id, { metrics: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 4}`, value: i, step: b * 25 + Math.floor(i / 4) })) });
}

describe('checkpoints in a worker thread (checkpointEveryMs)', () => {
  it('no commit checkpoints: the WAL keeps the pages until the worker copies them into the file, then closes cleanly', async () => {
    const dir = tempDir();
    const file = join(dir, 'never.db');
    const never = openStore(file, { checkpointEveryMs: 3_600_000 });
    const before = statSync(file).size;
    write(never);
    // Past SQLite's 1,000-page automatic checkpoint, nothing reached the file: the commits did not checkpoint.
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1000 * 4096);
    expect(statSync(file).size).toBe(before);
    never.close(); // the last connection checkpoints everything: the file's full size
    const full = statSync(file).size;
    expect(full).toBeGreaterThan(before);

    const often = join(dir, 'often.db');
    const store = openStore(often, { checkpointEveryMs: 20 });
    write(store);
    // The same writes, and the worker thread brings the file to the same size while the store stays open.
    await expect.poll(() => statSync(often).size, { timeout: 10_000, interval: 20 }).toBe(full);
    expect(store.listRuns().total).toBe(1);
    store.close();
    const reopened = openStore(often);
    expect(reopened.getRun(reopened.listRuns().runs[0]!.id)!.metrics.k0!.count).toBe(1500);
    reopened.close();
  }, 20_000);
});
