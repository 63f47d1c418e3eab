import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openRunReader, openStore } from '../store.ts';
import { tempDir } from '../testing/temp.ts';
import { processStartOf } from './liveness.ts';

const WORKER = fileURLToPath(new URL('../testing/worker.ts', import.meta.url));

/** A child process that creates a running run and waits; resolves once it has printed the run's id. */
function startRunningChild(file: string): Promise<{ runId: string; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, 'create-running', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (!out.includes('\n')) return;
      const { runId } = JSON.parse(out.split('\n')[0]!) as { runId: string };
      resolve({ runId, kill: () => (child.kill('SIGKILL'), exited) });
    });
    child.on('exit', (code, signal) => reject(new Error(`worker exited early with ${code ?? signal}: ${err}`)));
  });
}

describe('crashed runs', () => {
  it('a run whose process was killed with SIGKILL reads as crashed in every listing, filter and get, read-only too', async () => {
    const file = join(tempDir(), 'vgglab.db');
    openStore(file).close();
    const child = await startRunningChild(file);
    const reader = openRunReader(file);
    try {
      expect(reader.getRun(child.runId)!.status).toBe('running');
      expect(reader.listRuns({ status: 'running' }).runs.map((r) => r.id)).toEqual([child.runId]);

      await child.kill();

      const run = reader.getRun(child.runId)!;
      expect(run.status).toBe('crashed');
      expect(run.endTime).toBe(run.heartbeatAt); // ended at its last sign of life, not "still going"
      expect(reader.listRuns().runs.map((r) => [r.id, r.status])).toEqual([[child.runId, 'crashed']]);
      expect(reader.listRuns({ status: 'crashed' }).runs.map((r) => r.id)).toEqual([child.runId]);
      expect(reader.listRuns({ status: 'running' }).total).toBe(0);
      expect(reader.listRuns({ status: ['running', 'crashed'] }).total).toBe(1);
      expect(reader.getRunFacets().statuses).toEqual([{ value: 'crashed', count: 1 }]);
      expect(reader.findRunBySpecHash('crash', 'test-spec')!.status).toBe('crashed');
    } finally {
      reader.close();
    }
    // gc still records it, as killed
    const writer = openStore(file);
    expect(writer.gcRuns().killed).toEqual([child.runId]);
    expect(writer.getRun(child.runId)!.status).toBe('killed');
    writer.close();
  }, 30_000);

  it('a live pid that belongs to another process than the one recorded (a reused pid) reads as crashed', () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file);
    const mine = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {} });
    const reused = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {}, processStart: 'another-boot:12345' });
    const unknownStart = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {}, processStart: null });
    expect(store.getRun(mine.id)!.status).toBe('running');
    expect(store.getRun(unknownStart.id)!.status).toBe('running'); // nothing to compare: the pid alone decides
    if (processStartOf(process.pid) === null) return; // no /proc (not Linux): a process start cannot be told
    expect(store.getRun(reused.id)!.status).toBe('crashed');
    // resuming records this process afresh
    store.resumeRun(reused.id, { fromStep: 0 });
    expect(store.getRun(reused.id)!.status).toBe('running');
    store.close();
  });

  it('a run of another host reads as crashed once its heartbeat is older than staleHeartbeatMs', () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file);
    const tenMinutesAgo = Date.now() - 600_000;
    const elsewhere = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: {}, host: `not-${hostname()}`, pid: 1, startTime: tenMinutesAgo });
    store.close();
    const patient = openRunReader(file, { staleHeartbeatMs: 3_600_000 });
    const strict = openRunReader(file, { staleHeartbeatMs: 60_000 });
    expect(patient.getRun(elsewhere.id)!.status).toBe('running');
    expect(strict.getRun(elsewhere.id)!.status).toBe('crashed');
    expect(strict.listRuns({ sortBy: 'status' }).runs[0]!.status).toBe('crashed');
    patient.close();
    strict.close();
  });

  it('processStartOf tells this process apart and is null for a pid that is not running', () => {
    const start = processStartOf(process.pid);
    if (start === null) return; // not Linux
    expect(processStartOf(process.pid)).toBe(start);
    expect(start).toMatch(/^[0-9a-f-]*:\d+$/);
    expect(processStartOf(2 ** 22 + 1)).toBeNull(); // above Linux's pid_max
  });
});
