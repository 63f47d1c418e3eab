/**
 * `vgglab data fetch <name|url> [--dest data]`: download with resume (HTTP Range on the partial file),
 * size and SHA-256 checks, and extraction of .tgz/.tar.gz/.tar archives.
 */
import crypto from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { DEFAULT_FETCH_RETRIES, KNOWN_DATASETS } from './defaults.ts';

export class FetchError extends Error {
  override name = 'FetchError';
}

export interface FetchOptions {
  /** Folder for the download and the extracted data; default 'data'. */
  dest?: string;
  /** Expected SHA-256 (hex); a mismatch is an error and the download is removed. */
  sha256?: string;
  /** Expected size in bytes. */
  size?: number;
  /** Resumes after a dropped connection this many times; default 3. */
  retries?: number;
  /** Extract archives (default true). */
  extract?: boolean;
  /** Called as bytes arrive (total when known). */
  onProgress?(received: number, total: number | undefined): void;
}

export interface FetchResult {
  url: string;
  /** The downloaded file. */
  file: string;
  /** The extracted dataset folder (null when not an archive or extract: false). */
  root: string | null;
  bytes: number;
  sha256: string;
  /** False when the complete file was already there. */
  downloaded: boolean;
  /** True when a partial download was continued. */
  resumed: boolean;
  extracted: boolean;
}

const isArchive = (name: string) => /\.(tgz|tar\.gz|tar)$/i.test(name);
const EXTRACTED_MARKER = '.vgglab-extracted';

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return null;
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function resolveSource(nameOrUrl: string, options: FetchOptions) {
  const known = KNOWN_DATASETS[nameOrUrl];
  if (known) return { url: known.url, size: options.size ?? known.size, sha256: options.sha256 ?? known.sha256, extractsTo: known.extractsTo as string | undefined };
  let url: URL;
  try {
    url = new URL(nameOrUrl);
  } catch {
    throw new FetchError(`unknown dataset '${nameOrUrl}'; known: ${Object.keys(KNOWN_DATASETS).join(', ')}, or give an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(`only http and https URLs can be fetched, received '${nameOrUrl}'`);
  return { url: url.href, size: options.size, sha256: options.sha256, extractsTo: undefined };
}

/** GET with redirects followed (up to five). */
function get(url: string, headers: Record<string, string>, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects === 0) return reject(new FetchError(`${url}: too many redirects`));
        return resolve(get(new URL(res.headers.location, url).href, headers, redirects - 1));
      }
      resolve(res);
    });
    req.on('error', (e) => reject(new FetchError(`${url}: the connection closed early (${e.message})`)));
  });
}

/** One request from `offset`; appends to `part`. Returns the total size announced by the server. */
async function downloadFrom(url: string, part: string, offset: number, onBytes: (n: number, total: number | undefined) => void): Promise<{ total: number | undefined; complete: boolean }> {
  const res = await get(url, offset > 0 ? { Range: `bytes=${offset}-` } : {});
  const status = res.statusCode ?? 0;
  if (status === 416 && offset > 0) {
    // Range past the end: the partial file is already complete (checked by size/checksum next).
    res.resume();
    const m = /\/(\d+)$/.exec(res.headers['content-range'] ?? '');
    return { total: m ? Number(m[1]) : offset, complete: true };
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new FetchError(`${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }
  let start = 0;
  let total: number | undefined;
  if (status === 206) {
    const m = /bytes (\d+)-\d+\/(\d+|\*)/.exec(res.headers['content-range'] ?? '');
    if (!m || Number(m[1]) !== offset) {
      res.resume();
      throw new FetchError(`${url}: the server answered a resume request with an unexpected range (${res.headers['content-range']})`);
    }
    start = offset;
    total = m[2] === '*' ? undefined : Number(m[2]);
  } else {
    const length = res.headers['content-length'];
    total = length ? Number(length) : undefined; // a full answer: start again from byte 0
  }
  let received = start;
  // Chunks are written synchronously as they arrive ('data' events), so every byte received before a
  // dropped connection is on disk for the next resume.
  const fd = openSync(part, start > 0 ? 'a' : 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        writeSync(fd, chunk);
        received += chunk.length;
        onBytes(received, total);
      });
      res.on('end', () => (res.complete ? resolve() : reject(new Error('incomplete response'))));
      res.on('aborted', () => reject(new Error('aborted')));
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve() : reject(new Error('connection closed'))));
    });
  } catch (e) {
    throw new FetchError(`${url}: the connection closed early (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
  return { total, complete: total === undefined || received >= total };
}

/** Downloads (resuming a partial file), verifies and extracts a dataset. Never fetches when already complete. */
export async function fetchDataset(nameOrUrl: string, options: FetchOptions = {}): Promise<FetchResult> {
  const source = resolveSource(nameOrUrl, options);
  const dest = path.resolve(options.dest ?? 'data');
  await fs.mkdir(dest, { recursive: true });
  const name = decodeURIComponent(path.posix.basename(new URL(source.url).pathname)) || 'download';
  const file = path.join(dest, name);
  const part = `${file}.part`;
  const retries = options.retries ?? DEFAULT_FETCH_RETRIES;

  const verify = async (f: string, announced: number | undefined) => {
    const bytes = (await sizeOf(f)) ?? 0;
    const want = source.size ?? announced;
    if (want !== undefined && bytes !== want) return { ok: false as const, why: `size ${bytes} bytes, expected ${want}`, bytes, sha: '' };
    const sha = await sha256Of(f);
    if (source.sha256 && sha.toLowerCase() !== source.sha256.toLowerCase()) return { ok: false as const, why: `checksum mismatch: expected sha256 ${source.sha256}, received ${sha}`, bytes, sha };
    return { ok: true as const, why: '', bytes, sha };
  };

  let downloaded = false;
  let resumed = false;
  let bytes: number;
  let sha: string;
  if ((await sizeOf(file)) !== null) {
    const v = await verify(file, undefined);
    if (!v.ok) throw new FetchError(`${file} already exists but does not match (${v.why}); remove it to download again`);
    bytes = v.bytes;
    sha = v.sha;
  } else {
    let announced: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const offset = (await sizeOf(part)) ?? 0;
      if (offset > 0) resumed = true;
      try {
        const r = await downloadFrom(source.url, part, offset, (n, t) => options.onProgress?.(n, t));
        announced = r.total;
        if (r.complete) break;
        throw new FetchError(`${source.url}: the connection closed early`);
      } catch (e) {
        if (e instanceof FetchError && !/closed early/.test(e.message)) throw e;
        if (attempt >= retries) {
          const have = (await sizeOf(part)) ?? 0;
          throw new FetchError(`${source.url}: download interrupted after ${have} bytes (${(e as Error).message}); run the command again to resume from ${part}`);
        }
      }
    }
    downloaded = true;
    const v = await verify(part, announced);
    if (!v.ok) {
      await fs.rm(part, { force: true });
      throw new FetchError(`${source.url}: ${v.why}; the download was removed, run the command again`);
    }
    await fs.rename(part, file);
    bytes = v.bytes;
    sha = v.sha;
  }

  let root: string | null = null;
  let extracted = false;
  if (isArchive(name) && options.extract !== false) {
    const tops = new Set<string>();
    await tar.t({ file, onReadEntry: (entry) => tops.add(entry.path.replace(/^\.\//, '').split('/')[0]!) });
    tops.delete('');
    const top = source.extractsTo ?? (tops.size === 1 ? [...tops][0]! : null);
    root = top ? path.join(dest, top) : dest;
    if ((await sizeOf(path.join(root, EXTRACTED_MARKER))) === null) {
      await tar.x({ file, cwd: dest });
      await fs.writeFile(path.join(root, EXTRACTED_MARKER), `${source.url}\n${sha}\n`);
      extracted = true;
    }
  }
  return { url: source.url, file, root, bytes, sha256: sha, downloaded, resumed, extracted };
}
