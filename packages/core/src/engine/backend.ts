/**
 * The backend ladder: `tensorflow` (tfjs-node-gpu, then tfjs-node: libtensorflow) > `native` (vgglab's
 * oneDNN engine, @vgglab/engine-native, reached through native.ts) > `wasm` > `cpu`.
 * `initEngine` picks one, says why (once, naming every rung it skipped and why), registers vgglab's training
 * kernels, and sets the threads. Call it once at start, before the first tensor op.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { startNativeRung } from './native.ts';
import { registerTrainingKernels } from './training-kernels.ts';
import { installThreadsShim, threadsShimVersionProblem, type ThreadsShim } from './wasm-threads.ts';

export type BackendName = 'tensorflow' | 'native' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

export interface EngineOptions {
  /** Defaults to 'auto' (the ladder). The environment variable VGGLAB_BACKEND overrides it. */
  backend?: BackendRequest;
  /**
   * Compute threads of `native` and `wasm`. Defaults to the machine's logical cores (wasm: at most 8), or 1
   * under vitest (VITEST set) so test workers do not compete for cores. The environment variable
   * VGGLAB_THREADS overrides it.
   */
  threads?: number;
  /** Where the one "backend chosen" line and warnings go. Defaults to console.error (stderr). */
  log?: (line: string) => void;
  /**
   * How long the threaded wasm build may take to start (its pthread workers to load) before the engine
   * gives up on threads and starts one thread, with a warning. Defaults to 30 000 ms.
   */
  threadsStartupTimeoutMs?: number;
}

export interface EngineInfo {
  backend: BackendName;
  /** Threads the backend computes with (wasm: XNNPACK's pool as reported by tfjs; native: oneDNN's; cpu: 1; tensorflow: cores). */
  threads: number;
  /** Why this backend (and thread count) was chosen, in one sentence. */
  reason: string;
  /** @tensorflow/tfjs-core version in use. */
  tfjsVersion: string;
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu'];
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
/** XNNPACK's pthread pool is pre-created with 8 workers; more would need workers created after start-up. */
const MAX_WASM_THREADS = 8;
/** Start-up of the threaded wasm build normally takes well under a second; this is for a stalled one. */
const DEFAULT_THREADS_STARTUP_TIMEOUT_MS = 30_000;
/** The spec schema's bound on engine.threads. */
const MAX_THREADS = 64;

const require = createRequire(import.meta.url);

let current: EngineInfo | undefined;
let wasmThreads: number | undefined;
let initializing: Promise<EngineInfo> | undefined;
/** Set by shutdownEngine: tfjs cannot re-create a removed wasm backend in the same process. */
let wasmShutDown = false;

/** Error raised when a requested backend or option cannot be honoured; the message says why and what to do. */
export class EngineError extends Error {
  override name = 'EngineError';
}

function parseRequest(value: string, source: string): BackendRequest {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKENDS as readonly string[]).includes(v)) return v as BackendRequest;
  throw new EngineError(
    `${source} must be one of auto, ${BACKENDS.join(', ')}; received '${value}'`,
  );
}

function parseThreads(value: unknown, source: string): number {
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new EngineError(`${source} must be an integer from 1 to ${MAX_THREADS}; received ${JSON.stringify(value)}`);
  }
  return n;
}

function defaultThreads(cap: number): number {
  if (process.env.VITEST) return 1;
  return Math.min(cap, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
}

/** The engine state after `initEngine`, or undefined before. */
export function getEngineInfo(): EngineInfo | undefined {
  return current;
}

/**
 * Chooses and starts the backend. Idempotent: a second call with the same (or no) request returns the same
 * info without logging again. A later call that asks for a different backend switches to it (and logs the
 * switch); asking for a different wasm thread count once wasm has started is an EngineError, because the
 * wasm module's thread pool is fixed when it starts.
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  // Serialise concurrent calls: two awaits of initEngine() at start must not start two backends.
  while (initializing) await initializing.catch(() => undefined);
  initializing = start(options);
  try {
    return await initializing;
  } finally {
    initializing = undefined;
  }
}

async function start(options: EngineOptions): Promise<EngineInfo> {
  const log = options.log ?? ((line: string) => console.error(line));
  // The environment variable wins over the option (it is how a user overrides a spec without editing it).
  const envBackend = process.env.VGGLAB_BACKEND || undefined;
  const request: BackendRequest = envBackend
    ? parseRequest(envBackend, 'VGGLAB_BACKEND')
    : parseRequest(options.backend ?? 'auto', 'backend option');
  let requestSource = '';
  if (envBackend) requestSource = 'requested by VGGLAB_BACKEND';
  else if (options.backend && options.backend !== 'auto') requestSource = 'requested by the backend option';
  const envThreads = process.env.VGGLAB_THREADS;
  const threadsRequest =
    envThreads !== undefined && envThreads !== ''
      ? parseThreads(envThreads, 'VGGLAB_THREADS')
      : options.threads !== undefined
        ? parseThreads(options.threads, 'threads option')
        : undefined;

  if (current) {
    const sameBackend = request === 'auto' || request === current.backend;
    if (sameBackend) {
      if (current.backend === 'wasm' && threadsRequest !== undefined && threadsRequest !== wasmThreads) {
        throw new EngineError(
          `wasm already started with ${wasmThreads} thread(s); ${threadsRequest} requested. The thread pool is fixed at start: set VGGLAB_THREADS (or the threads option) before the first initEngine call`,
        );
      }
      // native's thread count can change at any time: a different one is a restart of the same rung.
      const nativeThreadsChange = current.backend === 'native' && threadsRequest !== undefined && threadsRequest !== current.threads;
      if (!nativeThreadsChange) return current;
    }
  }

  registerTrainingKernels();
  silenceCpuNodeBanner();
  const previous = current;
  const startupTimeoutMs = options.threadsStartupTimeoutMs ?? DEFAULT_THREADS_STARTUP_TIMEOUT_MS;
  const info = await choose(request, requestSource, threadsRequest, startupTimeoutMs, log);
  current = info;
  log(
    `vgglab engine: ${previous ? `switched from ${previous.backend} to ` : ''}backend ${info.backend}` +
      `${info.backend === 'wasm' || info.backend === 'native' ? ` (${info.threads} thread${info.threads === 1 ? '' : 's'})` : ''}: ${info.reason}`,
  );
  return info;
}

async function choose(
  request: BackendRequest,
  requestSource: string,
  threadsRequest: number | undefined,
  wasmStartupTimeoutMs: number,
  log: (line: string) => void,
): Promise<EngineInfo> {
  const tfjsVersion = tf.version_core;
  const notes: string[] = [];

  if (request === 'auto' || request === 'tensorflow') {
    const native = await tryNative();
    if (native.ok) {
      return {
        backend: 'tensorflow',
        threads: os.availableParallelism?.() ?? os.cpus().length,
        reason: `${native.pkg} is installed (native libtensorflow)${requestSource ? `, ${requestSource}` : ', the fastest backend'}`,
        tfjsVersion,
      };
    }
    if (request === 'tensorflow') {
      throw new EngineError(
        `backend 'tensorflow' ${requestSource || 'requested'} but ${native.why}; install @tensorflow/tfjs-node (or -gpu) 4.22.0, or use wasm`,
      );
    }
    notes.push(`tensorflow: ${native.why}`);
  }

  if (request === 'auto' || request === 'native') {
    const started = await startNativeRung(threadsRequest ?? defaultThreads(MAX_THREADS));
    if (started.ok) {
      return {
        backend: 'native',
        threads: started.threads,
        reason: `${started.detail}${requestSource ? `, ${requestSource}` : `${notes.length ? ` (${notes.join('; ')})` : ''}, the fastest available`}`,
        tfjsVersion,
      };
    }
    if (request === 'native') throw new EngineError(`backend 'native' ${requestSource || 'requested'} but ${started.why}`);
    notes.push(`native: ${started.why}`);
  }

  if (request === 'auto' || request === 'wasm') {
    try {
      const threads = await startWasm(threadsRequest, wasmStartupTimeoutMs, log);
      const why = request === 'wasm' ? requestSource : `${notes.join('; ')}; wasm (XNNPACK, SIMD) is the fastest available`;
      return { backend: 'wasm', threads, reason: why, tfjsVersion };
    } catch (error) {
      const why = `the wasm backend failed to start: ${(error as Error).message ?? String(error)}`;
      if (request === 'wasm') throw new EngineError(`backend 'wasm' ${requestSource} but ${why}`);
      notes.push(why);
    }
  }

  if (!(await tf.setBackend('cpu'))) throw new EngineError("the pure-JS 'cpu' backend failed to start");
  const why =
    request === 'cpu'
      ? `${requestSource} (pure JS, about 1 GFLOP/s: for tiny tests only)`
      : `${notes.join('; ')}; falling back to pure-JS cpu (about 1 GFLOP/s)`;
  return { backend: 'cpu', threads: 1, reason: why, tfjsVersion };
}

/**
 * tfjs's cpu backend prints a multi-line "install our node backend" banner on first use in Node. The engine
 * has already said which backend it chose and why, so the banner only adds noise (tests use `cpu` too).
 */
function silenceCpuNodeBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function tryNative(): Promise<{ ok: true; pkg: string } | { ok: false; why: string }> {
  if (tf.findBackend('tensorflow')) {
    if (await tf.setBackend('tensorflow')) return { ok: true, pkg: 'a native tfjs-node package' };
  }
  const failures: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') continue;
      failures.push(`${pkg} is installed but failed to load: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (tf.findBackend('tensorflow') && (await tf.setBackend('tensorflow'))) return { ok: true, pkg };
    failures.push(`${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core (${tf.version_core}): versions must match`);
  }
  return {
    ok: false,
    why: failures.length > 0 ? failures.join('; ') : `neither ${NATIVE_PACKAGES.join(' nor ')} is installed`,
  };
}

function wasmDistDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

function wasmPackageVersion(): string {
  const manifest = JSON.parse(
    fs.readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** Starts wasm once (threads are fixed at start); returns the thread count tfjs reports. */
async function startWasm(
  threadsRequest: number | undefined,
  startupTimeoutMs: number,
  log: (line: string) => void,
): Promise<number> {
  if (wasmThreads !== undefined) {
    if (threadsRequest !== undefined && threadsRequest !== wasmThreads) {
      throw new EngineError(`wasm already started with ${wasmThreads} thread(s); ${threadsRequest} requested`);
    }
    if (!(await tf.setBackend('wasm'))) throw new EngineError('tf.setBackend("wasm") returned false');
    return tfwasm.getThreadsCount();
  }
  if (wasmShutDown) {
    throw new EngineError('it was shut down in this process (shutdownEngine) and tfjs cannot start it again');
  }
  if (threadsRequest !== undefined && threadsRequest > MAX_WASM_THREADS) {
    throw new EngineError(`wasm runs at most ${MAX_WASM_THREADS} threads (XNNPACK's pool); ${threadsRequest} requested`);
  }
  const threads = threadsRequest ?? defaultThreads(MAX_WASM_THREADS);
  // Local binaries only: no network, whatever the platform's fetch would do.
  tfwasm.setWasmPaths(wasmDistDir());
  const threaded = threads > 1 && (await startThreadedWasm(threads, startupTimeoutMs, log));
  if (!threaded) {
    useOneWasmThread();
    if (!(await tf.setBackend('wasm'))) throw new EngineError('tf.setBackend("wasm") returned false (see the error logged above)');
  }
  wasmThreads = tfwasm.getThreadsCount();
  if (threaded && wasmThreads < threads) {
    log(`vgglab engine: warning: ${threads} wasm threads requested, tfjs started ${wasmThreads}`);
  }
  return wasmThreads;
}

function useOneWasmThread(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tfwasm.setThreadsCount(1);
}

/**
 * Starts the threaded build through the shim. Returns true when it started, or false (after one warning)
 * when the caller should start one thread instead: the shim does not fit this tfjs, the threaded
 * build failed, a pthread worker died before loading, or start-up took longer than `startupTimeoutMs`.
 * The timer also keeps Node's event loop alive while tfjs waits on its workers, so a start-up that can
 * never finish becomes this fallback, not a silent exit 13 ("unsettled top-level await").
 */
async function startThreadedWasm(threads: number, startupTimeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const problem = threadsShimVersionProblem(wasmPackageVersion());
  if (problem) {
    log(`vgglab engine: warning: ${problem}`);
    return false;
  }
  let shim: ThreadsShim | undefined;
  let timer: NodeJS.Timeout | undefined;
  let why: string;
  try {
    shim = installThreadsShim(threads);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    tfwasm.setThreadsCount(threads);
    const timedOut = new Promise<Error>((resolve) => {
      timer = setTimeout(() => resolve(new Error(`it did not finish within ${startupTimeoutMs / 1000} s`)), startupTimeoutMs);
    });
    const outcome = await Promise.race([tf.setBackend('wasm'), shim.failure, timedOut]);
    if (outcome === true) {
      releaseWasmWorkers();
      return true;
    }
    // tfjs reports a failed start as `false` (and logs the error); its factory stays registered, so the
    // single-threaded build can be tried again. A start-up still pending is made obsolete by the next one.
    why = outcome === false ? 'the threaded build did not start (see above)' : outcome.message;
  } catch (error) {
    why = (error as Error).message;
  } finally {
    clearTimeout(timer);
    shim?.restore();
  }
  shim?.terminateWorkers();
  log(`vgglab engine: warning: wasm threads unavailable (${why}); using 1 thread`);
  return false;
}

interface PThreadWorker {
  ref(): void;
  unref(): void;
}
interface WasmBackendInternals {
  wasm?: { PThread?: { runningWorkers: PThreadWorker[]; unusedWorkers: PThreadWorker[] } };
}

/**
 * XNNPACK's pool threads run forever and Emscripten `ref()`s their workers, so the process would never
 * exit by itself. Unref them: they keep working while the main thread waits on them inside an op, and the
 * process can end when the event loop is empty.
 */
function releaseWasmWorkers(): void {
  const backend = tf.findBackend('wasm') as unknown as WasmBackendInternals | null;
  const pthread = backend?.wasm?.PThread;
  if (!pthread) return;
  for (const worker of [...pthread.runningWorkers, ...pthread.unusedWorkers]) worker.unref();
}

/**
 * Ends the engine: disposes the wasm backend (terminating its thread pool and freeing its memory) and
 * forgets the chosen backend. Safe to call when nothing was started. tfjs cannot start wasm again in the
 * same process afterwards (a later initEngine can still choose cpu or tensorflow; 'auto' falls to cpu). The wasm workers are already
 * unref'd, so calling this is not required for the process to exit; the CLI calls it at the end to free
 * memory and threads deterministically.
 */
export async function shutdownEngine(): Promise<void> {
  while (initializing) await initializing.catch(() => undefined);
  if (tf.findBackend('wasm') && wasmThreads !== undefined) {
    tf.removeBackend('wasm');
    wasmThreads = undefined;
    wasmShutDown = true;
  }
  current = undefined;
}
