/**
 * Sweeps: `sweep:` maps dotted field paths to lists of values; the grid is their cartesian product, in a
 * stable order (the first key varies slowest, as itertools.product). Each point is a full spec, validated
 * like the file itself; a bad value is reported at its place in the sweep list.
 */
import { canonicalJson, checkSweepKeys, placeIssues, specHash, type LoadedSpec } from './spec.ts';
import { experimentSpecSchema, type ExperimentSpec } from './spec-schema.ts';
import { sortIssues, SpecError, translateAjvErrors, type FieldPath, type SpecIssue, type SpecLocation } from './spec-issues.ts';
import type { SpecLocator } from './spec-source.ts';
import type { ValidateFunction } from 'ajv';
import { createSpecAjv } from './spec-ajv.ts';
import { sweepPointName } from './sweep-name.ts';

export interface SweepPoint extends LoadedSpec {
  /** Position in the grid, 0-based. */
  readonly index: number;
  /** The value each sweep key takes here, keyed by the dotted path as written. */
  readonly values: Readonly<Record<string, unknown>>;
  /** `lr=0.001,name=vgg16`: short, unique within the sweep, usable in run names. */
  readonly label: string;
  /** `vgg16 · lr 0.001`: the values that vary across the sweep, as a run is named (sweep-name.ts); '' without a
   * sweep, or when no key has more than one value. */
  readonly name: string;
}

/** More points than this is almost surely a mistake (and would not fit in memory as specs). */
export const MAX_SWEEP_POINTS = 10_000;

let pointValidator: ValidateFunction | undefined;
function validator(): ValidateFunction {
  pointValidator ??= createSpecAjv().compile(experimentSpecSchema);
  return pointValidator;
}

interface Assignment {
  key: string;
  segments: string[];
  index: number;
  value: unknown;
}

/** How a value is written in a label or message: strings bare, numbers as JS prints them, the rest as JSON. */
export function formatSweepValue(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : canonicalJson(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Sets `value` at `segments`, creating objects on the way. A value replaces the field as a whole. */
function assign(target: Record<string, unknown>, segments: string[], value: unknown): void {
  let node: any = target;
  for (const seg of segments.slice(0, -1)) {
    const key = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
    if (!isObject(node[key]) && !Array.isArray(node[key])) node[key] = {};
    node = node[key];
  }
  const last = segments[segments.length - 1]!;
  node[Array.isArray(node) && /^\d+$/.test(last) ? Number(last) : last] = structuredClone(value);
}

function hasPath(value: unknown, rest: FieldPath): boolean {
  let node: any = value;
  for (const seg of rest) {
    if (!node || typeof node !== 'object' || !(String(seg) in node)) return false;
    node = node[seg as any];
  }
  return true;
}

/** Positions for one grid point: a field set by the sweep points at its value in the sweep list. */
class SweepLocator implements SpecLocator {
  constructor(
    private readonly base: SpecLocator,
    private readonly assignments: readonly Assignment[],
  ) {}
  locate(path: FieldPath, at: 'key' | 'value' = 'value'): SpecLocation {
    for (const a of [...this.assignments].reverse()) {
      const covers = a.segments.length <= path.length && a.segments.every((s, i) => s === String(path[i]));
      const inside = !covers && path.length < a.segments.length && path.every((s, i) => String(s) === a.segments[i]);
      if (!covers && !inside) continue;
      // Inside the swept value: point into it when the field is there, else at the value as a whole.
      const rest = covers && hasPath(a.value, path.slice(a.segments.length)) ? path.slice(a.segments.length) : [];
      return { ...this.base.locate(['sweep', a.key, a.index, ...rest], rest.length ? at : 'value'), sweep: `${a.key}=${formatSweepValue(a.value)}` };
    }
    return this.base.locate(path, at);
  }
}

/**
 * The grid of a spec's `sweep:` as full specs (each validated, defaults filled, hashed). A spec without a
 * sweep gives one point: itself. Throws `SpecError` with every bad value, at its place in the sweep list.
 */
export function expandSweep(loaded: LoadedSpec): SweepPoint[] {
  const sweep = (loaded.spec as { sweep?: Record<string, unknown[]> }).sweep;
  if (!sweep || Object.keys(sweep).length === 0) {
    return [{ ...loaded, index: 0, values: {}, label: '', name: '' }];
  }
  const keyIssues = checkSweepKeys(sweep, loaded.source, loaded.file);
  if (keyIssues.length) throw new SpecError(sortIssues(keyIssues, loaded.overrides));

  const keys = Object.keys(sweep);
  const lastSegment = (k: string) => k.split('.').pop()!;
  const shortNames = keys.map(lastSegment);
  const labelKey = (k: string) => (shortNames.filter((s) => s === lastSegment(k)).length > 1 ? k : lastSegment(k));

  // Keys listing one value (or one value several times) name nothing: every point has it.
  const varying = keys.filter((k) => new Set(sweep[k]!.map((v) => canonicalJson(v))).size > 1);
  const total = keys.reduce((n, k) => n * sweep[k]!.length, 1);
  if (total > MAX_SWEEP_POINTS) {
    const sizes = keys.map((k) => `${k} ${sweep[k]!.length}`).join(' x ');
    throw new SpecError([
      { file: loaded.file, ...loaded.source.locate(['sweep'], 'key'), path: 'sweep', message: `has ${total} points (${sizes}), more than ${MAX_SWEEP_POINTS}; sweep fewer values` },
    ]);
  }
  // Cartesian product, first key slowest.
  let combos: number[][] = [[]];
  for (const key of keys) combos = combos.flatMap((c) => sweep[key]!.map((_, i) => [...c, i]));

  // The base as written (overrides applied), before any defaults: a plugin default filled in for one
  // optimizer must not travel to another one the sweep swaps in.
  const raw = rawBase(loaded) ?? (loaded.spec as Record<string, unknown>);
  const points: SweepPoint[] = [];
  const issues: SpecIssue[] = [];
  const validate = validator();
  combos.forEach((combo, index) => {
    const data = structuredClone(raw) as Record<string, unknown>;
    delete data.sweep;
    const assignments: Assignment[] = combo.map((i, k) => ({
      key: keys[k]!,
      segments: keys[k]!.split('.'),
      index: i,
      value: sweep[keys[k]!]![i],
    }));
    for (const a of assignments) assign(data, a.segments, a.value);
    const source = new SweepLocator(loaded.source, assignments);
    if (!validate(data)) {
      issues.push(...placeIssues(translateAjvErrors(validate.errors ?? [], data), source, loaded.file));
      return;
    }
    const values = Object.fromEntries(assignments.map((a) => [a.key, a.value]));
    const label = assignments.map((a) => `${labelKey(a.key)}=${formatSweepValue(a.value)}`).join(',');
    const spec = data as ExperimentSpec;
    const name = sweepPointName(values, varying);
    points.push({ file: loaded.file, text: loaded.text, baseDir: loaded.baseDir, overrides: loaded.overrides, spec, hash: specHash(spec), source, index, values, label, name });
  });
  if (issues.length) throw new SpecError(sortIssues(issues, loaded.overrides));
  return points;
}

/** The spec as written plus overrides, before defaults, when the loaded spec still knows it. */
function rawBase(loaded: LoadedSpec): Record<string, unknown> | undefined {
  const source = loaded.source as { data?: () => unknown };
  const data = source.data?.();
  return isObject(data) ? data : undefined;
}
