/**
 * Multi-threaded tfjs wasm in Node. tfjs 4.22 hard-codes WASM_HAS_MULTITHREAD_SUPPORT=false in Node
 * (tfjs issue 3830): its pthread workers load their scripts from blob: URLs, which Node's Worker cannot
 * open. This shim, active only while the backend starts:
 *  - records the text of the Blobs tfjs creates (the Emscripten worker script and the main module) and
 *    writes them to a private temporary folder, returning file paths from URL.createObjectURL;
 *  - prepends to the main module the bundle-level helpers its source refers to (the tfjs bundle's
 *    `require$$N`, `commonjsGlobal` and three tslib helpers), and to the worker a URL.createObjectURL that
 *    returns the main module's path (the worker receives the Blob itself);
 *  - reports twice the requested thread count as the logical core count while tfjs's C++ starts, because
 *    it caps its pool at cores / 2.
 * Everything it relies on is specific to tfjs-backend-wasm 4.22.0: the version is checked first, and any
 * failure makes the caller fall back to one thread with a warning.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The exact @tensorflow/tfjs-backend-wasm version whose internals the shim was written against. */
export const THREADS_SHIM_TFJS_VERSION = '4.22.0';

/** Why the shim must not run on this tfjs-backend-wasm version, or undefined when it may. */
export function threadsShimVersionProblem(installedVersion: string): string | undefined {
  if (installedVersion === THREADS_SHIM_TFJS_VERSION) return undefined;
  return `wasm threads need @tensorflow/tfjs-backend-wasm ${THREADS_SHIM_TFJS_VERSION} (found ${installedVersion}); using 1 thread`;
}

const MAIN_MODULE_PREFIX = 'var WasmBackendModuleThreadedSimd';
const WORKER_MARKER = 'nodeWorkerThreads';
const BUNDLE_HELPERS =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os')," +
  'commonjsGlobal=globalThis;' +
  'function __values(o){return o[Symbol.iterator]()}' +
  'function __read(o,n){var a=[],it=o[Symbol.iterator]();for(var i=0;n===undefined||i<n;i++){var r=it.next();if(r.done)break;a.push(r.value)}return a}' +
  'function __spreadArray(to,from){return to.concat(Array.prototype.slice.call(from))}\n';

export interface ThreadsShim {
  /** Folder holding the written scripts (removed by `restore`'s caller at exit). */
  dir: string;
  /** Undo the global patches (call as soon as the backend has started, success or not). */
  restore(): void;
  /** True when both scripts were written, i.e. the threaded build was actually set up through the shim. */
  used(): boolean;
}

export function installThreadsShim(threads: number): ThreadsShim {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-wasm-threads-'));
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalCpus = os.cpus;
  const texts = new WeakMap<object, string>();
  let mainPath = '';
  let workerPath = '';

  class RecordingBlob extends OriginalBlob {
    constructor(parts: ConstructorParameters<typeof Blob>[0] = [], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts, options);
      if (parts && parts.every((part) => typeof part === 'string')) {
        const text = (parts as string[]).join('');
        texts.set(this, text);
        if (text.startsWith(MAIN_MODULE_PREFIX)) {
          mainPath = path.join(dir, 'tfjs-wasm-main.cjs');
          fs.writeFileSync(mainPath, BUNDLE_HELPERS + text);
        }
      }
    }
  }

  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (object: Blob) => {
    const text = texts.get(object);
    if (text === undefined || !text.includes(WORKER_MARKER)) return originalCreateObjectURL(object);
    if (!mainPath) throw new Error('wasm threads shim: the worker script was requested before the main module');
    // The worker turns the Blob it is sent into a URL and imports it; we redirect that to the file.
    if (!text.includes('URL.createObjectURL(e.data.urlOrBlob)')) {
      throw new Error('wasm threads shim: the pthread worker script is not the one tfjs 4.22.0 ships');
    }
    workerPath = path.join(dir, 'tfjs-wasm-worker.cjs');
    const redirect = `URL.createObjectURL=function(){return ${JSON.stringify(mainPath)}};URL.revokeObjectURL=function(){};\n`;
    fs.writeFileSync(workerPath, redirect + text);
    return workerPath;
  };
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: Math.max(threads * 2, cpus.length) }, (_, i) => cpus[i % cpus.length]!);
  };

  return {
    dir,
    used: () => mainPath !== '' && workerPath !== '',
    restore() {
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreateObjectURL;
      (os as { cpus: typeof os.cpus }).cpus = originalCpus;
    },
  };
}
