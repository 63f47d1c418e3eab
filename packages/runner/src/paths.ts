/** Where relative paths on the command line are resolved, and where a run's files go. */
import * as path from 'node:path';
import { invocationDir } from '@vgglab/store';
import { CHECKPOINTS_SUBDIR } from './defaults.ts';

// Which file is the store, and where the user typed the command: one rule for every command, the store's.
export { invocationDir, resolveDbFile } from '@vgglab/store';

export function resolveFromInvocation(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(invocationDir(env), p);
}

/** The folder holding `<run-id>/` folders: the spec's `store.dir`, else the store file's folder. */
export function resolveRunsDir(dbFile: string, specDir?: string, specRunsDir?: string): string {
  if (specRunsDir) return path.resolve(specDir ?? path.dirname(dbFile), specRunsDir);
  return path.dirname(dbFile);
}

export function runDir(runsDir: string, runId: string): string {
  return path.join(runsDir, runId);
}

export function checkpointDir(runsDir: string, runId: string, which: string): string {
  return path.join(runsDir, runId, CHECKPOINTS_SUBDIR, which);
}
