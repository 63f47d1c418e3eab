/**
 * Stratified, reproducible splits: within each class, files are ordered by a hash of (seed, path), so the
 * split depends only on the seed and the set of files, never on the order the file system lists them;
 * adding a file moves at most a boundary file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION } from './defaults.ts';
import { hashInts, hashString, STREAM } from './rng.ts';
import { byCodePoint, type ClassFiles, DatasetError, scanClasses } from './scan.ts';

export const MANIFEST_FORMAT = 'vgglab-split/1';

export interface SplitManifest {
  format: typeof MANIFEST_FORMAT;
  /** The dataset root, relative to the manifest's folder (or absolute). */
  root: string;
  seed: number;
  valFraction: number;
  classes: string[];
  /** Per class, paths relative to the root. */
  train: Record<string, string[]>;
  val: Record<string, string[]>;
}

export interface SplitOptions {
  /** Fraction of each class for validation, in [0, 1). Default 0.1. */
  val?: number;
  /** Default 0. */
  seed?: number;
  /** Copy files into `<copy>/train/<class>` and `<copy>/val/<class>` (the seed's layout) instead of a manifest. */
  copy?: string;
  /** Manifest file; default `<root>/split.json`. */
  out?: string;
}

export interface SplitResult {
  manifest: SplitManifest;
  /** Where the manifest was written (not with `copy`). */
  manifestPath?: string;
  /** Where the copy was made. */
  copiedTo?: string;
  counts: Record<string, { train: number; val: number }>;
}

function checkFraction(val: number): void {
  if (typeof val !== 'number' || !(val >= 0 && val < 1)) throw new DatasetError(`val must be a fraction in [0, 1), received ${JSON.stringify(val)}`);
}

/** Splits classes in memory. Each class with two or more files keeps at least one file on each side. */
export function splitClasses(classes: ClassFiles[], valFraction: number, seed: number): { train: Record<string, string[]>; val: Record<string, string[]> } {
  checkFraction(valFraction);
  const train: Record<string, string[]> = {};
  const val: Record<string, string[]> = {};
  for (const c of classes) {
    const keyed = c.files.map((f) => ({ f, k: hashInts(seed, STREAM.split, hashString(f)) }));
    keyed.sort((a, b) => a.k - b.k || byCodePoint(a.f, b.f));
    const n = keyed.length;
    let nVal = Math.round(n * valFraction);
    if (valFraction > 0 && n >= 2) nVal = Math.min(n - 1, Math.max(1, nVal));
    val[c.name] = keyed.slice(0, nVal).map((x) => x.f).sort(byCodePoint);
    train[c.name] = keyed.slice(nVal).map((x) => x.f).sort(byCodePoint);
  }
  return { train, val };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** `vgglab data split <root> --val 0.1 --seed 0 [--copy <dest>] [--out <file>]`. */
export async function splitDataset(rootIn: string, options: SplitOptions = {}): Promise<SplitResult> {
  const root = path.resolve(rootIn);
  const valFraction = options.val ?? DEFAULT_VAL_FRACTION;
  const seed = options.seed ?? DEFAULT_SPLIT_SEED;
  if (!Number.isInteger(seed) || seed < 0) throw new DatasetError(`seed must be a non-negative integer, received ${JSON.stringify(seed)}`);
  checkFraction(valFraction);
  const classes = await scanClasses(root);
  const { train, val } = splitClasses(classes, valFraction, seed);
  const counts = Object.fromEntries(classes.map((c) => [c.name, { train: train[c.name]!.length, val: val[c.name]!.length }]));

  if (options.copy) {
    const dest = path.resolve(options.copy);
    if (await exists(dest)) {
      const inside = await fs.readdir(dest);
      if (inside.length > 0) throw new DatasetError(`--copy destination '${dest}' already exists and is not empty; choose a new folder`);
    }
    if (dest === root || dest.startsWith(root + path.sep)) throw new DatasetError(`--copy destination '${dest}' is inside the dataset root '${root}'`);
    for (const [part, lists] of [['train', train], ['val', val]] as const) {
      for (const [cls, files] of Object.entries(lists)) {
        for (const rel of files) {
          const to = path.join(dest, part, rel);
          await fs.mkdir(path.dirname(to), { recursive: true });
          await fs.copyFile(path.join(root, rel), to);
        }
        await fs.mkdir(path.join(dest, part, cls), { recursive: true });
      }
    }
    const manifest: SplitManifest = { format: MANIFEST_FORMAT, root, seed, valFraction, classes: classes.map((c) => c.name), train, val };
    return { manifest, copiedTo: dest, counts };
  }

  const manifestPath = path.resolve(options.out ?? path.join(root, 'split.json'));
  const manifest: SplitManifest = {
    format: MANIFEST_FORMAT,
    root: path.relative(path.dirname(manifestPath), root) || '.',
    seed,
    valFraction,
    classes: classes.map((c) => c.name),
    train,
    val,
  };
  const text = JSON.stringify(manifest, null, 1) + '\n';
  if ((await exists(manifestPath)) && (await fs.readFile(manifestPath, 'utf8')) !== text) {
    throw new DatasetError(`'${manifestPath}' already exists with a different split; pass another --out file or remove it`);
  }
  await fs.mkdir(path.dirname(manifestPath), { recursive: true });
  await fs.writeFile(manifestPath, text);
  return { manifest, manifestPath, counts };
}

/** Reads and checks a manifest; returns it with `root` made absolute. */
export async function readManifest(file: string): Promise<SplitManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(`split manifest '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let m: SplitManifest;
  try {
    m = JSON.parse(text) as SplitManifest;
  } catch (e) {
    throw new DatasetError(`split manifest '${file}' is not valid JSON (${(e as Error).message})`);
  }
  if (m?.format !== MANIFEST_FORMAT) throw new DatasetError(`'${file}' is not a split manifest (format '${MANIFEST_FORMAT}' expected, received ${JSON.stringify(m?.format)})`);
  for (const field of ['classes', 'train', 'val'] as const) {
    if (typeof m[field] !== 'object' || m[field] === null) throw new DatasetError(`split manifest '${file}': field '${field}' is missing`);
  }
  if (!Array.isArray(m.classes) || m.classes.length < 2) throw new DatasetError(`split manifest '${file}': 'classes' must list at least two classes`);
  return { ...m, root: path.resolve(path.dirname(file), m.root ?? '.') };
}
