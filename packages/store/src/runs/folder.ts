/** Which folder on disk holds a run's files: what deleting a run removes besides its rows. */
import * as path from 'node:path';
import type { Artifact } from '../types.ts';

/**
 * The folder holding a run's files: the nearest ancestor of its artifacts named after the run (the runner writes
 * `<runs dir>/<run id>/checkpoints/...`), relative paths read against the store file's folder. Only such a folder
 * is ever named, never a shared parent; undefined when no artifact lies in one.
 */
export function runFolder(storeFile: string, run: { id: string; artifacts: readonly Pick<Artifact, 'path'>[] }): string | undefined {
  for (const artifact of run.artifacts) {
    let dir = path.resolve(path.dirname(storeFile), artifact.path);
    while (path.dirname(dir) !== dir) {
      if (path.basename(dir) === run.id) return dir;
      dir = path.dirname(dir);
    }
  }
  return undefined;
}
