import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDataset } from './fetch.ts';
import { makeFolder, tempDir } from './testing/helpers.ts';

let archive: Buffer;
let sha: string;
let server: http.Server;
let base: string;
/** Requests seen by the server: path and Range header. */
const seen: { url: string; range: string | undefined }[] = [];
/** When set, the next full (non-range) response stops after this many bytes and the connection closes. */
let cutNextAt: number | null = null;

beforeAll(async () => {
  const dir = await tempDir();
  await makeFolder(path.join(dir, 'tiny_photos'), { a: 3, b: 3 }, [40, 30]);
  const file = path.join(dir, 'tiny_photos.tgz');
  await tar.c({ gzip: true, file, cwd: dir }, ['tiny_photos']);
  archive = await fs.readFile(file);
  sha = crypto.createHash('sha256').update(archive).digest('hex');
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, range: req.headers.range });
    if (req.url === '/missing.tgz') {
      res.writeHead(404).end();
      return;
    }
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= archive.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${archive.length}` }).end();
      return;
    }
    const body = archive.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'Content-Length': body.length,
      ...(range ? { 'Content-Range': `bytes ${start}-${archive.length - 1}/${archive.length}` } : {}),
    });
    if (cutNextAt !== null && !range) {
      const cut = cutNextAt;
      cutNextAt = null;
      // end() sends the bytes written so far, then closes: the client sees the body stop early.
      res.write(body.subarray(0, cut), () => res.socket?.end());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('fetchDataset (local server on 127.0.0.1)', () => {
  it('downloads, checks size and sha256, extracts; a second call neither downloads nor extracts', async () => {
    const dest = await tempDir();
    const r = await fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: sha, size: archive.length });
    expect(r).toMatchObject({ file: path.join(dest, 'tiny_photos.tgz'), root: path.join(dest, 'tiny_photos'), bytes: archive.length, sha256: sha, downloaded: true, resumed: false, extracted: true });
    expect((await fs.readdir(path.join(dest, 'tiny_photos', 'a'))).length).toBe(3);
    const before = seen.length;
    const again = await fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: sha });
    expect(again).toMatchObject({ downloaded: false, extracted: false, root: path.join(dest, 'tiny_photos') });
    expect(seen.length).toBe(before);
  });

  it('resumes with an HTTP Range request after the connection drops', async () => {
    const dest = await tempDir();
    cutNextAt = Math.floor(archive.length / 3);
    const before = seen.length;
    const r = await fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: sha });
    expect(r.resumed).toBe(true);
    const mine = seen.slice(before);
    expect(mine[0]!.range).toBeUndefined();
    expect(mine[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)/.exec(mine[1]!.range!)![1])).toBeGreaterThan(0);
    expect(await fs.readFile(r.file)).toEqual(archive);
  });

  it('a partial file left by an interrupted run is continued by the next run', async () => {
    const dest = await tempDir();
    cutNextAt = 1000;
    await expect(fetchDataset(`${base}/tiny_photos.tgz`, { dest, retries: 0 })).rejects.toThrow(/download interrupted after \d+ bytes.*run the command again to resume/);
    const partial = (await fs.stat(path.join(dest, 'tiny_photos.tgz.part'))).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(archive.length);
    const before = seen.length;
    const r = await fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: sha });
    expect(seen[before]!.range).toBe(`bytes=${partial}-`);
    expect(r).toMatchObject({ resumed: true, sha256: sha, extracted: true });
  });

  it('a checksum mismatch is an error and removes the download', async () => {
    const dest = await tempDir();
    const wrong = '0'.repeat(64);
    await expect(fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: wrong })).rejects.toThrow(`checksum mismatch: expected sha256 ${wrong}, received ${sha}`);
    expect(await fs.readdir(dest)).toEqual([]);
  });

  it('a size mismatch, an HTTP error and an unknown name are clear errors', async () => {
    const dest = await tempDir();
    await expect(fetchDataset(`${base}/tiny_photos.tgz`, { dest, size: archive.length + 5 })).rejects.toThrow(`size ${archive.length} bytes, expected ${archive.length + 5}`);
    await expect(fetchDataset(`${base}/missing.tgz`, { dest })).rejects.toThrow(/HTTP 404/);
    await expect(fetchDataset('imagenet', { dest })).rejects.toThrow("unknown dataset 'imagenet'; known: flowers, or give an http(s) URL");
    await expect(fetchDataset('ftp://example.org/x.tgz', { dest })).rejects.toThrow(/only http and https/);
  });

  it('an existing file that does not match is never overwritten', async () => {
    const dest = await tempDir();
    await fs.writeFile(path.join(dest, 'tiny_photos.tgz'), 'something else');
    await expect(fetchDataset(`${base}/tiny_photos.tgz`, { dest, sha256: sha })).rejects.toThrow(/already exists but does not match .* remove it to download again/);
    expect(await fs.readFile(path.join(dest, 'tiny_photos.tgz'), 'utf8')).toBe('something else');
  });
});
