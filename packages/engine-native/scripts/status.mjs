#!/usr/bin/env node
/**
 * One line about the native engine after an install: the repository root's postinstall runs this, because
 * npm hides what a workspace's own install step prints unless it fails. scripts/build.mjs prints the same
 * line (visible with `npm rebuild @vgglab/engine-native --foreground-scripts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The line for a build/status.json content (see build.mjs: finish). */
export function statusLine(status) {
  if (status.built) return '@vgglab/engine-native: native engine built (build/Release/vgglab_native.node)';
  const detail = status.detail ? ` (${status.detail})` : '';
  return `@vgglab/engine-native: native engine skipped: ${status.reason}${detail}; to get it: ${status.hint}. vgglab will use wasm.`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.join(packageDir, 'build', 'status.json');
  const status = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))
    : { built: false, reason: 'its install step did not run', hint: 'npm rebuild @vgglab/engine-native' };
  console.log(statusLine(status));
}
