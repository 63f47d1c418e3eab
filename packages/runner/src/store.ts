/** Opening the run store from the command line's point of view (`--db`, VGGLAB_DB, the default file). */
import * as fs from 'node:fs';
import { openRunReader, openStore, type RunReader, type RunStore } from '@vgglab/store';
import { CliError } from './errors.ts';
import { resolveDbFile } from './paths.ts';

/** The store `--db` names (or the default); a missing file is an error that says where it looked and how to create one. */
function existingDbFile(dbFlag: string | undefined, env: NodeJS.ProcessEnv): string {
  const file = resolveDbFile({ flag: dbFlag }, env);
  if (!fs.existsSync(file)) {
    throw new CliError(`no run store at ${file}; run an experiment first (\`vgglab exp <file>\`) or pass --db <file>`);
  }
  return file;
}

/** Opens an existing store for writing, which migrates a store written by an older vgglab first. */
export function openExistingStore(dbFlag: string | undefined, env: NodeJS.ProcessEnv): RunStore {
  return openStore(existingDbFile(dbFlag, env));
}

/** Opens an existing store to read it: nothing is created or migrated (commands that only read). */
export function openExistingReader(dbFlag: string | undefined, env: NodeJS.ProcessEnv): RunReader {
  return openRunReader(existingDbFile(dbFlag, env));
}

/** Runs `use` with `store`, closing the store afterwards whatever happens. */
export async function withStore<S extends { close(): void }, T>(store: S, use: (store: S) => T | Promise<T>): Promise<T> {
  try {
    return await use(store);
  } finally {
    store.close();
  }
}
