/**
 * tfjs layers models (`model.json` with a `weightsManifest`) and bare weights manifests (a JSON array of
 * {paths, weights} groups), as tensorflowjs_converter and tfjs' model.save write them. Shards of a group are
 * concatenated and its weights follow one another; quantized weights (uint8/uint16 with scale and min,
 * float16) are dequantized.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeToFloat32, numel, WeightsFileError, type SourceTensor, type WeightsSource } from './source.ts';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export async function readTfjsManifest(file: string, json: unknown): Promise<WeightsSource> {
  const groups = (Array.isArray(json) ? json : (json as { weightsManifest?: unknown })?.weightsManifest) as ManifestGroup[] | undefined;
  if (!Array.isArray(groups)) {
    throw new WeightsFileError(`${file}: a tfjs model.json needs 'weightsManifest' (or the file must be a manifest array)`);
  }
  const dir = dirname(file);
  const tensors = new Map<string, SourceTensor>();
  for (const [g, group] of groups.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new WeightsFileError(`${file}: weightsManifest[${g}] needs 'paths' and 'weights' arrays`);
    }
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      const shardPath = resolve(dir, p);
      try {
        shards.push(await readFile(shardPath));
      } catch (e) {
        throw new WeightsFileError(`${file}: cannot read weights shard '${p}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    const buffer = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      const storedAs = w.quantization?.dtype ?? w.dtype;
      const size = STORED_BYTES[storedAs];
      if (size === undefined) throw new WeightsFileError(`${file}: ${w.name}: unsupported dtype ${storedAs}`);
      const count = numel(w.shape);
      const start = offset;
      offset += count * size;
      if (offset > buffer.byteLength) {
        throw new WeightsFileError(`${file}: ${w.name}: shards hold ${buffer.byteLength} bytes, the manifest needs ${offset}`);
      }
      const bytes = buffer.subarray(start, offset);
      const where = `${file}: ${w.name}`;
      tensors.set(w.name, {
        key: w.name,
        shape: w.shape,
        dtype: storedAs,
        read: () => decodeManifestWeight(bytes, w, count, where),
      });
    }
  }
  return { file, format: 'tfjs', tensors };
}

function decodeManifestWeight(bytes: Uint8Array, w: ManifestWeight, count: number, where: string): Float32Array {
  const q = w.quantization;
  if (q?.dtype === 'float16') return decodeToFloat32(bytes, 'F16', count, where);
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    const raw = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = raw[i]! * scale + min;
    return out;
  }
  if (w.dtype === 'float32') return decodeToFloat32(bytes, 'F32', count, where);
  throw new WeightsFileError(`${where}: dtype ${w.dtype} is not a floating-point weight`);
}
