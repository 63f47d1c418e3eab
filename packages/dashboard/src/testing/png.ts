/** A tiny PNG encoder for test images (no image library in the dashboard): RGB pixels in, PNG bytes out. */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG of `width` x `height` whose pixel (x, y) is `pixel(x, y)` as [r, g, b]. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter method choice, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 48x48 picture of one of the fixture's shape classes, in a colour, for thumbnails that look like something. */
export function shapePng(shape: string, color: [number, number, number]): Buffer {
  const size = 48;
  const inside = (x: number, y: number): boolean => {
    const dx = x - size / 2;
    const dy = y - size / 2;
    if (shape === 'circle') return dx * dx + dy * dy < 16 * 16;
    if (shape === 'square') return Math.abs(dx) < 14 && Math.abs(dy) < 14;
    if (shape === 'triangle') return dy > -15 && dy < 14 && Math.abs(dx) < (dy + 15) / 2;
    const r = Math.hypot(dx, dy);
    const a = Math.atan2(dy, dx);
    return r < 9 + 8 * Math.max(0, Math.cos(a * 5)); // a star
  };
  return encodePng(size, size, (x, y) => (inside(x, y) ? color : [245, 245, 240]));
}
