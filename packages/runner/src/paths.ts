/** Where relative paths on the command line are resolved, and where a run's files go. */
import * as path from 'node:path';
import { CHECKPOINTS_SUBDIR, DB_ENV_VAR, DEFAULT_DB_FILE } from './defaults.ts';

/**
 * The directory the user typed the command in. Under `npm run` / `nx run`, the process's cwd may be the
 * workspace or package root; npm records the original directory in INIT_CWD and Nx its root in
 * NX_WORKSPACE_ROOT.
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD || env.NX_WORKSPACE_ROOT || process.cwd();
}

export function resolveFromInvocation(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(invocationDir(env), p);
}

/**
 * The store file: `--db` > VGGLAB_DB > the spec's `store.db` (relative to the spec's folder) > runs/vgglab.db
 * (relative to where the command was run).
 */
export function resolveDbFile(
  opts: { flag?: string; specDb?: string; specDir?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (opts.flag) return resolveFromInvocation(opts.flag, env);
  if (env[DB_ENV_VAR]) return resolveFromInvocation(env[DB_ENV_VAR]!, env);
  if (opts.specDb) return path.resolve(opts.specDir ?? invocationDir(env), opts.specDb);
  return resolveFromInvocation(DEFAULT_DB_FILE, env);
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
