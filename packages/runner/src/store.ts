/** Opening the run store from the command line's point of view (`--db`, VGGLAB_DB, the default file). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStore, type RunStore } from '@vgglab/store';
import { CliError } from './errors.ts';
import { resolveDbFile } from './paths.ts';

/** Opens the store for writing, creating its folder. */
export function openStoreForWriting(dbFile: string): RunStore {
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  return openStore(dbFile);
}

/**
 * Opens an existing store; a missing file is an error that says where it looked and how to create one. The
 * runner opens for writing by default, which migrates a store written by an older vgglab first.
 */
export function openExistingStore(dbFlag: string | undefined, env: NodeJS.ProcessEnv, options: { readonly?: boolean } = {}): RunStore {
  const file = resolveDbFile({ flag: dbFlag }, env);
  if (!fs.existsSync(file)) {
    throw new CliError(`no run store at ${file}; run an experiment first (\`vgglab exp <file>\`) or pass --db <file>`);
  }
  return openStore(file, { readonly: options.readonly ?? false });
}

/** Runs `use` with `store`, closing the store afterwards whatever happens. */
export async function withStore<S extends { close(): void }, T>(store: S, use: (store: S) => T | Promise<T>): Promise<T> {
  try {
    return await use(store);
  } finally {
    store.close();
  }
}
