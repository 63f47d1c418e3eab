/**
 * Which params matter for a metric across a sweep (pure, deterministic). Two standard readings, side by side:
 *
 * - **Correlation.** A numeric param: Spearman's rank correlation with the metric (signed; ranks, so a learning rate's
 *   log spacing does not matter). A param with text values: the correlation ratio η (Pearson 1905: the share of the
 *   metric's spread explained by the param's groups, square-rooted; 0..1, unsigned).
 * - **Importance.** A random forest of regression trees predicting the metric from every param together (Breiman 2001),
 *   read by permutation on the out-of-bag runs: how much a tree's error grows when one param's values are shuffled
 *   among the runs it did not train on, averaged over trees and shown as a share of the total. Permutation on
 *   out-of-bag samples (not the trees' impurity decrease) is used because impurity importance favours params with many
 *   distinct values (Strobl et al. 2007), which every numeric sweep param has. It sees interactions that correlation
 *   misses (a learning rate good for one optimizer and bad for another).
 *
 * Splits are found on at most MAX_BINS bins per param (quantiles of a numeric param; the categories of a text param,
 * ordered by their mean metric, the order in which the best split of a category set is one of its prefixes for
 * regression (Breiman et al. 1984)), so 1,000 runs x 30 params take milliseconds.
 */

export interface ImportanceRow {
  params: Readonly<Record<string, string>>;
  /** The metric (finite). */
  y: number;
}

export interface ParamImportance {
  key: string;
  kind: 'numeric' | 'categorical';
  /** Spearman's ρ (numeric) or η (categorical); null when it cannot be computed (fewer than 3 runs with the param, or
   * a constant param or metric). */
  correlation: number | null;
  /** Share of the forest's permutation importance (0..1, summing to 1 over params); null with too few runs. */
  importance: number | null;
}

export interface ForestOptions {
  trees?: number;
  seed?: number;
  maxDepth?: number;
  minLeaf?: number;
}

export const MAX_BINS = 32;
/** Fewer runs than this give no importance (a forest of 3 runs says nothing). */
export const MIN_ROWS_FOR_IMPORTANCE = 6;

/** mulberry32: the same stream everywhere, so the importance shown does not change between reloads. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isNumeric = (values: readonly (string | undefined)[]) =>
  values.every((v) => v === undefined || (v.trim() !== '' && Number.isFinite(Number(v))));

/** Average ranks (ties share their mean rank). */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let k = i; k <= j; k++) out[order[k]!] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 3) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

export function spearman(x: readonly number[], y: readonly number[]): number | null {
  return pearson(ranks(x), ranks(y));
}

/** η: sqrt(between-group sum of squares / total sum of squares). */
export function correlationRatio(groups: readonly string[], y: readonly number[]): number | null {
  if (y.length < 3) return null;
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const total = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  const sums = new Map<string, { n: number; sum: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { n: 0, sum: 0 };
    s.n++;
    s.sum += y[i]!;
    sums.set(g, s);
  });
  if (total === 0 || sums.size < 2) return null;
  let between = 0;
  for (const { n, sum } of sums.values()) between += n * (sum / n - mean) ** 2;
  return Math.sqrt(between / total);
}

/** One param as bins per row (0..bins-1), and how it was read. */
interface Feature {
  key: string;
  kind: 'numeric' | 'categorical';
  bin: Uint8Array;
  bins: number;
}

function binFeature(key: string, rows: readonly ImportanceRow[]): Feature {
  const raw = rows.map((r) => r.params[key]);
  if (isNumeric(raw)) {
    const present = raw.filter((v): v is string => v !== undefined).map(Number);
    const distinct = [...new Set(present)].sort((a, b) => a - b);
    // Cut points: every distinct value when few, else quantiles. A missing value is bin 0, below every number.
    const cuts = distinct.length <= MAX_BINS - 1 ? distinct : Array.from({ length: MAX_BINS - 1 }, (_, i) => distinct[Math.floor(((i + 1) * distinct.length) / MAX_BINS)]!);
    const bin = Uint8Array.from(raw, (v) => {
      if (v === undefined) return 0;
      const n = Number(v);
      let b = 0;
      while (b < cuts.length && cuts[b]! < n) b++;
      return Math.min(MAX_BINS - 1, b + 1);
    });
    return { key, kind: 'numeric', bin, bins: MAX_BINS };
  }
  const labels = raw.map((v) => v ?? '(none)');
  const means = new Map<string, { n: number; sum: number }>();
  labels.forEach((l, i) => {
    const m = means.get(l) ?? { n: 0, sum: 0 };
    m.n++;
    m.sum += rows[i]!.y;
    means.set(l, m);
  });
  const order = [...means.entries()].sort((a, b) => a[1].sum / a[1].n - b[1].sum / b[1].n).map(([l]) => l);
  const code = new Map(order.map((l, i) => [l, Math.min(MAX_BINS - 1, i)]));
  return { key, kind: 'categorical', bin: Uint8Array.from(labels, (l) => code.get(l)!), bins: MAX_BINS };
}

interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

function buildTree(features: readonly Feature[], y: readonly number[], sample: readonly number[], rand: () => number, options: Required<ForestOptions>): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const mtry = Math.max(1, Math.floor(features.length / 3));
  const count = new Float64Array(MAX_BINS);
  const sum = new Float64Array(MAX_BINS);
  const sumSq = new Float64Array(MAX_BINS);
  const pool = features.map((_, f) => f);
  // The node's rows are idx[from, to): a split partitions that range in place.
  const idx = Int32Array.from(sample);
  const grow = (from: number, to: number, depth: number): number => {
    const size = to - from;
    let total = 0;
    let totalSq = 0;
    for (let k = from; k < to; k++) {
      const v = y[idx[k]!]!;
      total += v;
      totalSq += v * v;
    }
    const node = tree.value.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(total / size);
    const parentSse = totalSq - (total * total) / size;
    if (depth >= options.maxDepth || size < 2 * options.minLeaf || parentSse <= 1e-12) return node;
    let bestGain = 1e-12;
    let bestFeature = -1;
    let bestThreshold = 0;
    for (let k = 0; k < Math.min(mtry, pool.length); k++) {
      // mtry features drawn without replacement
      const pick = k + Math.floor(rand() * (pool.length - k));
      const swap = pool[k]!;
      pool[k] = pool[pick]!;
      pool[pick] = swap;
      const bins = features[pool[k]!]!.bin;
      count.fill(0);
      sum.fill(0);
      sumSq.fill(0);
      for (let j = from; j < to; j++) {
        const i = idx[j]!;
        const b = bins[i]!;
        const v = y[i]!;
        count[b]++;
        sum[b] += v;
        sumSq[b] += v * v;
      }
      let n = 0;
      let s = 0;
      let sq = 0;
      for (let t = 0; t < MAX_BINS - 1; t++) {
        if (count[t] === 0) continue;
        n += count[t]!;
        s += sum[t]!;
        sq += sumSq[t]!;
        const rest = size - n;
        if (n < options.minLeaf || rest < options.minLeaf) continue;
        const gain = parentSse - (sq - (s * s) / n + (totalSq - sq) - ((total - s) * (total - s)) / rest);
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = pool[k]!;
          bestThreshold = t;
        }
      }
    }
    if (bestFeature < 0) return node;
    const bins = features[bestFeature]!.bin;
    let mid = from;
    for (let j = from; j < to; j++) {
      if (bins[idx[j]!]! <= bestThreshold) {
        const swap = idx[mid]!;
        idx[mid] = idx[j]!;
        idx[j] = swap;
        mid++;
      }
    }
    tree.feature[node] = bestFeature;
    tree.threshold[node] = bestThreshold;
    tree.left[node] = grow(from, mid, depth + 1);
    tree.right[node] = grow(mid, to, depth + 1);
    return node;
  };
  grow(0, idx.length, 0);
  return tree;
}

/** The leaf value for row `i` of the bin matrix `x` (n x p, row-major), with feature `pf` read as bin `pb` instead. */
function predict(tree: Tree, x: Uint8Array, p: number, i: number, pf: number, pb: number): number {
  let node = 0;
  for (let f = tree.feature[node]!; f >= 0; f = tree.feature[node]!) {
    const b = f === pf ? pb : x[i * p + f]!;
    node = b <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/** Permutation importance on out-of-bag rows, per feature, averaged over trees (may be slightly negative: noise). */
function forestImportance(features: readonly Feature[], y: readonly number[], options: Required<ForestOptions>): number[] {
  const n = y.length;
  const p = features.length;
  const x = new Uint8Array(n * p);
  features.forEach((feature, f) => feature.bin.forEach((b, i) => (x[i * p + f] = b)));
  const rand = random(options.seed);
  const importance = new Float64Array(p);
  let used = 0;
  for (let t = 0; t < options.trees; t++) {
    const sample = Array.from({ length: n }, () => Math.floor(rand() * n));
    const inBag = new Uint8Array(n);
    for (const i of sample) inBag[i] = 1;
    const oob: number[] = [];
    for (let i = 0; i < n; i++) if (!inBag[i]) oob.push(i);
    if (oob.length < 2) continue;
    const tree = buildTree(features, y, sample, rand, options);
    let base = 0;
    for (const i of oob) base += (y[i]! - predict(tree, x, p, i, -1, 0)) ** 2;
    const shuffled = new Uint8Array(oob.length);
    for (let f = 0; f < p; f++) {
      oob.forEach((i, k) => (shuffled[k] = x[i * p + f]!));
      for (let k = shuffled.length - 1; k > 0; k--) {
        const j = Math.floor(rand() * (k + 1));
        const swap = shuffled[k]!;
        shuffled[k] = shuffled[j]!;
        shuffled[j] = swap;
      }
      let permuted = 0;
      oob.forEach((i, k) => (permuted += (y[i]! - predict(tree, x, p, i, f, shuffled[k]!)) ** 2));
      importance[f] += (permuted - base) / oob.length;
    }
    used++;
  }
  return [...importance].map((v) => (used === 0 ? 0 : v / used));
}

/** Correlation and forest importance of each key for the metric `y`, most important first. */
export function paramImportance(rows: readonly ImportanceRow[], keys: readonly string[], options: ForestOptions = {}): ParamImportance[] {
  const opts: Required<ForestOptions> = { trees: 60, seed: 1, maxDepth: 10, minLeaf: 2, ...options };
  const data = rows.filter((r) => Number.isFinite(r.y));
  const y = data.map((r) => r.y);
  const features = keys.map((key) => binFeature(key, data));
  const correlations = features.map((f) => {
    const present = data.map((r, i) => [r.params[f.key], i] as const).filter(([v]) => v !== undefined);
    if (f.kind === 'numeric') return spearman(present.map(([v]) => Number(v)), present.map(([, i]) => y[i]!));
    return correlationRatio(data.map((r) => r.params[f.key] ?? '(none)'), y);
  });
  const raw = data.length >= MIN_ROWS_FOR_IMPORTANCE && features.length > 0 ? forestImportance(features, y, opts) : null;
  const positive = raw ? raw.reduce((a, v) => a + Math.max(0, v), 0) : 0;
  const result = features.map((f, i): ParamImportance => ({
    key: f.key,
    kind: f.kind,
    correlation: correlations[i] ?? null,
    importance: raw === null ? null : positive > 0 ? Math.max(0, raw[i]!) / positive : 0,
  }));
  return result.sort((a, b) => (b.importance ?? -1) - (a.importance ?? -1) || Math.abs(b.correlation ?? 0) - Math.abs(a.correlation ?? 0));
}
