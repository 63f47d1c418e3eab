import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, geometryInJs, geometryWithSharp, loadImageForInference } from './decode.ts';
import { BadImageError, probeImage } from './probe.ts';
import { pattern, rawImage, tempDir } from './testing/helpers.ts';

let dir: string;
const W = 24;
const H = 16;
const RED: [number, number, number] = [220, 20, 20];

beforeAll(async () => {
  dir = await tempDir();
});

const f = (name: string) => path.join(dir, name);

/** Mean colour of an RGB buffer. */
function mean(data: Uint8Array): [number, number, number] {
  const s = [0, 0, 0];
  for (let i = 0; i < data.length; i++) s[i % 3]! += data[i]!;
  const n = data.length / 3;
  return [s[0]! / n, s[1]! / n, s[2]! / n];
}

describe('formats decode to 8-bit RGB with the size from the header', () => {
  const cases: [string, (s: Sharp) => Sharp][] = [
    ['rgb.jpg', (s) => s.jpeg({ quality: 95 })],
    ['rgb.png', (s) => s.png()],
    ['rgb.webp', (s) => s.webp({ lossless: true })],
    ['rgb.gif', (s) => s.gif()],
    ['rgb.tiff', (s) => s.tiff()],
  ];
  for (const [name, encode] of cases) {
    it(name, async () => {
      await encode(rawImage(W, H, RED)).toFile(f(name));
      const header = await probeImage(f(name));
      expect([header.width, header.height]).toEqual([W, H]);
      const img = await decodeImage(f(name));
      expect([img.width, img.height, img.channels, img.data.length]).toEqual([W, H, 3, W * H * 3]);
      const m = mean(img.data);
      expect(m[0]).toBeGreaterThan(180);
      expect(m[2]).toBeLessThan(60);
    });
  }

  it('GIF: an animated file gives its first frame', async () => {
    const frame = (rgb: [number, number, number]) => sharp({ create: { width: W, height: H, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
    await sharp([await frame([250, 0, 0]), await frame([0, 0, 250])], { join: { animated: true } }).gif().toFile(f('anim.gif'));
    const meta = await sharp(f('anim.gif'), { animated: true }).metadata();
    expect(meta.pages).toBe(2);
    const header = await probeImage(f('anim.gif'));
    expect([header.width, header.height]).toEqual([W, H]);
    const img = await decodeImage(f('anim.gif'));
    expect([img.width, img.height]).toEqual([W, H]);
    const m = mean(img.data);
    expect(m[0]).toBeGreaterThan(200);
    expect(m[2]).toBeLessThan(50);
  });
});

describe('colour spaces become 8-bit RGB', () => {
  it('grayscale PNG and JPEG', async () => {
    const gray = Buffer.alloc(W * H, 100);
    await sharp(gray, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toFile(f('gray.png'));
    await sharp(gray, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').jpeg().toFile(f('gray.jpg'));
    for (const name of ['gray.png', 'gray.jpg']) {
      expect((await sharp(f(name)).metadata()).channels).toBe(1);
      const img = await decodeImage(f(name));
      expect(img.channels).toBe(3);
      expect(img.data.length).toBe(W * H * 3);
      for (const v of mean(img.data)) expect(Math.abs(v - 100)).toBeLessThan(3);
    }
  });

  it('CMYK JPEG', async () => {
    await rawImage(W, H, RED).toColourspace('cmyk').jpeg().toFile(f('cmyk.jpg'));
    expect((await sharp(f('cmyk.jpg')).metadata()).space).toBe('cmyk');
    const img = await decodeImage(f('cmyk.jpg'));
    expect(img.channels).toBe(3);
    const m = mean(img.data);
    expect(m[0]).toBeGreaterThan(150);
    expect(m[1]).toBeLessThan(90);
  });

  it('16-bit PNG', async () => {
    await rawImage(W, H, RED).toColourspace('rgb16').png().toFile(f('deep.png'));
    expect((await sharp(f('deep.png')).metadata()).depth).toBe('ushort');
    const img = await decodeImage(f('deep.png'));
    expect(img.data.length).toBe(W * H * 3);
    const m = mean(img.data);
    expect(m[0]).toBeGreaterThan(180);
    expect(m[0]).toBeLessThanOrEqual(255);
  });

  it('alpha PNG and gray+alpha PNG drop the alpha channel', async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set([10, 200, 10, i % 2 ? 0 : 255], i * 4);
    await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(f('alpha.png'));
    const img = await decodeImage(f('alpha.png'));
    expect(img.data.length).toBe(W * H * 3);
    expect(mean(img.data)[1]).toBeGreaterThan(190);
    const ga = Buffer.alloc(W * H * 2);
    for (let i = 0; i < W * H; i++) ga.set([90, 128], i * 2);
    await sharp(ga, { raw: { width: W, height: H, channels: 2 } }).toColourspace('b-w').png().toFile(f('gray-alpha.png'));
    const g = await decodeImage(f('gray-alpha.png'));
    expect(g.data.length).toBe(W * H * 3);
    for (const v of mean(g.data)) expect(Math.abs(v - 90)).toBeLessThan(3);
  });

  it('decodes to one channel when asked (grayscale models)', async () => {
    await rawImage(W, H, RED).png().toFile(f('for-gray.png'));
    const img = await decodeImage(f('for-gray.png'), { channels: 1 });
    expect([img.channels, img.data.length]).toEqual([1, W * H]);
  });
});

describe('EXIF orientation', () => {
  it('is applied: orientation 6 swaps the size and rotates the pixels', async () => {
    // Left half red, right half blue; orientation 6 = rotate 90 degrees clockwise to display.
    const px = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) px.set(x < W / 2 ? [230, 0, 0] : [0, 0, 230], (y * W + x) * 3);
    await sharp(px, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(f('rot6.jpg'));
    const header = await probeImage(f('rot6.jpg'));
    expect(header.orientation).toBe(6);
    expect([header.width, header.height]).toEqual([H, W]);
    const img = await decodeImage(f('rot6.jpg'));
    expect([img.width, img.height]).toEqual([H, W]);
    // After a clockwise turn, the former left (red) half is the top.
    const top = mean(img.data.subarray(0, (img.width * img.height * 3) / 4));
    const bottom = mean(img.data.subarray((img.width * img.height * 3 * 3) / 4));
    expect(top[0]).toBeGreaterThan(150);
    expect(bottom[2]).toBeGreaterThan(150);
    // The geometry path (crop + resize in one libvips pipeline) uses the same orientation.
    const pixels = await geometryWithSharp({ file: f('rot6.jpg'), header }, { pre: null, resize: { width: 8, height: 12 }, post: null, flip: false, interpolation: 'bilinear', width: 8, height: 12 }, 3);
    expect(mean(pixels.subarray(0, 8 * 3 * 3))[0]).toBeGreaterThan(150);
  });
});

describe('bad files give BadImageError with a reason', () => {
  const expectBad = async (file: string, reason: RegExp) => {
    const err = await (async () => {
      try {
        await probeImage(file);
        await decodeImage(file);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(BadImageError);
    expect((err as BadImageError).file).toBe(file);
    expect((err as BadImageError).reason).toMatch(reason);
  };

  it('empty file', async () => {
    await fs.writeFile(f('empty.jpg'), '');
    await expectBad(f('empty.jpg'), /empty file/);
  });
  it('not an image', async () => {
    await fs.writeFile(f('notes.jpg'), 'this is text, not a picture');
    await expectBad(f('notes.jpg'), /not an image/);
  });
  it('truncated JPEG', async () => {
    const jpg = await sharp(pattern(64, 48, RED), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    await fs.writeFile(f('cut.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    await expectBad(f('cut.jpg'), /truncated/);
  });
  it('truncated PNG', async () => {
    const png = await sharp(pattern(64, 48, RED), { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer();
    await fs.writeFile(f('cut.png'), png.subarray(0, Math.floor(png.length * 0.6)));
    await expectBad(f('cut.png'), /truncated|corrupt/);
  });
  it('corrupt JPEG data', async () => {
    const jpg = await sharp(pattern(64, 48, RED), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    const mid = Math.floor(jpg.length / 2);
    const broken = Buffer.from(jpg);
    for (let i = mid - 50, s = 1; i < mid + 50; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      broken[i] = (s >>> 24) % 255; // garbage entropy-coded data (no 0xff marker bytes)
    }
    await fs.writeFile(f('corrupt.jpg'), broken);
    await expectBad(f('corrupt.jpg'), /corrupt/i);
  });
  it('corrupt JPEG header', async () => {
    const jpg = await sharp(pattern(64, 48, RED), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    const broken = Buffer.from(jpg);
    broken[2] = 0xff;
    broken[3] = 0x00; // a marker byte that is not a marker
    broken[4] = 0x00;
    await fs.writeFile(f('badheader.jpg'), broken);
    await expectBad(f('badheader.jpg'), /corrupt|not an image/);
  });
  it('unreadable (dangling link)', async () => {
    await fs.symlink(f('does-not-exist.jpg'), f('dangling.jpg'));
    await expectBad(f('dangling.jpg'), /unreadable/);
  });
});

describe('geometry', () => {
  it('libvips and the JS resampler agree on crop + resize + flip', async () => {
    const px = pattern(40, 30, [100, 50, 20]);
    const raw = { data: new Uint8Array(px), width: 40, height: 30, channels: 3 as const };
    const g = { pre: { left: 5, top: 3, width: 20, height: 20 }, resize: { width: 10, height: 10 }, post: null, flip: true, interpolation: 'bilinear' as const, width: 10, height: 10 };
    const a = await geometryWithSharp({ raw }, g, 3);
    const b = geometryInJs(raw, g);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    expect(diff).toBeLessThan(40);
    // Flip: the first output column of the flipped crop is the last input column's neighbourhood.
    const noflip = geometryInJs(raw, { ...g, flip: false });
    expect(Array.from(b.subarray(0, 3))).toEqual(Array.from(noflip.subarray(9 * 3, 10 * 3)));
  });

  it('identity geometry in JS copies the pixels', () => {
    const px = new Uint8Array(pattern(8, 6, [1, 2, 3]));
    const out = geometryInJs({ data: px, width: 8, height: 6, channels: 3 }, { pre: null, resize: null, post: null, flip: false, interpolation: 'bilinear', width: 8, height: 6 });
    expect(Array.from(out)).toEqual(Array.from(px));
  });
});

describe('files are read by Node and decoded from the bytes', () => {
  it('gives the same pixels as libvips reading the file itself', async () => {
    const px = pattern(120, 90, [90, 140, 200]);
    await sharp(px, { raw: { width: 120, height: 90, channels: 3 } }).jpeg({ quality: 90 }).toFile(f('bytes.jpg'));
    const header = await probeImage(f('bytes.jpg'));
    const g = { pre: { left: 7, top: 5, width: 80, height: 60 }, resize: { width: 32, height: 24 }, post: null, flip: true, interpolation: 'bilinear' as const, width: 32, height: 24 };
    const ours = await geometryWithSharp({ file: f('bytes.jpg'), header }, g, 3);
    const direct = await sharp(f('bytes.jpg')).extract(g.pre).resize(32, 24, { fit: 'fill', kernel: 'linear' }).flop().raw().toBuffer();
    expect(Buffer.from(ours).equals(direct)).toBe(true);
  });

  it('a file removed after its header was read is unreadable (not corrupt), by name', async () => {
    await rawImage(W, H, RED).jpeg().toFile(f('gone.jpg'));
    const header = await probeImage(f('gone.jpg'));
    await fs.rm(f('gone.jpg'));
    const g = { pre: null, resize: { width: 8, height: 8 }, post: null, flip: false, interpolation: 'bilinear' as const, width: 8, height: 8 };
    const err = await geometryWithSharp({ file: f('gone.jpg'), header }, g, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadImageError);
    expect((err as BadImageError).file).toBe(f('gone.jpg'));
    expect((err as BadImageError).reason).toBe('unreadable (file not found)');
    const dirErr = await decodeImage(dir).catch((e: unknown) => e);
    expect(dirErr).toBeInstanceOf(BadImageError);
    expect((dirErr as BadImageError).reason).toBe('unreadable (EISDIR)');
  });
});

describe('loadImageForInference', () => {
  it('resizes to the input shape and normalises', async () => {
    await rawImage(50, 40, [255, 0, 0]).png().toFile(f('predict.png'));
    const x = await loadImageForInference(f('predict.png'), [], [8, 8, 3], { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(x.length).toBe(8 * 8 * 3);
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(x[2]).toBeCloseTo(-1, 5); // blue channel is 0 -> (0 - 0.5) / 0.5
  });
});

describe('JPEG shrink-on-load for large crops', () => {
  it('a crop at least twice the output decodes at a reduced scale with nearly the same pixels', async () => {
    const px = pattern(1000, 750, [120, 60, 30]);
    await sharp(px, { raw: { width: 1000, height: 750, channels: 3 } }).blur(2).jpeg({ quality: 92 }).toFile(f('large.jpg'));
    const header = await probeImage(f('large.jpg'));
    const g = { pre: { left: 40, top: 30, width: 640, height: 480 }, resize: { width: 64, height: 48 }, post: null, flip: true, interpolation: 'bilinear' as const, width: 64, height: 48 };
    const fast = await geometryWithSharp({ file: f('large.jpg'), header }, g, 3);
    const img = sharp(f('large.jpg')).extract(g.pre).resize(64, 48, { fit: 'fill', kernel: 'linear' }).flop();
    const exact = await img.raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < exact.length; i++) diff += Math.abs(exact[i]! - fast[i]!);
    expect(fast.length).toBe(64 * 48 * 3);
    expect(diff / exact.length).toBeLessThan(4);
  });
});
