/** Helpers for the spec tests: spec files in a temporary folder, a small valid spec, and the lines of a SpecError. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SpecError } from '../spec-issues.ts';

/** The temporary folder the spec files are written to (removed after the tests). */
export const dir = mkdtempSync(join(tmpdir(), 'vgglab-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes `text` to a fresh file in the temp dir and returns its path. */
export function write(text: string): string {
  const file = join(dir, `spec-${++counter}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The SpecError thrown by `fn`, with its lines. */
export function specError(fn: () => unknown): { lines: string[]; error: SpecError } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return { lines: e.message.split('\n'), error: e };
  }
  throw new Error('expected a SpecError');
}
export const lines = (fn: () => unknown) => specError(fn).lines;

export const GOOD = `# a small valid spec
name: smoke-test
model:
  name: vgg11
data:
  name: shapes
optimizer:
  name: adam
  lr: 0.001
train:
  epochs: 2
`;
