/**
 * The optional install: where libdnnl is missing the install step still exits 0, prints one line saying
 * the native engine was skipped and how to get it, and the engine then gives the reason in one line.
 * Runs everywhere (it needs no addon): the build script runs on a copy of this package's layout.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { loadAddon } from './addon.ts';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A folder with the package's build script, as npm would run it there. */
function packageCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-native-install-'));
  temps.push(dir);
  fs.mkdirSync(path.join(dir, 'scripts'));
  for (const script of ['build.mjs', 'status.mjs']) fs.copyFileSync(path.join(packageDir, 'scripts', script), path.join(dir, 'scripts', script));
  return dir;
}

it('without libdnnl the install step exits 0 with one line, and the engine says "libdnnl not found" and what to do', () => {
  const dir = packageCopy();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-no-dnnl-'));
  temps.push(empty);
  const result = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs')], {
    cwd: dir,
    env: { ...process.env, VGGLAB_DNNL_INCLUDE_DIR: empty },
    encoding: 'utf8',
  });
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split('\n')).toEqual([
    `@vgglab/engine-native: native engine skipped: libdnnl not found (no oneapi/dnnl/dnnl.hpp in ${empty}); to get it: apt-get install -y libdnnl-dev g++ make python3, then npm rebuild @vgglab/engine-native. vgglab will use wasm.`,
  ]);
  expect(loadAddon(dir)).toEqual({ ok: false, why: 'libdnnl not found: apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native' });
  // The root package's postinstall prints the same line (npm shows it; it hides the workspace's own output).
  const postinstall = spawnSync(process.execPath, [path.join(dir, 'scripts', 'status.mjs')], { encoding: 'utf8' });
  expect(postinstall.stdout).toBe(result.stdout);
});

it('VGGLAB_SKIP_NATIVE=1 skips the build; a package whose install step never ran says so', () => {
  const dir = packageCopy();
  expect(loadAddon(dir)).toEqual({
    ok: false,
    why: 'the addon is not built (its install step did not run): npm rebuild @vgglab/engine-native (needs libdnnl-dev, g++, make, python3)',
  });
  const result = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs')], { cwd: dir, env: { ...process.env, VGGLAB_SKIP_NATIVE: '1' }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(loadAddon(dir)).toEqual({ ok: false, why: 'skipped because VGGLAB_SKIP_NATIVE=1 was set: unset it, then npm rebuild @vgglab/engine-native' });
});
