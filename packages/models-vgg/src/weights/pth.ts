/**
 * PyTorch `.pth` / `.pt` files as `torch.save(state_dict)` writes them since torch 1.6: a zip holding
 * `<archive>/data.pkl` (the pickled OrderedDict) and `<archive>/data/<key>` (one raw storage per tensor).
 * Read without Python; only the pickle subset torch emits is understood.
 */
import { unzipSync } from 'fflate';
import { PyGlobal, unpickle } from './pickle.ts';
import { decodeToFloat32, numel, WeightsFileError, type SourceTensor, type WeightsSource } from './source.ts';

const STORAGE_DTYPES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
};

interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: string;
  bytes: number;
}
interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
const isTensorRef = (v: unknown): v is TensorRef => typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor';

export const isZip = (bytes: Uint8Array): boolean => bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

export function readPth(file: string, bytes: Uint8Array): WeightsSource {
  if (!isZip(bytes)) {
    throw new WeightsFileError(
      `${file}: not a zip archive; only torch.save's zip format (torch >= 1.6, the default) is read. ` +
        'Re-save it with torch.save(state_dict, path) from a current PyTorch.',
    );
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new WeightsFileError(`${file}: cannot unzip (${(e as Error).message})`);
  }
  const pklName = Object.keys(entries).find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pklName) throw new WeightsFileError(`${file}: zip has no data.pkl; is it a torch.save file?`);
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new WeightsFileError(`${file}: big-endian tensors are not supported`);
  }

  const root = unpickle(
    entries[pklName]!,
    {
      persistentLoad(pid): StorageRef {
        const [tag, type, key] = pid as [unknown, unknown, unknown];
        if (tag !== 'storage' || !(type instanceof PyGlobal)) {
          throw new WeightsFileError(`${file}: unexpected persistent id ${JSON.stringify(pid)}`);
        }
        const info = STORAGE_DTYPES[type.name];
        if (!info) throw new WeightsFileError(`${file}: unsupported storage type ${type.qualified}`);
        return { kind: 'storage', key: String(key), ...info };
      },
      reduce(fn, args) {
        if (fn.qualified === 'torch._utils._rebuild_tensor_v2' || fn.qualified === 'torch._utils._rebuild_tensor') {
          const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
          return { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] } satisfies TensorRef;
        }
        if (fn.qualified === 'torch._utils._rebuild_parameter') return args[0];
        if (fn.qualified === 'collections.OrderedDict') {
          const m = new Map<unknown, unknown>();
          for (const pair of (args[0] as [unknown, unknown][] | undefined) ?? []) m.set(pair[0], pair[1]);
          return m;
        }
        return undefined;
      },
    },
    `${file}: ${pklName}`,
  );

  const stateDict = findStateDict(root);
  if (!stateDict) {
    throw new WeightsFileError(
      `${file}: holds no state_dict (a dict of tensors, or a dict with 'state_dict' / 'model' holding one); save with torch.save(model.state_dict(), path)`,
    );
  }
  const tensors = new Map<string, SourceTensor>();
  for (const [rawKey, value] of stateDict) {
    if (!isTensorRef(value)) continue;
    const key = String(rawKey).replace(/^module\./, '');
    const t = value;
    tensors.set(key, {
      key,
      shape: t.shape,
      dtype: t.storage.dtype,
      read: () => readTensor(file, key, entries[`${prefix}data/${t.storage.key}`], t),
    });
  }
  return { file, format: 'pytorch', tensors };
}

/** The dict of tensors: the root itself, or under 'state_dict' / 'model' (training-script checkpoints). */
function findStateDict(root: unknown): Map<unknown, unknown> | undefined {
  if (!(root instanceof Map)) return undefined;
  if ([...root.values()].some(isTensorRef)) return root;
  for (const k of ['state_dict', 'model', 'model_state_dict', 'net']) {
    const inner = root.get(k);
    if (inner instanceof Map && [...inner.values()].some(isTensorRef)) return inner;
  }
  return undefined;
}

function readTensor(file: string, key: string, storage: Uint8Array | undefined, t: TensorRef): Float32Array {
  const where = `${file}: ${key}`;
  if (!storage) throw new WeightsFileError(`${where}: storage data/${t.storage.key} missing from the zip`);
  const count = numel(t.shape);
  const contiguous = t.shape.every((_, d) => t.shape[d] === 1 || t.stride[d] === numel(t.shape.slice(d + 1)));
  if (contiguous) {
    return decodeToFloat32(storage.subarray(t.offset * t.storage.bytes), t.storage.dtype, count, where);
  }
  // A strided view (e.g. a transposed tensor saved as is): decode the storage, then gather.
  const all = decodeToFloat32(storage, t.storage.dtype, storage.byteLength / t.storage.bytes, where);
  const out = new Float32Array(count);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let o = 0; o < count; o++) {
    let src = t.offset;
    for (let d = 0; d < idx.length; d++) src += idx[d]! * t.stride[d]!;
    out[o] = all[src]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
