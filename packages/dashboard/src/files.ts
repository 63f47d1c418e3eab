/**
 * Which files of the runs folder may be served: only files of a run's own artifacts (a checkpoint file, or a
 * file inside a checkpoint folder), and only when their real path (symlinks followed) lies inside the runs
 * folder. Everything else is refused, whatever the request path says.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Artifact } from '@vgglab/store';

/** True when `child` is `parent` or lies below it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** Absolute real path of an artifact when it exists inside the runs folder, else null. */
export function artifactRealPath(runsDir: string, artifact: Artifact): string | null {
  const real = realOrNull(resolve(runsDir, artifact.path));
  return real !== null && isInside(runsDir, real) ? real : null;
}

/** Files of an artifact, relative to the runs folder, for download links (a folder lists up to `max` files). */
export function artifactFiles(runsDir: string, artifact: Artifact, max = 50): string[] {
  const real = artifactRealPath(runsDir, artifact);
  if (real === null) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (out.length >= max) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(runsDir, path).split(sep).join('/'));
    }
  };
  if (statSync(real).isDirectory()) walk(real);
  else out.push(relative(runsDir, real).split(sep).join('/'));
  return out;
}

export type FileCheck =
  | { ok: true; path: string; size: number }
  | { ok: false; statusCode: 400 | 403 | 404; message: string };

/** Decides whether `requested` (relative to the runs folder) may be served for this run. */
export function checkArtifactFile(runsDir: string, artifacts: Artifact[], requested: string): FileCheck {
  if (requested.includes('\0')) return { ok: false, statusCode: 400, message: 'file path contains a NUL byte' };
  if (isAbsolute(requested)) return { ok: false, statusCode: 403, message: 'file paths are relative to the runs folder' };
  const absolute = resolve(runsDir, requested);
  if (!isInside(runsDir, absolute)) return { ok: false, statusCode: 403, message: 'file is outside the runs folder' };
  if (!existsSync(absolute)) return { ok: false, statusCode: 404, message: `no file '${requested}' in the runs folder` };
  const real = realOrNull(absolute);
  if (real === null || !isInside(runsDir, real)) {
    return { ok: false, statusCode: 403, message: 'file is outside the runs folder' };
  }
  const stats = statSync(real);
  if (!stats.isFile()) return { ok: false, statusCode: 404, message: `'${requested}' is not a file` };
  const allowed = artifacts.some((artifact) => {
    const root = artifactRealPath(runsDir, artifact);
    return root !== null && isInside(root, real);
  });
  if (!allowed) return { ok: false, statusCode: 404, message: `'${requested}' is not an artifact of this run` };
  return { ok: true, path: real, size: stats.size };
}
