/**
 * Multi-threaded tfjs wasm in Node. tfjs 4.22 hard-codes WASM_HAS_MULTITHREAD_SUPPORT=false in Node
 * (tfjs issue 3830): its pthread workers load their scripts from blob: URLs, which Node's Worker cannot
 * open. This shim, active only while the backend starts:
 *  - records the text of the Blobs tfjs creates (the Emscripten worker script and the main module) and
 *    returns a marker from URL.createObjectURL for the worker script;
 *  - swaps worker_threads.Worker (which the Emscripten module reads when tfjs creates it) for a subclass
 *    that starts a marker as an `eval` worker from the recorded text: no script is written to disk. (Writing
 *    the worker script to a temporary file once per worker raced with the workers reading it: under load a
 *    worker read the file while the next write had truncated it, ran an empty script and exited without a
 *    word; start-up then waited for its 'loaded' message with nothing left to keep Node alive: exit 13.)
 *  - appends to the worker script an importScripts that evaluates the main module (prefixed with the
 *    bundle-level helpers its source refers to: the tfjs bundle's `require$$N`, `commonjsGlobal` and three
 *    tslib helpers), whatever URL the worker computes for the Blob it is sent;
 *  - watches each pthread worker until it reports 'loaded': one that exits or fails first is reported
 *    through `failure`, so the caller falls back to one thread instead of waiting for ever;
 *  - reports twice the requested thread count as the logical core count while tfjs's C++ starts, because
 *    it caps its pool at cores / 2.
 * Everything it relies on is specific to tfjs-backend-wasm 4.22.0: the version is checked first, and any
 * failure makes the caller fall back to one thread with a warning.
 */
import os from 'node:os';
import workerThreads from 'node:worker_threads';

/** The exact @tensorflow/tfjs-backend-wasm version whose internals the shim was written against. */
export const THREADS_SHIM_TFJS_VERSION = '4.22.0';

/** Why the shim must not run on this tfjs-backend-wasm version, or undefined when it may. */
export function threadsShimVersionProblem(installedVersion: string): string | undefined {
  if (installedVersion === THREADS_SHIM_TFJS_VERSION) return undefined;
  return `wasm threads need @tensorflow/tfjs-backend-wasm ${THREADS_SHIM_TFJS_VERSION} (found ${installedVersion}); using 1 thread`;
}

const MAIN_MODULE_PREFIX = 'var WasmBackendModuleThreadedSimd';
const WORKER_MARKER = 'nodeWorkerThreads';
/** What URL.createObjectURL returns for the worker script; the Worker subclass recognises it. */
const WORKER_SCRIPT_URL = 'vgglab:tfjs-wasm-pthread-worker';
const BUNDLE_HELPERS =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os')," +
  'commonjsGlobal=globalThis;' +
  'function __values(o){return o[Symbol.iterator]()}' +
  'function __read(o,n){var a=[],it=o[Symbol.iterator]();for(var i=0;n===undefined||i<n;i++){var r=it.next();if(r.done)break;a.push(r.value)}return a}' +
  'function __spreadArray(to,from){return to.concat(Array.prototype.slice.call(from))}\n';

export interface ThreadsShim {
  /** Undo the global patches (call as soon as the backend has started, success or not). */
  restore(): void;
  /** True when both scripts were recorded, i.e. the threaded build was actually set up through the shim. */
  used(): boolean;
  /**
   * Resolves (never rejects) with the first pthread worker's failure to load: it exited or raised an error
   * before posting 'loaded'. tfjs would wait for that worker for ever.
   */
  failure: Promise<Error>;
  /** Ends every pthread worker the shim started (after a failed start, so none is left running). */
  terminateWorkers(): void;
}

type WorkerClass = typeof workerThreads.Worker;

/** Text appended to the pthread worker script: load the main module from memory instead of a URL. */
function workerEpilogue(mainText: string): string {
  return (
    '\n;URL.createObjectURL=function(){return "vgglab:tfjs-wasm-main"};URL.revokeObjectURL=function(){};' +
    `global.importScripts=function(){(0,eval)(${JSON.stringify(mainText)})};\n`
  );
}

export function installThreadsShim(threads: number): ThreadsShim {
  const OriginalBlob = globalThis.Blob;
  const OriginalWorker = workerThreads.Worker;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const texts = new WeakMap<object, string>();
  let mainText = '';
  let workerCode = '';
  const workers: InstanceType<WorkerClass>[] = [];
  let reportFailure: (error: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => (reportFailure = resolve));

  class RecordingBlob extends OriginalBlob {
    constructor(parts: ConstructorParameters<typeof Blob>[0] = [], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts, options);
      if (parts && parts.every((part) => typeof part === 'string')) {
        const text = (parts as string[]).join('');
        texts.set(this, text);
        if (text.startsWith(MAIN_MODULE_PREFIX)) mainText = BUNDLE_HELPERS + text;
      }
    }
  }

  /** Starts the recorded worker script for the marker URL and watches it until it has loaded. */
  class PthreadWorker extends OriginalWorker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      const isPthread = filename === WORKER_SCRIPT_URL;
      super(isPthread ? workerCode : filename, isPthread ? { ...options, eval: true } : options);
      if (isPthread) watch(this, workers.push(this) - 1);
    }
  }

  function watch(worker: InstanceType<WorkerClass>, index: number): void {
    let loaded = false;
    const onMessage = (data: { cmd?: string } | undefined) => {
      if (data?.cmd !== 'loaded') return;
      loaded = true;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', (error: Error) => {
      if (!loaded) reportFailure(new Error(`pthread worker ${index} failed before loading: ${error.message}`));
    });
    worker.once('exit', (code: number) => {
      if (!loaded) reportFailure(new Error(`pthread worker ${index} exited (code ${code}) before loading`));
    });
  }

  globalThis.Blob = RecordingBlob as typeof Blob;
  (workerThreads as { Worker: WorkerClass }).Worker = PthreadWorker as WorkerClass;
  URL.createObjectURL = (object: Blob) => {
    const text = texts.get(object);
    if (text === undefined || !text.includes(WORKER_MARKER)) return originalCreateObjectURL(object);
    if (!mainText) throw new Error('wasm threads shim: the worker script was requested before the main module');
    // The worker turns the Blob it is sent into a URL and imports it; the epilogue answers that from memory.
    if (!text.includes('URL.createObjectURL(e.data.urlOrBlob)') || !text.includes('importScripts(objectUrl)')) {
      throw new Error('wasm threads shim: the pthread worker script is not the one tfjs 4.22.0 ships');
    }
    workerCode ||= text + workerEpilogue(mainText);
    return WORKER_SCRIPT_URL;
  };
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: Math.max(threads * 2, cpus.length) }, (_, i) => cpus[i % cpus.length]!);
  };

  return {
    used: () => mainText !== '' && workerCode !== '',
    failure,
    terminateWorkers() {
      for (const worker of workers) void worker.terminate();
    },
    restore() {
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreateObjectURL;
      (os as { cpus: typeof os.cpus }).cpus = originalCpus;
      (workerThreads as { Worker: WorkerClass }).Worker = OriginalWorker;
      // The Emscripten module copied the subclass to globalThis.Worker and creates any later worker from it
      // (with the marker URL), so that copy stays: it behaves as Node's Worker for every other file.
    },
  };
}
