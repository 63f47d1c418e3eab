import { mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp.ts';
import { packFolder, unpackFolder } from './bundle.ts';

function folder(dir: string, files: Record<string, string | Buffer>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe('folder bundles', () => {
  it('pack then unpack gives the same files; packing twice gives the same bytes', async () => {
    const root = tempDir();
    const src = folder(join(root, 'ckpt'), { 'model.json': '{"a":1}', 'weights.bin': Buffer.alloc(300_000, 9), 'empty.bin': '', 'sub/state.json': '{}' });
    await packFolder(src, join(root, 'one.bundle'));
    await packFolder(src, join(root, 'two.bundle'));
    expect(readFileSync(join(root, 'one.bundle')).equals(readFileSync(join(root, 'two.bundle')))).toBe(true);
    const dest = folder(join(root, 'dest'), { 'stale.bin': 'from before' });
    unpackFolder(join(root, 'one.bundle'), dest);
    expect(readdirSync(dest).sort()).toEqual(['empty.bin', 'model.json', 'sub', 'weights.bin']);
    expect(readFileSync(join(dest, 'weights.bin')).equals(Buffer.alloc(300_000, 9))).toBe(true);
    expect(readFileSync(join(dest, 'sub', 'state.json'), 'utf8')).toBe('{}');
    expect(statSync(join(dest, 'empty.bin')).size).toBe(0);
    expect(readdirSync(root).sort()).toEqual(['ckpt', 'dest', 'one.bundle', 'two.bundle']);
  });

  it('a bundle cut short, or not a bundle, is refused and leaves the destination as it was', async () => {
    const root = tempDir();
    const src = folder(join(root, 'ckpt'), { 'weights.bin': Buffer.alloc(50_000, 1) });
    const file = join(root, 'b.bundle');
    await packFolder(src, file);
    truncateSync(file, statSync(file).size - 10);
    const dest = folder(join(root, 'dest'), { 'weights.bin': 'previous' });
    expect(() => unpackFolder(file, dest)).toThrow(/size does not match its header/);
    writeFileSync(join(root, 'x.bundle'), 'not a bundle at all');
    expect(() => unpackFolder(join(root, 'x.bundle'), dest)).toThrow(/is not a vgglab folder bundle/);
    expect(readFileSync(join(dest, 'weights.bin'), 'utf8')).toBe('previous');
    expect(readdirSync(root).sort()).toEqual(['b.bundle', 'ckpt', 'dest', 'x.bundle']);
  });

  it('refuses file names that could leave the folder', async () => {
    const root = tempDir();
    const src = folder(join(root, 'ckpt'), { 'ok.bin': 'x', '.hidden': 'y' });
    await expect(packFolder(src, join(root, 'b.bundle'))).rejects.toThrow(/file names may hold only/);
    // A crafted bundle naming ../escape is refused before anything is written.
    const header = Buffer.from(JSON.stringify({ files: [{ name: '../escape', bytes: 1 }] }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    writeFileSync(join(root, 'evil.bundle'), Buffer.concat([Buffer.from('VGGLABDIR1\n'), length, header, Buffer.from('x')]));
    expect(() => unpackFolder(join(root, 'evil.bundle'), join(root, 'dest'))).toThrow(/bad entry/);
    expect(readdirSync(root).sort()).toEqual(['ckpt', 'evil.bundle']);
  });
});
