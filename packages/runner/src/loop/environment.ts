/** Facts about where a run ran, stored with it for reproducibility: git commit, package versions. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

function version(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** The git commit of the folder's repository (with `+dirty` when there are uncommitted changes), or null. */
export function gitCommit(dir: string): string | null {
  try {
    const opts = { cwd: dir, encoding: 'utf8' as const, timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim().length > 0;
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

export function runEnvironment(dir: string): { gitCommit: string | null; packageVersions: Record<string, string> } {
  const versions: Record<string, string> = { node: process.versions.node, '@tensorflow/tfjs': tf.version.tfjs };
  for (const pkg of ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@vgglab/runner']) {
    const v = version(pkg);
    if (v) versions[pkg] = v;
  }
  return { gitCommit: gitCommit(dir), packageVersions: versions };
}
