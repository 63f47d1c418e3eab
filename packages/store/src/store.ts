import type { OpenStoreOptions, RunStore } from './types.ts';

/**
 * Opens (creating the file and its parent folders unless readonly) the run store at `file`: WAL mode, busy
 * timeout, schema migrated under BEGIN IMMEDIATE so two processes opening a new file at once both succeed.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): RunStore {
  void file;
  void options;
  throw new Error('openStore: not implemented yet (interface only)');
}
