/**
 * The client's outbox: writes to the tracking server, delivered one at a time in the order they were made, each
 * retried until the server answers it (a refused connection, a reset, a timeout or a 5xx is retried with growing
 * pauses; any other answer is final). While the server is unreachable the queue grows; past `memoryLimit` entries,
 * further writes wait in a spool file on disk (JSON lines) instead of memory, and are read back in order. The file
 * is emptied whenever nothing is spooled any more, and removed on close.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { type HttpAnswer, isTransientStatus, TransportError } from './http.ts';

/** A write, as data: what the spool keeps. `file`: an upload, streamed from there. */
export interface Delivery {
  method: 'POST' | 'PUT';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  file?: { path: string; bytes: number };
}

interface Entry {
  delivery?: Delivery;
  spooled?: { offset: number; length: number };
  resolve(answer: HttpAnswer): void;
  reject(error: unknown): void;
}

export interface OutboxOptions {
  /** Writes kept in memory; later ones wait in the spool file. */
  memoryLimit: number;
  /** Folder of the spool file. */
  spoolDir: string;
  firstRetryMs: number;
  maxRetryMs: number;
  /** Called when a delivery starts failing (once per outage) and when it gets through again. */
  onRetry?(message: string): void;
}

export class Outbox {
  private readonly entries: Entry[] = [];
  private inMemory = 0;
  private spoolFile: string | undefined;
  private spoolFd: number | undefined;
  private spoolEnd = 0;
  private spooledCount = 0;
  private pumping = false;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly send: (delivery: Delivery) => Promise<HttpAnswer>,
    private readonly options: OutboxOptions,
  ) {}

  /** Entries not yet answered (in memory and spooled). */
  get size(): number {
    return this.entries.length;
  }

  /** Entries waiting in the spool file. */
  get spooled(): number {
    return this.spooledCount;
  }

  /** Queues a write; resolves with the server's final answer (any status that is not "try again"). */
  push(delivery: Delivery): Promise<HttpAnswer> {
    if (this.closed) return Promise.reject(new Error('the tracking client is closed'));
    return new Promise((resolve, reject) => {
      const entry: Entry = { resolve, reject };
      if (this.inMemory < this.options.memoryLimit) {
        entry.delivery = delivery;
        this.inMemory++;
      } else {
        entry.spooled = this.spool(delivery);
      }
      this.entries.push(entry);
      void this.pump();
    });
  }

  /** Resolves once every write queued so far is answered. */
  drained(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Waits for every write to be answered, then removes the spool file. */
  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    this.dropSpool();
  }

  private spool(delivery: Delivery): { offset: number; length: number } {
    if (this.spoolFd === undefined) {
      mkdirSync(this.options.spoolDir, { recursive: true });
      this.spoolFile = join(this.options.spoolDir, `spool-${process.pid}-${randomUUID()}.jsonl`);
      this.spoolFd = openSync(this.spoolFile, 'w+', 0o600);
      this.spoolEnd = 0;
    }
    const line = Buffer.from(`${JSON.stringify(delivery)}\n`);
    writeSync(this.spoolFd, line, 0, line.length, this.spoolEnd);
    const spooled = { offset: this.spoolEnd, length: line.length - 1 };
    this.spoolEnd += line.length;
    this.spooledCount++;
    return spooled;
  }

  private unspool(at: { offset: number; length: number }): Delivery {
    const buffer = Buffer.alloc(at.length);
    readSync(this.spoolFd!, buffer, 0, at.length, at.offset);
    return JSON.parse(buffer.toString('utf8')) as Delivery;
  }

  private dropSpool(): void {
    if (this.spoolFd === undefined) return;
    fsyncSync(this.spoolFd);
    closeSync(this.spoolFd);
    rmSync(this.spoolFile!, { force: true });
    this.spoolFd = undefined;
    this.spoolFile = undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.entries.length > 0) {
        const entry = this.entries[0]!;
        let outcome: { answer?: HttpAnswer; error?: unknown };
        try {
          const delivery = entry.delivery ?? this.unspool(entry.spooled!);
          outcome = { answer: await this.deliver(delivery) };
        } catch (error) {
          outcome = { error };
        }
        this.entries.shift();
        if (entry.delivery) this.inMemory--;
        else if (--this.spooledCount === 0) this.dropSpool();
        if (outcome.error === undefined) entry.resolve(outcome.answer!);
        else entry.reject(outcome.error);
      }
    } finally {
      this.pumping = false;
      if (this.entries.length === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Sends until the server answers something other than "try again"; network errors are retried too. */
  private async deliver(delivery: Delivery): Promise<HttpAnswer> {
    let pause = this.options.firstRetryMs;
    let failing = false;
    for (;;) {
      let problem: string;
      try {
        const answer = await this.send(delivery);
        if (!isTransientStatus(answer.status)) {
          if (failing) this.options.onRetry?.(`tracking server answers again (${delivery.method} ${delivery.path})`);
          return answer;
        }
        problem = `status ${answer.status}`;
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        problem = error.message;
      }
      if (!failing) this.options.onRetry?.(`tracking server unreachable (${problem}); retrying ${delivery.method} ${delivery.path} until it answers`);
      failing = true;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(this.options.maxRetryMs, pause * 2);
    }
  }
}
