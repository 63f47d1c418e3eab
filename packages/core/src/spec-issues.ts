/**
 * Spec errors: one `SpecIssue` per problem, all reported together in a `SpecError`, one line each:
 *   experiments/x.yaml:7:5 optimizer.lr must be > 0, received -1
 *   override -o optimizer.lr=-1: optimizer.lr must be > 0, received -1
 * and the translation of ajv's error objects into such lines ("what was expected, what was received").
 */
import type { ErrorObject } from 'ajv';
import { suggest } from './registry.ts';

/** A field path as segments: object keys and array indices. */
export type FieldPath = readonly (string | number)[];

/** Where a value came from: a place in the file, a command-line override, and/or a sweep value. */
export interface SpecLocation {
  /** 1-based; 0 when the problem has no place in the file (an override, an unreadable file). */
  line: number;
  column: number;
  /** The override (`optimizer.lr=-1`, as given to `-o`) that wrote the value. */
  override?: string;
  /** The sweep value (`optimizer.lr=-1`) the value came from. */
  sweep?: string;
}

export interface SpecIssue extends SpecLocation {
  file: string;
  /** Dotted field path (`optimizer.lr`, `model.inputShape[0]`); '' for the spec as a whole. */
  path: string;
  /** What was expected and what was received: `must be > 0, received -1`. */
  message: string;
}

/** One line per issue, in the house format. */
export function formatIssue(issue: SpecIssue): string {
  const what = issue.path ? `${issue.path} ${issue.message}` : issue.message;
  const sweep = issue.sweep ? `sweep ${issue.sweep}: ` : '';
  if (issue.override) return `override -o ${issue.override}: ${sweep}${what}`;
  if (issue.line > 0) return `${issue.file}:${issue.line}:${issue.column} ${sweep}${what}`;
  return `${issue.file}: ${sweep}${what}`;
}

/** Every problem found in a spec; `message` has one line per issue. */
export class SpecError extends Error {
  override name = 'SpecError';
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[]) {
    const unique = dedupe(issues);
    super(unique.map(formatIssue).join('\n'));
    this.issues = unique;
  }
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const line = formatIssue(i);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

/** Issues in reading order: the file's by position, then overrides in the order they were given. */
export function sortIssues(issues: SpecIssue[], overrides: readonly string[] = []): SpecIssue[] {
  const rank = (i: SpecIssue) => (i.override === undefined ? -1 : overrides.indexOf(i.override));
  return issues
    .map((issue, order) => ({ issue, order }))
    .sort(
      (a, b) =>
        rank(a.issue) - rank(b.issue) ||
        (a.issue.override ? 0 : a.issue.line - b.issue.line || a.issue.column - b.issue.column) ||
        a.order - b.order,
    )
    .map(({ issue }) => issue);
}

export function displayPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** How a received value is shown: scalars as written (strings quoted), collections by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isNaN(value) ? '.nan' : String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    const json = safeJson(value);
    return json && json.length <= 40 ? `a list ${json}` : `a list of ${value.length} items`;
  }
  return 'a mapping';
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** A short description of what a schema accepts: "an integer >= 1", "one of 'max', 'min'". */
export function describeSchema(schema: unknown): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(quote).join(', ')}`;
  if ('const' in s) return quote(s.const);
  const branches = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches)) {
    const parts = branches.map(describeSchema);
    return parts.every(Boolean) ? parts.join(' or ') : undefined;
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  if (!types.length) return undefined;
  let text = types.map((t) => TYPE_NAMES[t] ?? t).join(' or ');
  const bounds: string[] = [];
  if (typeof s.exclusiveMinimum === 'number') bounds.push(`> ${s.exclusiveMinimum}`);
  else if (typeof s.minimum === 'number') bounds.push(`>= ${s.minimum}`);
  if (typeof s.exclusiveMaximum === 'number') bounds.push(`< ${s.exclusiveMaximum}`);
  else if (typeof s.maximum === 'number') bounds.push(`<= ${s.maximum}`);
  if (bounds.length) text += ` ${bounds.join(' and ')}`;
  return text;
}

/** Decodes an ajv instancePath (JSON pointer) into segments, numbers for array indices. */
export function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** A problem at a field path, before it is given a place in a file. */
export interface PathIssue {
  path: (string | number)[];
  /** 'key': point at the field's key (unknown fields, missing children); 'value': at its value. */
  at: 'key' | 'value';
  /** Where to point when it differs from `path`: a missing field points at its parent. */
  locateAt?: (string | number)[];
  message: string;
}

/**
 * Translates ajv's errors (run with allErrors and verbose) into path issues. The errors inside a failed
 * anyOf/oneOf are folded into one "must be X or Y" line.
 */
export function translateAjvErrors(
  errors: readonly ErrorObject[],
  data: unknown,
  prefix: FieldPath = [],
  /** Full paths where an unknown field would be known (for "did you mean 'data.batchSize'?"). */
  elsewhere?: (field: string) => string[],
): PathIssue[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inFailedUnion = (e: ErrorObject) =>
    unions.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`) && e.instancePath.startsWith(u.instancePath));
  // A failed if/then: its `then` errors say what is wrong; the then-schema's description says why.
  const conditionals = errors.filter((e) => e.keyword === 'if');
  const because = (e: ErrorObject) => {
    for (const c of conditionals) {
      const base = c.schemaPath.replace(/\/if$/, '');
      const branch = (c.params as { failingKeyword?: string }).failingKeyword ?? 'then';
      const why = (c.parentSchema as Record<string, any> | undefined)?.[branch]?.description;
      if (why && e.schemaPath.startsWith(`${base}/${branch}/`)) return ` (${why})`;
    }
    return '';
  };
  const out: PathIssue[] = [];
  for (const e of errors) {
    if (inFailedUnion(e)) continue;
    if (e.keyword === 'if') continue; // its then/else errors say what is wrong
    const before = out.length;
    const path = [...prefix, ...pointerToPath(e.instancePath, data)];
    const received = describeValue(e.data);
    const p = e.params as Record<string, any>;
    const parent = (e.parentSchema ?? {}) as Record<string, any>;
    switch (e.keyword) {
      case 'required': {
        const field = p.missingProperty as string;
        const expected = describeSchema(parent.properties?.[field]);
        out.push({ path: [...path, field], locateAt: path, at: 'key', message: `is required${expected ? ` (${expected})` : ''}` });
        break;
      }
      case 'additionalProperties': {
        const field = p.additionalProperty as string;
        const known = Object.keys(parent.properties ?? {});
        const close = suggest(field, known);
        const other = close.length ? [] : (elsewhere?.(field) ?? []);
        const hint = other.length
          ? `; did you mean ${other.map((c) => `'${c}'`).join(' or ')}?`
          : close.length
          ? `; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`
          : known.length
            ? `; known fields: ${known.join(', ')}`
            : '';
        out.push({ path: [...path, field], at: 'key', message: `is not a known field${hint}` });
        break;
      }
      case 'type': {
        const types = String(p.type).split(',');
        // YAML 1.1 read yes/no/on/off as booleans; YAML 1.2 (what we read) keeps them strings.
        const yaml11 =
          types.includes('boolean') && typeof e.data === 'string' && /^(y|yes|n|no|on|off)$/i.test(e.data) ? ' (write true or false)' : '';
        out.push({ path, at: 'value', message: `must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')}, received ${received}${yaml11}` });
        break;
      }
      case 'enum': {
        const allowed = (p.allowedValues as unknown[]) ?? [];
        const close =
          typeof e.data === 'string' ? suggest(e.data, allowed.filter((a): a is string => typeof a === 'string')) : [];
        const hint = close.length ? `; did you mean ${close.map(quote).join(' or ')}?` : '';
        out.push({ path, at: 'value', message: `must be one of ${allowed.map(quote).join(', ')}, received ${received}${hint}` });
        break;
      }
      case 'const':
        out.push({ path, at: 'value', message: `must be ${quote(p.allowedValue)}, received ${received}` });
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        out.push({ path, at: 'value', message: `must be ${p.comparison} ${p.limit}, received ${received}` });
        break;
      case 'multipleOf':
        out.push({ path, at: 'value', message: `must be a multiple of ${p.multipleOf}, received ${received}` });
        break;
      case 'minLength':
        out.push({
          path,
          at: 'value',
          message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long, received ${received}`,
        });
        break;
      case 'maxLength':
        out.push({ path, at: 'value', message: `must be at most ${p.limit} characters long, received ${received}` });
        break;
      case 'pattern':
        out.push({
          path,
          at: 'value',
          message: `must ${parent.patternHint ? `be ${parent.patternHint}` : `match the pattern ${p.pattern}`}, received ${received}`,
        });
        break;
      case 'minItems':
      case 'maxItems': {
        const n = Array.isArray(e.data) ? e.data.length : 0;
        const exact = parent.minItems !== undefined && parent.minItems === parent.maxItems;
        const bound = exact ? 'exactly' : e.keyword === 'minItems' ? 'at least' : 'at most';
        out.push({ path, at: 'value', message: `must have ${bound} ${p.limit} item${p.limit === 1 ? '' : 's'}, received ${n}` });
        break;
      }
      case 'minProperties':
      case 'maxProperties': {
        const keys = e.data && typeof e.data === 'object' ? Object.keys(e.data) : [];
        const exact = parent.minProperties !== undefined && parent.minProperties === parent.maxProperties;
        const bound = exact ? 'exactly' : e.keyword === 'minProperties' ? 'at least' : 'at most';
        const got = keys.length ? `${keys.length}: ${keys.join(', ')}` : 'none';
        out.push({ path, at: 'value', message: `must have ${bound} ${p.limit} key${p.limit === 1 ? '' : 's'}, received ${got}` });
        break;
      }
      case 'uniqueItems':
        out.push({ path, at: 'value', message: `must not repeat items; items ${p.j} and ${p.i} are equal` });
        break;
      case 'anyOf':
      case 'oneOf': {
        const expected = describeSchema(parent);
        out.push({
          path,
          at: 'value',
          message: expected
            ? `must be ${expected}, received ${received}`
            : `must match ${e.keyword === 'oneOf' ? 'exactly one' : 'one'} of the allowed forms, received ${received}`,
        });
        break;
      }
      default:
        out.push({ path, at: 'value', message: `${e.message ?? `fails '${e.keyword}'`}, received ${received}` });
    }
    const why = because(e);
    for (let i = before; i < out.length; i++) out[i]!.message += why;
  }
  return out;
}
