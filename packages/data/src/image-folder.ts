/**
 * The `imageFolder` dataset: class-per-folder images on disk, split by a fraction + seed, by a manifest, or
 * by separate train/ and val/ folders; decoded and transformed by libvips.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { DatasetContext, DatasetEntry, DatasetSource, InputShape, Split } from '@vgglab/core';
import { PROBE_CONCURRENCY, DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION } from './defaults.ts';
import { decodeImage, geometryWithSharp, loadImageInput, type RawImage } from './decode.ts';
import { fetchHint } from './fetch-hint.ts';
import { iterateBatches, Limiter, makeCache, type PixelCache, type SampleStore } from './loader.ts';
import { BadImageError, type ImageHeader, probeImage } from './probe.ts';
import { DatasetError, detectLayout, scanClasses } from './scan.ts';
import { readManifest, splitClasses } from './split.ts';
import { defaultTransforms } from './transform-steps.ts';
import { compileTransforms, type TransformPipeline } from './transforms.ts';

export interface ImageFolderOptions extends Record<string, unknown> {
  /** One class-per-folder root (split by valFraction/splitSeed), or a root holding train/ and val/. */
  root?: string;
  /** Fraction of each class held out for validation when `root` is one pool of images. */
  valFraction: number;
  /** Seed of that split (not the experiment seed, so every run validates on the same images). */
  splitSeed: number;
  /** A manifest written by `vgglab data split`; its root is used unless `root` is given. */
  manifest?: string;
  /** Separate class-per-folder roots for training and validation. */
  trainRoot?: string;
  valRoot?: string;
  /** Most images queued for decoding at once (default: all of the batches in progress). */
  concurrency?: number;
}

export const imageFolderOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    root: { type: 'string', minLength: 1, description: 'Class-per-folder root, or a folder holding train/ and val/.' },
    valFraction: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: DEFAULT_VAL_FRACTION, description: 'Held-out fraction of each class.' },
    splitSeed: { type: 'integer', minimum: 0, default: DEFAULT_SPLIT_SEED, description: 'Seed of the split (fixed across runs).' },
    manifest: { type: 'string', minLength: 1, description: 'Split manifest written by `vgglab data split`.' },
    trainRoot: { type: 'string', minLength: 1, description: 'Class-per-folder training images.' },
    valRoot: { type: 'string', minLength: 1, description: 'Class-per-folder validation images.' },
    concurrency: {
      type: 'integer',
      minimum: 1,
      description: 'Most images queued for decoding at once; default: every image of the batches in progress (libuv runs them on its threads).',
    },
  },
} as const;

interface FileSample {
  file: string;
  label: number;
}

interface Resolved {
  classNames: string[];
  train: FileSample[];
  val: FileSample[];
  /** Class folder of each class, for errors. */
  classDirs: string[];
  /** What the data is, for cache namespaces. */
  identity: string;
}

const abs = (base: string, p: string) => path.resolve(base, p);

async function fromRoots(trainRoot: string, valRoot: string): Promise<Resolved> {
  const train = await scanClasses(trainRoot);
  if (valRoot === trainRoot) {
    // One folder as both splits (e.g. `vgglab evaluate --data`): the same samples, scanned and probed once.
    const names = train.map((c) => c.name);
    const samples = train.flatMap((c, label) => c.files.map((f) => ({ file: path.join(trainRoot, f), label })));
    return { classNames: names, train: samples, val: samples, classDirs: train.map((c) => c.dir), identity: `${trainRoot}|${valRoot}` };
  }
  const val = await scanClasses(valRoot);
  const names = train.map((c) => c.name);
  const unknown = val.filter((c) => !names.includes(c.name)).map((c) => c.name);
  if (unknown.length > 0) throw new DatasetError(`validation root '${valRoot}' has classes the training root '${trainRoot}' lacks: ${unknown.join(', ')}`);
  const samples = (root: string, classes: typeof train) =>
    classes.flatMap((c) => c.files.map((f) => ({ file: path.join(root, f), label: names.indexOf(c.name) })));
  return { classNames: names, train: samples(trainRoot, train), val: samples(valRoot, val), classDirs: train.map((c) => c.dir), identity: `${trainRoot}|${valRoot}` };
}

async function resolveLayout(o: Partial<ImageFolderOptions>, ctx: DatasetContext): Promise<Resolved> {
  const base = ctx.baseDir;
  if (o.trainRoot || o.valRoot) {
    if (!o.trainRoot || !o.valRoot) throw new DatasetError(`imageFolder: give both 'trainRoot' and 'valRoot' (received only ${o.trainRoot ? 'trainRoot' : 'valRoot'})`);
    if (o.root || o.manifest) throw new DatasetError(`imageFolder: give either 'trainRoot' + 'valRoot', or 'root'/'manifest', not both`);
    return fromRoots(abs(base, o.trainRoot), abs(base, o.valRoot));
  }
  if (o.manifest) {
    const m = await readManifest(abs(base, o.manifest));
    const root = o.root ? abs(base, o.root) : m.root;
    const sample = (lists: Record<string, string[]>) =>
      m.classes.flatMap((name, label) => (lists[name] ?? []).map((f) => ({ file: path.join(root, f), label })));
    return { classNames: m.classes, train: sample(m.train), val: sample(m.val), classDirs: m.classes.map((c) => path.join(root, c)), identity: root };
  }
  if (!o.root) throw new DatasetError(`imageFolder: 'root' is required (or 'manifest', or 'trainRoot' + 'valRoot')`);
  const root = abs(base, o.root);
  if ((await detectLayout(root)) === 'split') return fromRoots(path.join(root, 'train'), path.join(root, 'val'));
  const classes = await scanClasses(root);
  const { train, val } = splitClasses(classes, o.valFraction ?? DEFAULT_VAL_FRACTION, o.splitSeed ?? DEFAULT_SPLIT_SEED);
  const sample = (lists: Record<string, string[]>) => classes.flatMap((c, label) => lists[c.name]!.map((f) => ({ file: path.join(root, f), label })));
  return { classNames: classes.map((c) => c.name), train: sample(train), val: sample(val), classDirs: classes.map((c) => c.dir), identity: root };
}

interface UnreadableFile {
  file: string;
  reason: string;
}

/** The first entry per file. */
function onceEach(files: UnreadableFile[]): UnreadableFile[] {
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.file) && seen.add(f.file));
}

/** Lists bad files as one message: "3 unreadable files skipped: …". */
export function describeBadFiles(bad: { file: string; reason: string }[], what: string, limit = 50): string {
  const lines = bad.slice(0, limit).map((b) => `  ${b.file}: ${b.reason}`);
  if (bad.length > limit) lines.push(`  … and ${bad.length - limit} more (run \`vgglab data check\` for the full list)`);
  return `${bad.length} unreadable file${bad.length === 1 ? '' : 's'} ${what}:\n${lines.join('\n')}`;
}

class FolderStore implements SampleStore {
  constructor(
    readonly samples: FileSample[],
    readonly headers: ImageHeader[],
    readonly pipeline: TransformPipeline,
    readonly cache: PixelCache | null,
  ) {}
  get size() {
    return this.samples.length;
  }
  label(i: number) {
    return this.samples[i]!.label;
  }
  id(i: number) {
    return this.samples[i]!.file;
  }
  sourceSize(i: number) {
    return this.headers[i]!;
  }
  async load(i: number, plan: Parameters<SampleStore['load']>[1]): Promise<Uint8Array> {
    const file = this.samples[i]!.file;
    const header = this.headers[i]!;
    const channels = this.pipeline.outputShape[2] as 1 | 3;
    if (!this.cache) return geometryWithSharp({ file, header }, plan.geometry, channels);
    const key = `${file}|${header.bytes}|${header.mtimeMs}|${channels}`;
    if (!this.pipeline.randomGeometry) {
      // Deterministic geometry: cache its output, so a warm epoch only normalises.
      const k = `${key}|${this.pipeline.geometryKey}`;
      const hit = await this.cache.get(k);
      if (hit) return hit.data;
      const data = await geometryWithSharp({ file, header }, plan.geometry, channels);
      await this.cache.set(k, { data, width: plan.geometry.width, height: plan.geometry.height, channels });
      return data;
    }
    // Random geometry: cache the decoded image; crops and resizes then run from memory.
    let raw: RawImage | undefined = await this.cache.get(key);
    if (!raw) {
      raw = await decodeImage(file, { channels });
      await this.cache.set(key, raw);
    }
    return geometryWithSharp({ raw }, plan.geometry, channels);
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limiter = new Limiter(limit);
  return Promise.all(items.map((item, i) => limiter.run(() => fn(item, i))));
}

/** Opens an image folder: scans, probes every header (fast), verifies every file fully when strict. */
export async function openImageFolder(options: Partial<ImageFolderOptions>, context: DatasetContext): Promise<DatasetSource> {
  const resolved = await resolveLayout(options, context);
  const inputShape: InputShape = context.inputShape;
  const defaults = defaultTransforms(inputShape);
  const pipelines: Record<Split, TransformPipeline> = {
    train: compileTransforms(context.transforms.train?.length ? context.transforms.train : defaults.train, {
      inputShape,
      preprocessing: context.preprocessing,
      where: 'data.transforms.train',
    }),
    val: compileTransforms(context.transforms.val?.length ? context.transforms.val : defaults.val, {
      inputShape,
      preprocessing: context.preprocessing,
      where: 'data.transforms.val',
    }),
  };
  const concurrency = options.concurrency;
  const channels = inputShape[2] as 1 | 3;

  const probeAll = async (samples: FileSample[]) => {
    const bad: UnreadableFile[] = [];
    const headers = await mapLimited(samples, PROBE_CONCURRENCY, async (s) => {
      try {
        const header = await probeImage(s.file);
        if (context.strict) await decodeImage(s.file, { channels }); // truncated data shows only when decoding
        return header;
      } catch (e) {
        if (!(e instanceof BadImageError)) throw e;
        bad.push({ file: e.file, reason: e.reason });
        return null;
      }
    });
    const keep = samples.map((_, i) => headers[i] !== null);
    return { samples: samples.filter((_, i) => keep[i]), headers: headers.filter((h): h is ImageHeader => h !== null), bad };
  };
  const train = await probeAll(resolved.train);
  const val = resolved.val === resolved.train ? train : await probeAll(resolved.val);
  const bad = onceEach(val === train ? train.bad : [...train.bad, ...val.bad]).sort((a, b) => (a.file < b.file ? -1 : 1));
  if (bad.length > 0) {
    if (context.strict) throw new DatasetError(`${describeBadFiles(bad, 'found (strict: true)')}\nfix or remove them, or set data.strict: false to skip them`);
    context.warn(describeBadFiles(bad, 'skipped'));
  }
  resolved.classNames.forEach((name, label) => {
    if (!train.samples.some((s) => s.label === label)) {
      throw new DatasetError(`class '${name}' (${resolved.classDirs[label]}) has no readable training images`);
    }
  });
  if (train.samples.length === 0) throw new DatasetError(`no readable training images under ${resolved.identity}`);

  const namespace = crypto.createHash('sha1').update(resolved.identity).digest('hex').slice(0, 16);
  const cache = makeCache(context, namespace);
  const stores: Record<Split, FolderStore> = {
    train: new FolderStore(train.samples, train.headers, pipelines.train, cache),
    val: new FolderStore(val.samples, val.headers, pipelines.val, cache),
  };
  // Files found bad while loading, per split (each file once); every one is warned about once.
  const foundWhileLoading: Record<Split, Map<string, string>> = { train: new Map(), val: new Map() };
  const reported = new Set<string>();
  return {
    classNames: resolved.classNames,
    size: (split) => stores[split].size,
    unreadable: (split) => onceEach([...(split === 'train' ? train : val).bad, ...[...foundWhileLoading[split]].map(([file, reason]) => ({ file, reason }))]),
    batches: (split, batch) =>
      iterateBatches(stores[split], pipelines[split], batch, {
        seed: context.seed,
        splitKey: split === 'train' ? 0 : 1,
        concurrency,
        strict: context.strict,
        onBadFiles: (found) => {
          for (const b of found) if (!foundWhileLoading[split].has(b.file)) foundWhileLoading[split].set(b.file, b.reason);
          const fresh = found.filter((b) => !reported.has(b.file));
          fresh.forEach((b) => reported.add(b.file));
          const outcome = batch.unreadable === 'drop' ? 'left out' : 'replaced by other images';
          if (fresh.length > 0) context.warn(describeBadFiles(fresh, `found while loading; ${outcome}`));
        },
      }),
  };
}

export const imageFolder: DatasetEntry<ImageFolderOptions> = {
  description: 'Class-per-folder images (JPEG, PNG, WebP, GIF, TIFF) split by fraction+seed, manifest, or train/ and val/ folders.',
  optionsSchema: imageFolderOptionsSchema,
  open: openImageFolder,
  missingDataHint: fetchHint,
  loadImage: loadImageInput,
};
