/**
 * File-system access around the store file, checked before SQLite opens it, so that a folder or file the user may
 * not read or write gives one line naming the file and saying "permission" instead of SQLite's "unable to open
 * database file" or "attempt to write a readonly database".
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StoreError } from '../errors.ts';
import { invalid } from '../validate.ts';

const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);
/** SQLite's codes for "the operating system said no" (CANTOPEN: most often a folder or file without permission). */
const SQLITE_PERMISSION_CODES = /^SQLITE_(READONLY|PERM|AUTH|CANTOPEN)/;

/**
 * An error of the file system or of SQLite as the StoreError to show, or undefined if it is neither. `doing` says
 * what failed and names the store file, e.g. "cannot read the run store /x/vgglab.db".
 */
export function accessError(err: unknown, file: string, doing: string): StoreError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (PERMISSION_CODES.has(code)) return new StoreError('PERMISSION', `permission denied (${code}): ${doing}`);
  if (code === 'ENOTDIR') return invalid(`${doing}: a folder on the path ${file} is a file`);
  if (SQLITE_PERMISSION_CODES.test(code)) {
    return new StoreError(
      'PERMISSION',
      `${doing}: ${(err as Error).message} (${code}); check the permission to read and write the file and its folder`,
    );
  }
  return undefined;
}

function check(path: string, mode: number, file: string, doing: string): void {
  try {
    accessSync(path, mode);
  } catch (err) {
    throw accessError(err, file, doing) ?? err;
  }
}

/** Before a read-only open: the file can be read. */
export function checkReadable(file: string): void {
  check(file, constants.R_OK, file, `cannot read the run store ${file}`);
}

/**
 * Before opening for writing: the file can be read and written (or its folder made, for a new one), and the folder
 * written, since SQLite keeps `<file>-wal` and `<file>-shm` beside the store.
 */
export function checkWritable(file: string, exists: boolean): void {
  const dir = dirname(file);
  if (exists) {
    check(file, constants.R_OK | constants.W_OK, file, `the run store ${file} is read-only for this user`);
  } else {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw accessError(err, file, `cannot create ${dir}, the folder of the run store ${file}`) ?? err;
    }
  }
  const wal = `${basename(file)}-wal`;
  check(dir, constants.W_OK | constants.X_OK, file, `cannot write in ${dir}, the folder of the run store ${file} (SQLite keeps ${wal} there)`);
}
