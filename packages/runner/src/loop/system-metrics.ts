/**
 * System metrics of a training process, sampled every N seconds and logged through the run's metric queue (the one
 * logBatch path) as `sys/*` points at the current global step: the process's CPU use (% of one core, so 2 busy cores
 * read 200), resident memory, JavaScript heap, the bytes tfjs holds in tensors, and the training throughput in images
 * per second since the previous sample.
 */
import { memoryUsage } from 'node:process';

/** The keys, in one place: the dashboard charts `sys/*` in a card of their own. */
export const SYSTEM_METRICS = {
  cpuPercent: 'sys/cpu_percent',
  rssMb: 'sys/rss_mb',
  heapMb: 'sys/heap_mb',
  tfjsMb: 'sys/tfjs_mb',
  imagesPerSecond: 'sys/images_per_s',
} as const;

export interface SystemSamplerOptions {
  /** Seconds between samples; 0 turns sampling off. */
  everySeconds: number;
  /** Where the points go (the run's metric queue). */
  log: (points: { key: string; value: number; step: number; timestamp: number }[]) => void;
  /** The global step the points are logged at. */
  step: () => number;
  /** Bytes tfjs holds (tf.memory().numBytes). */
  tensorBytes: () => number;
  /** For tests: the clock and the process's readings. */
  now?: () => number;
  cpuUsage?: () => NodeJS.CpuUsage;
  memory?: () => { rss: number; heapUsed: number };
}

const MB = 1024 * 1024;

export class SystemSampler {
  private timer: NodeJS.Timeout | null = null;
  private images = 0;
  private lastAt: number;
  private lastCpu: NodeJS.CpuUsage;
  private readonly now: () => number;
  private readonly cpu: () => NodeJS.CpuUsage;
  private readonly memory: () => { rss: number; heapUsed: number };

  constructor(private readonly options: SystemSamplerOptions) {
    this.now = options.now ?? Date.now;
    this.cpu = options.cpuUsage ?? (() => process.cpuUsage());
    this.memory = options.memory ?? (() => memoryUsage());
    this.lastAt = this.now();
    this.lastCpu = this.cpu();
  }

  /** Starts the timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.options.everySeconds <= 0 || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.options.everySeconds * 1000);
    this.timer.unref();
  }

  /** Images trained since the last sample (the loop calls it per step). */
  countImages(n: number): void {
    this.images += n;
  }

  /** Takes one sample now and logs it. */
  sample(): void {
    const at = this.now();
    const seconds = Math.max(1e-3, (at - this.lastAt) / 1000);
    const cpu = this.cpu();
    const cpuMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const memory = this.memory();
    const step = this.options.step();
    const point = (key: string, value: number) => ({ key, value, step, timestamp: at });
    this.options.log([
      point(SYSTEM_METRICS.cpuPercent, (cpuMicros / 1e6 / seconds) * 100),
      point(SYSTEM_METRICS.rssMb, memory.rss / MB),
      point(SYSTEM_METRICS.heapMb, memory.heapUsed / MB),
      point(SYSTEM_METRICS.tfjsMb, this.options.tensorBytes() / MB),
      point(SYSTEM_METRICS.imagesPerSecond, this.images / seconds),
    ]);
    this.images = 0;
    this.lastAt = at;
    this.lastCpu = cpu;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The end of training: one last sample (a run shorter than the interval still has one), then no more. */
  finish(): void {
    if (this.options.everySeconds <= 0) return;
    this.stop();
    this.sample();
  }
}
