/**
 * Training progress: a one-line bar redrawn in place on a terminal (epoch, step, loss, img/s, ETA), plain
 * lines every few steps when stdout is a file or pipe (CI logs, child processes of a sweep).
 */
import { PROGRESS_PLAIN_EVERY_STEPS, PROGRESS_REDRAW_MS } from '../defaults.ts';

export interface Output {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

export interface StepProgress {
  epoch: number; // 0-based
  epochs: number;
  step: number; // 1-based within the epoch
  stepsPerEpoch: number;
  loss: number;
  imagesPerSecond: number;
  /** Seconds left in the whole run (estimate). */
  etaSeconds: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toFixed(digits);
}

export class Progress {
  private lastDraw = 0;
  private barShown = false;
  constructor(
    private readonly out: Output,
    private readonly tty: boolean = Boolean(out.isTTY),
  ) {}

  /** A line of its own (clears the bar first on a terminal). */
  line(text: string): void {
    this.clearBar();
    this.out.write(`${text}\n`);
  }

  step(p: StepProgress): void {
    const head = `epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch}`;
    const tail = `loss ${formatNumber(p.loss)} | ${p.imagesPerSecond.toFixed(1)} img/s | ETA ${formatDuration(p.etaSeconds)}`;
    if (!this.tty) {
      if (p.step % PROGRESS_PLAIN_EVERY_STEPS === 0 || p.step === p.stepsPerEpoch) this.out.write(`${head} ${tail}\n`);
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < PROGRESS_REDRAW_MS && p.step !== p.stepsPerEpoch) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 100) - head.length - tail.length - 6));
    const filled = Math.round((width * p.step) / Math.max(1, p.stepsPerEpoch));
    const bar = '#'.repeat(filled) + '.'.repeat(Math.max(0, width - filled));
    this.out.write(`\r\x1b[2K${head} [${bar}] ${tail}`);
    this.barShown = true;
  }

  private clearBar(): void {
    if (this.tty && this.barShown) {
      this.out.write('\r\x1b[2K');
      this.barShown = false;
    }
  }

  end(): void {
    this.clearBar();
  }
}
