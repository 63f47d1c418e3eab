/**
 * Which file is the run store: one rule for every command (the runner's CLI, the dashboard's own CLI), so `--db`,
 * VGGLAB_DB and the spec's `store.db` mean the same everywhere.
 */
import * as path from 'node:path';
import { DB_ENV_VAR, DEFAULT_DB_FILE } from '../defaults.ts';

/**
 * The directory the user typed the command in. Under `npm run` / `nx run`, the process's cwd may be the workspace
 * or package root; npm records the original directory in INIT_CWD and Nx its root in NX_WORKSPACE_ROOT.
 */
export function invocationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD || env.NX_WORKSPACE_ROOT || process.cwd();
}

export interface DbFileSources {
  /** `--db <file>`, relative to where the command was run. */
  flag?: string;
  /** The spec's `store.db`, relative to `specDir`. */
  specDb?: string;
  /** The spec file's folder. Defaults to where the command was run. */
  specDir?: string;
}

/**
 * The store file, absolute: `--db` > VGGLAB_DB > the spec's `store.db` (relative to the spec's folder) >
 * runs/vgglab.db (relative to where the command was run). An empty flag or variable counts as not given.
 */
export function resolveDbFile(sources: DbFileSources = {}, env: NodeJS.ProcessEnv = process.env): string {
  if (sources.flag) return path.resolve(invocationDir(env), sources.flag);
  const fromEnv = env[DB_ENV_VAR];
  if (fromEnv) return path.resolve(invocationDir(env), fromEnv);
  if (sources.specDb) return path.resolve(sources.specDir ?? invocationDir(env), sources.specDb);
  return path.resolve(invocationDir(env), DEFAULT_DB_FILE);
}
