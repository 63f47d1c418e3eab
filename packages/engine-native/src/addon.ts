/**
 * The compiled oneDNN addon (build/Release/vgglab_native.node, built by scripts/build.mjs at install) and
 * why it is missing when it is. Every function works on Float32Arrays in place: the kernels pass the
 * tensors' own data and a freshly allocated output, nothing is copied.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;

/** The addon's surface (src/native/*.cc); shape parameters are Int32Arrays in the order each kernel file documents. */
export interface NativeAddon {
  setThreads(threads: number): number;
  info(): { dnnlVersion: string; isa: string; threads: number; cores: number };
  clearCaches(): number;
  conv2d(x: F32, filter: F32, bias: F32 | null, y: F32, params: Int32Array, activation: number, alpha: number): void;
  conv2dBackwardData(dy: F32, filter: F32, dx: F32, params: Int32Array): void;
  conv2dBackwardFilter(x: F32, dy: F32, dw: F32, params: Int32Array): void;
  convImplementations(params: Int32Array): { forward: string; backwardData: string; backwardWeights: string };
  maxPool(x: F32, y: F32, params: Int32Array): void;
  avgPool(x: F32, y: F32, params: Int32Array): void;
  avgPoolGrad(dy: F32, dx: F32, params: Int32Array): void;
  maxPoolGrad(x: F32, dy: F32, dx: F32, params: Int32Array): void;
  batchNorm(x: F32, mean: F32, variance: F32, offset: F32 | null, scale: F32 | null, y: F32, channels: number, epsilon: number): void;
  batchNormGrad(
    dy: F32, x: F32, mean: F32, variance: F32, scale: F32 | null, epsilon: number,
    dx: F32, dMean: F32, dVariance: F32, dScale: F32, dOffset: F32,
  ): void;
  moments(x: F32, mean: F32, variance: F32): void;
  momentsGrad(x: F32, mean: F32, dMean: F32, dVariance: F32, dx: F32): void;
  matmul(a: F32, b: F32, bias: F32 | null, c: F32, params: Int32Array, alpha: number): void;
  unary(code: number, x: F32, y: F32, alpha: number): void;
  reluGrad(dy: F32, x: F32, dx: F32): void;
  binary(code: number, a: F32, b: F32, c: F32, shapeA: Int32Array, shapeB: Int32Array): void;
  reduceSum(x: F32, y: F32, outer: number, reduce: number, inner: number, mean: boolean): void;
  adamUpdate(param: F32, grad: F32, m: F32, v: F32, vmax: F32 | null, scalars: F32): void;
  sgdUpdate(param: F32, grad: F32, momentumBuffer: F32 | null, scalars: F32, fresh: boolean, nesterov: boolean): void;
  rmspropUpdate(param: F32, grad: F32, squareAvg: F32, gradAvg: F32 | null, momentumBuffer: F32 | null, scalars: F32): void;
}

export type AddonLoad = { ok: true; addon: NativeAddon; file: string } | { ok: false; why: string };

/** What the build recorded (scripts/build.mjs). */
interface BuildStatus {
  built: boolean;
  reason?: string;
  runtimeHint?: string;
}

/** This package's folder: the addon is build/Release/vgglab_native.node, the build's outcome build/status.json. */
const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addonFile = (dir: string) => path.join(dir, 'build', 'Release', 'vgglab_native.node');
const REBUILD = 'npm rebuild @vgglab/engine-native';
const INSTALL = `apt-get install libdnnl-dev, then ${REBUILD}`;

let loaded: AddonLoad | undefined;

function readStatus(dir: string): BuildStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'build', 'status.json'), 'utf8')) as BuildStatus;
  } catch {
    return undefined;
  }
}

/** Why the addon is not there, in one line that ends with what to do. */
function whyMissing(dir: string): string {
  const status = readStatus(dir);
  if (!status) return `the addon is not built (its install step did not run): ${REBUILD} (needs libdnnl-dev, g++, make, python3)`;
  if (status.built) return `the addon is missing although its build succeeded: ${REBUILD}`;
  return `${status.reason ?? 'the addon was not built'}: ${status.runtimeHint ?? INSTALL}`;
}

/**
 * Loads this package's addon once; the result (or the reason it cannot load) is kept for the process.
 * `dir` (tests) reads another package folder's build instead, without keeping the result.
 */
export function loadAddon(dir?: string): AddonLoad {
  if (dir === undefined) return (loaded ??= load(PACKAGE_DIR));
  return load(dir);
}

/**
 * OpenMP's wait policy, read once when libgomp loads (with the addon): passive unless the user set one
 * (OMP_WAIT_POLICY, or GOMP_SPINCOUNT).
 * Measured on 2 cores shared with other processes (load 12-15), vgg11/4 training at 2 threads: 24 img/s
 * with libgomp's default spin-then-sleep, 235 with PASSIVE (PyTorch the same: 21 and 132). A spinning
 * worker that loses its core stalls every barrier of every primitive.
 */
const OPENMP_DEFAULTS: Readonly<Record<string, string>> = { OMP_WAIT_POLICY: 'PASSIVE' };

function load(dir: string): AddonLoad {
  const file = addonFile(dir);
  if (!fs.existsSync(file)) return { ok: false, why: whyMissing(dir) };
  // A user's GOMP_SPINCOUNT (libgomp's spin before sleeping) counts as their choice of wait policy too.
  if (process.env.GOMP_SPINCOUNT === undefined) {
    for (const [name, value] of Object.entries(OPENMP_DEFAULTS)) process.env[name] ??= value;
  }
  try {
    return { ok: true, addon: createRequire(import.meta.url)(file) as NativeAddon, file };
  } catch (error) {
    const message = String((error as Error).message ?? error).split('\n')[0]!;
    return /libdnnl/.test(message)
      ? { ok: false, why: `libdnnl not found (${message}): ${INSTALL}` }
      : { ok: false, why: `the addon does not load (${message}): ${REBUILD}` };
  }
}
