/**
 * A folder as one file, so a checkpoint folder (model.json, weights.bin, optimizer.bin, state.json) travels through the
 * tracking server as one artifact file with one sha256: `VGGLABDIR1\n`, a little-endian u32 header length, a JSON
 * header (`{ files: [{ name, bytes }] }`, names sorted), then the files' bytes one after the other. Packing the same
 * folder twice gives the same bytes. Unpacking writes into a temporary folder beside the destination (every file
 * fsynced) and then swaps it into place, so a process killed while unpacking leaves the previous folder as it was.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';

const MAGIC = Buffer.from('VGGLABDIR1\n');
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
/** Largest header accepted (a checkpoint has four files). */
const MAX_HEADER_BYTES = 1024 * 1024;

interface BundleHeader {
  files: { name: string; bytes: number }[];
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, name));
    else if (entry.isFile()) out.push(name);
  }
  return out.sort();
}

/** Writes `dir` (its regular files, recursively) as one bundle file at `file`. */
export async function packFolder(dir: string, file: string): Promise<void> {
  const names = listFiles(dir);
  for (const name of names) if (!SAFE_NAME.test(name)) throw new Error(`cannot bundle ${join(dir, name)}: file names may hold only letters, digits, '.', '_' and '-'`);
  const header: BundleHeader = { files: names.map((name) => ({ name, bytes: statSync(join(dir, name)).size })) };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const out = createWriteStream(file, { mode: 0o600 });
  const write = async (chunk: Buffer) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(MAGIC);
  await write(length);
  await write(json);
  for (const name of names) await pipeline(createReadStream(join(dir, name)), out, { end: false });
  out.end();
  await once(out, 'finish');
}

function readExactly(fd: number, length: number, position: number, what: string): Buffer {
  const buffer = Buffer.alloc(length);
  const got = readSync(fd, buffer, 0, length, position);
  if (got !== length) throw new Error(`${what}: the bundle is cut short`);
  return buffer;
}

function readHeader(fd: number, file: string): { header: BundleHeader; dataStart: number } {
  const magic = readExactly(fd, MAGIC.length, 0, file);
  if (!magic.equals(MAGIC)) throw new Error(`${file} is not a vgglab folder bundle`);
  const length = readExactly(fd, 4, MAGIC.length, file).readUInt32LE(0);
  if (length > MAX_HEADER_BYTES) throw new Error(`${file}: bundle header of ${length} bytes is too large`);
  const header = JSON.parse(readExactly(fd, length, MAGIC.length + 4, file).toString('utf8')) as BundleHeader;
  if (!Array.isArray(header.files)) throw new Error(`${file}: bundle header has no file list`);
  for (const f of header.files) {
    if (typeof f.name !== 'string' || !SAFE_NAME.test(f.name) || !Number.isSafeInteger(f.bytes) || f.bytes < 0) {
      throw new Error(`${file}: bundle lists a bad entry ${JSON.stringify(f).slice(0, 100)}`);
    }
  }
  return { header, dataStart: MAGIC.length + 4 + length };
}

/** Copies `bytes` bytes of `fd` from `position` into a new file, fsynced. */
function copyRange(fd: number, position: number, bytes: number, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  const out = openSync(dest, 'w', 0o600);
  try {
    const buffer = Buffer.alloc(Math.min(bytes, 1 << 20) || 1);
    let done = 0;
    while (done < bytes) {
      const want = Math.min(buffer.length, bytes - done);
      const got = readSync(fd, buffer, 0, want, position + done);
      if (got !== want) throw new Error(`the bundle is cut short at ${dest}`);
      let written = 0;
      while (written < got) written += writeSync(out, buffer.subarray(written, got));
      done += got;
    }
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
}

/** Unpacks a bundle into `dest` (replacing what was there once every file is written). */
export function unpackFolder(file: string, dest: string): void {
  const fd = openSync(file, 'r');
  const tmp = join(dirname(dest), `.${basename(dest)}.unpack-${randomUUID()}`);
  try {
    const { header, dataStart } = readHeader(fd, file);
    const total = header.files.reduce((a, f) => a + f.bytes, 0);
    if (statSync(file).size !== dataStart + total) throw new Error(`${file}: the bundle's size does not match its header`);
    let position = dataStart;
    for (const f of header.files) {
      copyRange(fd, position, f.bytes, join(tmp, f.name));
      position += f.bytes;
    }
    const old = existsSync(dest) ? `${tmp}.old` : null;
    if (old) renameSync(dest, old);
    renameSync(tmp, dest);
    if (old) rmSync(old, { recursive: true, force: true });
  } finally {
    closeSync(fd);
    rmSync(tmp, { recursive: true, force: true });
  }
}
