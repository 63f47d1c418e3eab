/**
 * Class-per-folder layouts: `root/<class>/**` (class names sorted by code point, like torchvision), or the
 * seed's `root/train/<class>` + `root/val/<class>`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export interface ClassFiles {
  name: string;
  /** Absolute folder of the class. */
  dir: string;
  /** Paths relative to the dataset root, '/'-separated, sorted. */
  files: string[];
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hidden = (name: string) => name.startsWith('.');

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Every non-hidden file under `dir`, recursively (following symlinks), relative to `root`, sorted. */
async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (hidden(e.name)) continue;
      const full = path.join(d, e.name);
      const dirLike = e.isDirectory() || (e.isSymbolicLink() && (await isDir(full)));
      if (dirLike) await walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort(byCodePoint);
}

async function assertRoot(root: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new DatasetError(`dataset root '${root}' does not exist`);
  }
  if (!stat.isDirectory()) throw new DatasetError(`dataset root '${root}' is not a folder`);
}

/** Sub-folder names of `root` (non-hidden), sorted. */
export async function subfolders(root: string): Promise<string[]> {
  await assertRoot(root);
  const entries = await fs.readdir(root, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (hidden(e.name)) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(path.join(root, e.name))))) names.push(e.name);
  }
  return names.sort(byCodePoint);
}

/** 'split' when the root holds exactly train/ and val/ (and optionally test/), like the seed's layout. */
export async function detectLayout(root: string): Promise<'classes' | 'split'> {
  const names = await subfolders(root);
  const rest = names.filter((n) => n !== 'test');
  return rest.length === 2 && rest[0] === 'train' && rest[1] === 'val' ? 'split' : 'classes';
}

/**
 * Scans a class-per-folder root. Errors: missing root, fewer than two classes, an empty class folder.
 */
export async function scanClasses(root: string): Promise<ClassFiles[]> {
  const names = await subfolders(root);
  if (names.length < 2) {
    const found = names.length === 0 ? 'no class folders' : `only one class folder ('${names[0]}')`;
    throw new DatasetError(`dataset root '${root}' has ${found}; a class-per-folder dataset needs at least two (root/<class>/<image>)`);
  }
  const classes: ClassFiles[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    const files = await listFiles(root, dir);
    if (files.length === 0) throw new DatasetError(`class folder '${dir}' is empty: add images or remove the folder`);
    classes.push({ name, dir, files });
  }
  return classes;
}

export { byCodePoint };
