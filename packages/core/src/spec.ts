/**
 * The experiment spec: YAML read with `yaml` (positions kept), command-line overrides applied to the YAML
 * document, checked with ajv against `experimentSpecSchema`, defaults filled in. Every problem is reported
 * with file:line:column and the field path, all of them at once, in a `SpecError`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { dirname, resolve } from 'node:path';
import { canonicalJson } from './canonical-json.ts';
import { createSpecAjv } from './spec-ajv.ts';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { experimentSpecSchema, type ExperimentSpec } from './spec-schema.ts';
import {
  describeValue,
  displayPath,
  sortIssues,
  SpecError,
  translateAjvErrors,
  type FieldPath,
  type PathIssue,
  type SpecIssue,
} from './spec-issues.ts';
import { childOf, YamlSource, type AppliedOverride, type SpecLocator } from './spec-source.ts';
import { suggest } from './registry.ts';

export interface LoadedSpec {
  /** The file as named by the user (used in every message). */
  readonly file: string;
  /** The file's text as written (overrides are not applied to it). */
  readonly text: string;
  /** The folder of the spec file (absolute): relative paths in the spec are relative to it. */
  readonly baseDir: string;
  /** The `-o` overrides applied, as given (`optimizer.lr=0.001`). */
  readonly overrides: readonly string[];
  /** The resolved spec: overrides applied, validated, defaults filled in. */
  readonly spec: ExperimentSpec;
  /** `specHash(spec)`. */
  readonly hash: string;
  /** Where each field was written, for checks made later (plugin options, sweeps). */
  readonly source: SpecLocator;
}

export interface SpecLoadOptions {
  /** `path=value` strings as given to `-o` (repeatable); the value is read as YAML (`[64,64,3]`, `1e-3`). */
  overrides?: readonly string[];
}

/** The one place the spec validator is built (strict schema: a schema mistake is an error, not a warning). */
let specValidator: ValidateFunction | undefined;
function validator(): ValidateFunction {
  specValidator ??= createSpecAjv().compile(experimentSpecSchema);
  return specValidator;
}

/** Reads and checks a spec file. Throws `SpecError` listing every problem. */
export function loadSpec(file: string, options: SpecLoadOptions = {}): LoadedSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new SpecError([{ file, line: 0, column: 0, path: '', message: `cannot read the spec file: ${why}` }]);
  }
  return parseSpec(text, file, options);
}

/** Checks a spec given as text; `file` names it in messages. Throws `SpecError` listing every problem. */
export function parseSpec(text: string, file: string, options: SpecLoadOptions = {}): LoadedSpec {
  const overrides = [...(options.overrides ?? [])];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length) {
    throw new SpecError(
      doc.errors.map((e) => ({ file, ...at(e.pos[0]), path: '', message: `YAML syntax error: ${e.message}` })),
    );
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new SpecError([
      { file, line: 1, column: 1, path: '', message: 'the spec is empty; expected a mapping with name, model, data, optimizer and train' },
    ]);
  }
  if (!isMap(doc.contents)) {
    throw new SpecError([
      {
        file,
        ...at(doc.contents.range?.[0] ?? 0),
        path: '',
        message: `the spec must be a mapping of fields (name, model, data, optimizer, train), received ${describeValue(doc.toJS())}`,
      },
    ]);
  }

  const issues: SpecIssue[] = [];
  const applied: AppliedOverride[] = [];
  for (const text of overrides) {
    const result = applyOverride(doc, text);
    if (typeof result === 'string') issues.push({ file, line: 0, column: 0, override: text, path: '', message: result });
    else applied.push(result);
  }
  const source = new YamlSource(file, doc, lines, applied);
  const data = source.data();
  const validate = validator();
  const sweep = (data as { sweep?: unknown }).sweep;
  if (!validate(data)) {
    const found = translateAjvErrors(validate.errors ?? [], data, [], misplacedField);
    for (const issue of found) {
      // `sweep: { optimizer: { lr: [...] } }` is a natural guess; say how to write it.
      const [top, key] = issue.path;
      const value = top === 'sweep' && typeof key === 'string' && issue.path.length === 2 ? (sweep as Record<string, unknown>)[key] : undefined;
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
        issue.message += `; to sweep fields inside '${key}', write dotted keys such as '${key}.${Object.keys(value)[0]}: [...]'`;
      }
    }
    issues.push(...placeIssues(found, source, file));
  }
  if (sweep && typeof sweep === 'object' && !Array.isArray(sweep)) issues.push(...checkSweepKeys(sweep as Record<string, unknown>, source, file));
  if (issues.length) throw new SpecError(sortIssues(issues, overrides));
  const spec = data as ExperimentSpec;
  return { file, text, baseDir: dirname(resolve(file)), overrides, spec, hash: specHash(spec), source };
}

/** Gives path issues their place (file position, override or sweep value). */
export function placeIssues(found: PathIssue[], locator: SpecLocator, file: string): SpecIssue[] {
  return found.map((i) => ({ file, ...locator.locate(i.locateAt ?? i.path, i.at), path: displayPath(i.path), message: i.message }));
}

// ---------------------------------------------------------------------------------------------------------
// Overrides

/** Splits `optimizer.lr` / `model.inputShape[0]` into segments; `sweep.<dotted key>` keeps the key whole. */
export function parseFieldPath(text: string): (string | number)[] | undefined {
  if (!text) return undefined;
  if (text.startsWith('sweep.') && text.length > 'sweep.'.length) return ['sweep', text.slice('sweep.'.length)];
  const out: (string | number)[] = [];
  for (const part of text.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Applies one `path=value` to the document; returns what is wrong with it as a message instead. */
function applyOverride(doc: ReturnType<typeof parseDocument>, text: string): AppliedOverride | string {
  const eq = text.indexOf('=');
  if (eq < 0) return `expected path=value, e.g. -o optimizer.lr=0.001`;
  const pathText = text.slice(0, eq).trim();
  const path = parseFieldPath(pathText);
  if (!path) return `'${pathText}' is not a field path; expected dotted names like optimizer.lr or model.inputShape[0]`;
  const valueDoc = parseDocument(text.slice(eq + 1), { prettyErrors: false });
  if (valueDoc.errors.length) return `the value is not valid YAML: ${valueDoc.errors[0]!.message}`;
  const value = valueDoc.toJS();
  // Walk the existing document: an index into a list is a number; a scalar on the way cannot hold a field.
  let node: unknown = doc.contents;
  const resolved: (string | number)[] = [];
  for (const [i, seg] of path.entries()) {
    if (node === undefined || node === null) {
      resolved.push(...path.slice(i));
      break;
    }
    if (isSeq(node)) {
      if (!/^\d+$/.test(String(seg))) return `${displayPath(resolved)} is a list; '${seg}' is not an index`;
      resolved.push(Number(seg));
    } else if (isMap(node)) resolved.push(seg);
    else {
      const was = (node as { toJSON?: () => unknown }).toJSON?.() ?? node;
      return `${displayPath(resolved)} is ${describeValue(was)}, not a mapping, so it has no field '${seg}'`;
    }
    node = childOf(node, resolved[resolved.length - 1]!)?.value;
  }
  doc.setIn(resolved, doc.createNode(value));
  return { text, path: resolved };
}

// ---------------------------------------------------------------------------------------------------------
// Hash

// canonicalJson lives in canonical-json.ts (light enough for the store to import); re-exported for core's index.
export { canonicalJson };

/**
 * sha256 (hex) of the canonical JSON of the resolved spec: independent of key order and YAML formatting;
 * recognises identical runs. Fields that cannot change what a run computes are left out: the `sweep` block
 * (each point has its own hash), `description`, `tags` (labels) and `store` (where it is logged), so that
 * relabelling a sweep does not make its finished runs look new.
 */
export function specHash(spec: ExperimentSpec | Record<string, unknown>): string {
  const { sweep: _sweep, description: _description, tags: _tags, store: _store, ...rest } = spec as Record<string, unknown>;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Sweep keys: dotted paths that must name spec fields

type SchemaNode = Record<string, any>;

/** Whether a dotted path names a field the spec schema knows (anything under plugin `options` does). */
export function isSpecField(segments: readonly string[]): boolean {
  if (segments.length === 0 || segments[0] === 'sweep') return false;
  let s: SchemaNode | undefined = experimentSpecSchema as SchemaNode;
  for (const seg of segments) {
    if (!s) return false;
    if (s.properties?.[seg]) s = s.properties[seg];
    else if (s.additionalProperties === true) return true;
    else if (s.additionalProperties && typeof s.additionalProperties === 'object' && s.type === 'object') s = s.additionalProperties;
    else if (s.type === 'array' && /^\d+$/.test(seg)) s = s.items;
    else return false;
  }
  return true;
}

let fieldPaths: string[] | undefined;
/** Every dotted field path of the schema (for "did you mean"). */
function allFieldPaths(): string[] {
  if (fieldPaths) return fieldPaths;
  const out: string[] = [];
  const walk = (s: SchemaNode, prefix: string) => {
    for (const [k, child] of Object.entries((s.properties ?? {}) as Record<string, SchemaNode>)) {
      if (!prefix && k === 'sweep') continue;
      const p = prefix ? `${prefix}.${k}` : k;
      out.push(p);
      walk(child, p);
    }
  };
  walk(experimentSpecSchema as SchemaNode, '');
  return (fieldPaths = out);
}

/** Where a field that is unknown at one level does exist: `batchSize` under train is `data.batchSize`. */
function misplacedField(field: string): string[] {
  const lower = field.toLowerCase();
  return allFieldPaths().filter((p) => p.split('.').pop()!.toLowerCase() === lower);
}

export function checkSweepKeys(sweep: Record<string, unknown>, source: SpecLocator, file: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const keys = Object.keys(sweep);
  for (const key of keys) {
    const where = source.locate(['sweep', key], 'key');
    if (!isSpecField(key.split('.'))) {
      const close = suggest(key, allFieldPaths());
      const hint = close.length ? `; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : '';
      issues.push({ file, ...where, path: 'sweep', message: `key '${key}' is not a spec field${hint}` });
      continue;
    }
    const other = keys.find((k) => k !== key && key.startsWith(`${k}.`));
    if (other) issues.push({ file, ...where, path: 'sweep', message: `keys '${other}' and '${key}' overlap; sweep one or the other` });
    const values = sweep[key];
    if (!Array.isArray(values)) continue;
    const seen = new Set<string>();
    values.forEach((v, i) => {
      const c = canonicalJson(v);
      if (seen.has(c)) {
        issues.push({ file, ...source.locate(['sweep', key, i]), path: `sweep.${key}`, message: `lists ${describeValue(v)} more than once` });
      }
      seen.add(c);
    });
  }
  return issues;
}

export type { FieldPath };
