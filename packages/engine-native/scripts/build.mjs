#!/usr/bin/env node
/**
 * The install step of @vgglab/engine-native: npm runs it on `npm ci`, `npm install` and
 * `npm rebuild @vgglab/engine-native`. It builds the oneDNN addon where Debian's libdnnl-dev and a C++
 * toolchain exist; anywhere else it records why not and exits 0, so installing never fails because the
 * optional native engine cannot be built (vgglab then trains on wasm).
 *
 * It writes build/status.json ({ built, reason?, detail?, hint?, runtimeHint? }), which the engine reads to say why `native` is
 * unavailable and which the root package's postinstall prints as one line (npm hides the output of a
 * workspace's install script unless it fails).
 *
 * Environment:
 *   VGGLAB_DNNL_INCLUDE_DIR  where oneapi/dnnl/dnnl.hpp is looked for (default: /usr/include,
 *                            /usr/local/include and the dirs of CPATH); point it at an empty dir to
 *                            rehearse the "no libdnnl" path.
 *   VGGLAB_DNNL_LIB_DIR      extra library dir for -ldnnl (default: the linker's own).
 *   VGGLAB_SKIP_NATIVE=1     skip the build.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { statusLine } from './status.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(packageDir, 'build');
const statusFile = path.join(buildDir, 'status.json');
const logFile = path.join(buildDir, 'build.log');
const addonFile = path.join(buildDir, 'Release', 'vgglab_native.node');
const INSTALL_HINT = 'apt-get install -y libdnnl-dev g++ make python3, then npm rebuild @vgglab/engine-native';
/** The shorter advice the engine prints when a run asks for `native` (src/addon.ts). */
const RUNTIME_HINT = 'apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native';

/**
 * Records the outcome and prints it. status: { built } or { built: false, reason, detail?, hint?, runtimeHint? }:
 * `reason` is what the engine repeats ("libdnnl not found"), `detail` what only the install line shows.
 */
function finish(status) {
  const full = { hint: INSTALL_HINT, runtimeHint: RUNTIME_HINT, ...status };
  fs.mkdirSync(buildDir, { recursive: true });
  const recorded = status.built ? { built: true } : full;
  fs.writeFileSync(statusFile, JSON.stringify(recorded, null, 2) + '\n');
  console.log(statusLine(recorded));
  process.exit(0);
}

function dnnlIncludeDir() {
  const explicit = process.env.VGGLAB_DNNL_INCLUDE_DIR;
  const dirs = explicit
    ? [explicit]
    : ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
  return dirs.find((dir) => fs.existsSync(path.join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')));
}

const onPath = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** node-gyp as npm runs it (npm sets npm_config_node_gyp), else the copy bundled with npm. */
function nodeGypScript() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return fromNpm;
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return fs.existsSync(bundled) ? bundled : undefined;
}

/** Node's headers from this Node's own prefix when present: node-gyp would otherwise download them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function main() {
  // A stale addon from an earlier build must not outlive a failed or skipped one.
  fs.rmSync(addonFile, { force: true });
  if (process.env.VGGLAB_SKIP_NATIVE === '1') {
    const hint = 'unset it, then npm rebuild @vgglab/engine-native';
    finish({ built: false, reason: 'skipped because VGGLAB_SKIP_NATIVE=1 was set', hint, runtimeHint: hint });
  }
  const includeDir = dnnlIncludeDir();
  if (!includeDir) {
    const where = process.env.VGGLAB_DNNL_INCLUDE_DIR ?? '/usr/include, /usr/local/include or CPATH';
    finish({ built: false, reason: 'libdnnl not found', detail: `no oneapi/dnnl/dnnl.hpp in ${where}` });
  }
  const missing = ['g++', 'make', 'python3'].filter((tool) => !onPath(tool));
  if (missing.length > 0) finish({ built: false, reason: `no C++ toolchain (${missing.join(', ')} not found)` });
  const gyp = nodeGypScript();
  if (!gyp) finish({ built: false, reason: 'node-gyp not found (it ships with npm)' });

  fs.mkdirSync(buildDir, { recursive: true });
  const args = [gyp, 'rebuild', '--jobs=max', ...nodedirArgs()];
  const env = { ...process.env, VGGLAB_DNNL_INCLUDE_DIR: includeDir };
  const result = spawnSync(process.execPath, args, { cwd: packageDir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  fs.writeFileSync(logFile, `$ node ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}\n`);
  if (result.status !== 0 || !fs.existsSync(addonFile)) {
    // The compiler's first error says most; node-gyp's last ERR! line says which step failed.
    const lines = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n');
    const first = lines.find((l) => / error: /.test(l)) ?? lines.filter((l) => /ERR!/.test(l)).slice(-1)[0] ?? String(result.error ?? 'see the log');
    finish({ built: false, reason: `the build failed: ${first.trim()} (full log: ${logFile})` });
  }
  // Built: check that it loads (libdnnl.so.2 must be found at run time, not only at link time).
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addonFile)})`], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = `${probe.stderr}`.trim().split('\n').find((l) => l.includes('Error')) ?? 'it does not load';
    finish({ built: false, reason: `the addon was built but does not load: ${why.trim()}` });
  }
  finish({ built: true });
}

main();
