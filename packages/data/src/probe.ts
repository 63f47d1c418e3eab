/**
 * Image headers without decoding pixels. JPEG and PNG headers are parsed here from the first bytes of the
 * file (no libvips call at all); other formats ask sharp for metadata, which reads only the header.
 */
import fs from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { HEADER_PROBE_BYTES } from './defaults.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | string;

export interface ImageHeader {
  format: ImageFormat;
  /** Width and height after EXIF orientation is applied (what the decoded image will measure). */
  width: number;
  height: number;
  /** EXIF orientation 1-8; 1 when absent. */
  orientation: number;
  /** Bytes on disk. */
  bytes: number;
  /** Last modification (ms since epoch), for cache keys. */
  mtimeMs: number;
}

/** A file that cannot be used as an image, with the reason. */
export class BadImageError extends Error {
  override name = 'BadImageError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

interface RawHeader {
  format: ImageFormat;
  width: number;
  height: number;
  orientation: number;
}

function exifOrientation(buf: Buffer, start: number, end: number): number {
  // TIFF header inside APP1 after "Exif\0\0".
  const t = start;
  if (end - t < 8) return 1;
  const little = buf.toString('latin1', t, t + 2) === 'II';
  const u16 = (o: number) => (little ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const ifd = t + u32(t + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (u16(entry) === 0x0112) {
      const v = u16(entry + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** Returns the header, null when more bytes are needed, or throws a reason. */
function parseJpeg(buf: Buffer): RawHeader | null {
  let orientation = 1;
  let o = 2;
  while (o + 4 <= buf.length) {
    if (buf[o] !== 0xff) throw new Error('corrupt JPEG header (marker expected)');
    const marker = buf[o + 1]!;
    if (marker === 0xff) {
      o += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const len = buf.readUInt16BE(o + 2);
    if (len < 2) throw new Error('corrupt JPEG header (segment length)');
    const segEnd = o + 2 + len;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (o + 10 > buf.length) return null;
      const height = buf.readUInt16BE(o + 5);
      const width = buf.readUInt16BE(o + 7);
      if (width === 0 || height === 0) throw new Error('corrupt JPEG header (zero size)');
      return { format: 'jpeg', width, height, orientation };
    }
    if (marker === 0xda || marker === 0xd9) throw new Error('corrupt JPEG header (no frame header)');
    if (marker === 0xe1 && buf.toString('latin1', o + 4, o + 10) === 'Exif\0\0') {
      if (segEnd > buf.length) return null;
      orientation = exifOrientation(buf, o + 10, segEnd);
    }
    o = segEnd;
  }
  return null;
}

function parsePng(buf: Buffer): RawHeader | null {
  if (buf.length < 24) return null;
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('corrupt PNG header (no IHDR)');
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  if (width === 0 || height === 0) throw new Error('corrupt PNG header (zero size)');
  return { format: 'png', width, height, orientation: 1 };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Parses a JPEG or PNG header from leading bytes; null when the format is another or more bytes are needed. */
export function parseHeader(buf: Buffer): RawHeader | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return parseJpeg(buf);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return parsePng(buf);
  return null;
}

function oriented(h: RawHeader, bytes: number, mtimeMs: number): ImageHeader {
  const swap = h.orientation >= 5;
  return {
    format: h.format,
    width: swap ? h.height : h.width,
    height: swap ? h.width : h.height,
    orientation: h.orientation,
    bytes,
    mtimeMs,
  };
}

/** Explains a libvips/sharp error in a user's words. */
export function describeDecodeError(message: string): string {
  const m = message.replace(/\s+/g, ' ').trim();
  if (/premature end|unexpected end|truncated|read error|short read|end of (file|data|stream)/i.test(m)) return `truncated or corrupt (${m})`;
  if (/unsupported image format|corrupt header|not a known|unable to parse/i.test(m)) return `not an image or unsupported format (${m})`;
  return `corrupt (${m})`;
}

/** True when a JPEG or PNG file ends before its end marker (EOI / IEND): cut short in a copy or download. */
async function endsEarly(file: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    const tail = Buffer.alloc(Math.min(size, 64));
    await handle.read(tail, 0, tail.length, size - tail.length);
    if (head[0] === 0xff && head[1] === 0xd8) {
      let end = tail.length;
      while (end > 0 && tail[end - 1] === 0) end--; // some writers pad after EOI
      return !(end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9);
    }
    if (head.equals(PNG_SIGNATURE)) return !tail.includes('IEND');
    return false;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * The reason a file failed to decode. libvips' error text is process-global and sometimes only says
 * "warning treated as error", so truncation is checked from the file itself, independent of that text.
 */
export async function explainDecodeFailure(file: string, error: unknown): Promise<BadImageError> {
  if (error instanceof BadImageError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' || /Input file is missing/i.test(e.message ?? '')) return new BadImageError(file, 'unreadable (file not found)');
  const message = (e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  if (await endsEarly(file)) return new BadImageError(file, `truncated (the file ends before the image data does; ${message})`);
  if (/treated as error/i.test(message)) return new BadImageError(file, `corrupt (libvips reported a decoding warning: ${message})`);
  return new BadImageError(file, describeDecodeError(message));
}

/**
 * Reads an image's header: size after EXIF orientation, format. Throws BadImageError (empty file, not an
 * image, unreadable) with the reason; pixels are not decoded, so truncated data is found only by decoding.
 */
export async function probeImage(file: string): Promise<ImageHeader> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    throw new BadImageError(file, `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let bytes = 0;
  let mtimeMs = 0;
  let parsed: RawHeader | null = null;
  try {
    const stat = await handle.stat();
    bytes = stat.size;
    mtimeMs = stat.mtimeMs;
    if (!stat.isFile()) throw new BadImageError(file, 'not a regular file');
    if (bytes === 0) throw new BadImageError(file, 'empty file (0 bytes)');
    let head = Buffer.alloc(Math.min(bytes, HEADER_PROBE_BYTES));
    head = head.subarray(0, (await handle.read(head, 0, head.length, 0)).bytesRead);
    const known = (head[0] === 0xff && head[1] === 0xd8) || head.subarray(0, 8).equals(PNG_SIGNATURE);
    try {
      parsed = parseHeader(head);
      if (parsed === null && known && head.length < bytes) {
        // Large APP segments (ICC profiles, thumbnails) before the frame header: read the whole file.
        const all = Buffer.alloc(bytes);
        await handle.read(all, 0, bytes, 0);
        parsed = parseHeader(all);
      }
    } catch (e) {
      throw new BadImageError(file, (e as Error).message);
    }
    if (parsed === null && known) throw new BadImageError(file, 'truncated or corrupt (header incomplete)');
  } catch (e) {
    if (e instanceof BadImageError) throw e;
    throw new BadImageError(file, `unreadable (${(e as Error).message})`);
  } finally {
    await handle.close();
  }
  if (parsed) return oriented(parsed, bytes, mtimeMs);
  let meta: Metadata;
  try {
    meta = await sharp(file).metadata();
  } catch (e) {
    throw new BadImageError(file, describeDecodeError((e as Error).message));
  }
  if (!meta.width || !meta.height || !meta.format) throw new BadImageError(file, 'not an image (no size in header)');
  const pageHeight = meta.pageHeight && meta.pages && meta.pages > 1 ? meta.pageHeight : meta.height;
  return oriented({ format: meta.format, width: meta.width, height: pageHeight, orientation: meta.orientation ?? 1 }, bytes, mtimeMs);
}
