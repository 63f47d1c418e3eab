/**
 * safetensors: an 8-byte little-endian header length, a JSON header {key: {dtype, shape, data_offsets}} and
 * the raw little-endian data (offsets relative to the end of the header).
 */
import { decodeToFloat32, numel, WeightsFileError, type SourceTensor, type WeightsSource } from './source.ts';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export function readSafetensors(file: string, bytes: Uint8Array): WeightsSource {
  if (bytes.byteLength < 8) throw new WeightsFileError(`${file}: too short for safetensors (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.byteLength - 8)) {
    throw new WeightsFileError(`${file}: safetensors header length ${headerLength} exceeds the file size ${bytes.byteLength}`);
  }
  const n = Number(headerLength);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new WeightsFileError(`${file}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, SourceTensor>();
  for (const [key, raw] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const entry = raw as HeaderEntry;
    const where = `${file}: ${key}`;
    if (!entry || typeof entry.dtype !== 'string' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw new WeightsFileError(`${where}: header entry needs dtype, shape and data_offsets, received ${JSON.stringify(raw)}`);
    }
    const [begin, end] = entry.data_offsets;
    const size = BYTES[entry.dtype];
    if (size !== undefined && end - begin !== numel(entry.shape) * size) {
      throw new WeightsFileError(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ${entry.dtype} ${JSON.stringify(entry.shape)} needs ${numel(entry.shape) * size}`);
    }
    if (end > data.byteLength || begin < 0 || begin > end) {
      throw new WeightsFileError(`${where}: data_offsets [${begin}, ${end}] lie outside the ${data.byteLength} data bytes`);
    }
    tensors.set(key, {
      key,
      shape: entry.shape,
      dtype: entry.dtype,
      read: () => decodeToFloat32(data.subarray(begin, end), entry.dtype, numel(entry.shape), where),
    });
  }
  const metadata = header.__metadata__ as Record<string, string> | undefined;
  return { file, format: 'safetensors', tensors, ...(metadata ? { metadata } : {}) };
}
