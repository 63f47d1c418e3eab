import { describe, expect, it } from 'vitest';
import { SYSTEM_METRICS, SystemSampler } from './system-metrics.ts';

describe('system metrics', () => {
  it('logs CPU % of one core, memory in MB, tfjs bytes and images/s since the previous sample, at the current step', () => {
    let now = 1_000;
    let cpu = { user: 0, system: 0 };
    let step = 10;
    const logged: { key: string; value: number; step: number; timestamp: number }[][] = [];
    const sampler = new SystemSampler({
      everySeconds: 5,
      log: (points) => logged.push(points),
      step: () => step,
      tensorBytes: () => 3 * 1024 * 1024,
      now: () => now,
      cpuUsage: () => cpu,
      memory: () => ({ rss: 512 * 1024 * 1024, heapUsed: 64 * 1024 * 1024 }),
    });
    // 2 s of wall time, 3 s of CPU (1.5 cores busy), 400 images trained
    now += 2_000;
    cpu = { user: 2_500_000, system: 500_000 };
    sampler.countImages(150);
    sampler.countImages(250);
    step = 14;
    sampler.sample();
    const values = Object.fromEntries(logged[0]!.map((p) => [p.key, p.value]));
    expect(values).toEqual({
      [SYSTEM_METRICS.cpuPercent]: 150,
      [SYSTEM_METRICS.rssMb]: 512,
      [SYSTEM_METRICS.heapMb]: 64,
      [SYSTEM_METRICS.tfjsMb]: 3,
      [SYSTEM_METRICS.imagesPerSecond]: 200,
    });
    expect(logged[0]!.every((p) => p.step === 14 && p.timestamp === 3_000)).toBe(true);
    // the next sample counts from this one
    now += 1_000;
    sampler.sample();
    expect(logged[1]!.find((p) => p.key === SYSTEM_METRICS.imagesPerSecond)!.value).toBe(0);
    expect(logged[1]!.find((p) => p.key === SYSTEM_METRICS.cpuPercent)!.value).toBe(0);
  });

  it('samples on a timer until stopped, and not at all with 0 seconds', async () => {
    const logged: unknown[] = [];
    const sampler = new SystemSampler({ everySeconds: 0.02, log: (p) => logged.push(p), step: () => 1, tensorBytes: () => 0 });
    sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    sampler.stop();
    const count = logged.length;
    expect(count).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logged.length).toBe(count);
    const off = new SystemSampler({ everySeconds: 0, log: (p) => logged.push(p), step: () => 1, tensorBytes: () => 0 });
    off.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(logged.length).toBe(count);
  });
});
