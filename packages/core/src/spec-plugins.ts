/**
 * Plugin options in a spec (`model.options`, `data.options`, `optimizer.options`,
 * `optimizer.schedule.options`) are checked once the registry is known, against each entry's own
 * `optionsSchema`, with the same file:line:column messages as the spec itself; their defaults are filled in.
 */
import type { ValidateFunction } from 'ajv';
import { createSpecAjv } from './spec-ajv.ts';
import { KINDS, PLUGIN_KINDS, type OptionsSchema } from './plugin.ts';
import type { Registry } from './registry.ts';
import { describeValue, displayPath, sortIssues, SpecError, translateAjvErrors, type SpecIssue } from './spec-issues.ts';
import { placeIssues, specHash, type LoadedSpec } from './spec.ts';
import { experimentSpecSchema, type ExperimentSpec } from './spec-schema.ts';
import { expandSweep, type SweepPoint } from './spec-sweep.ts';

// Plugin schemas are written by plugin authors: unknown keywords are errors (strict), but type-inference
// nits (strictTypes) are not worth refusing a plugin over.
const pluginAjv = createSpecAjv({ strictTypes: false, strictTuples: false });
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Checks an options object against an entry's schema outside a spec (a factory called directly): returns a
 * copy with the schema's defaults filled in; throws an Error naming `what` and every problem.
 */
export function resolveEntryOptions(
  what: string,
  schema: OptionsSchema | undefined,
  options: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const copy = structuredClone(options ?? {});
  if (!schema) return copy;
  const validate = compile(schema);
  if (!validate(copy)) {
    const problems = translateAjvErrors(validate.errors ?? [], copy, ['options']).map((i) => `${displayPath(i.path)} ${i.message}`);
    throw new RangeError(`${what}: ${problems.join('; ')}`);
  }
  return copy;
}

function compile(schema: OptionsSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = pluginAjv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** The object at `path` in a spec (`['optimizer', 'schedule']`), if there is one. */
function sectionOf(spec: Record<string, any>, path: readonly string[]): Record<string, unknown> | undefined {
  let node: any = spec;
  for (const seg of path) node = node?.[seg];
  return node && typeof node === 'object' ? node : undefined;
}

/**
 * Checks every plugin name and options object of a loaded spec (or sweep point) against the registry.
 * Returns the same spec with the entries' option defaults filled in (and its hash recomputed); throws
 * `SpecError` listing every problem. For a sweep, call it on each point of `expandSweep`.
 */
export function validatePluginOptions<T extends LoadedSpec>(loaded: T, registry: Registry): T {
  const spec = structuredClone(loaded.spec) as ExperimentSpec & Record<string, any>;
  const issues: SpecIssue[] = [];
  const place = (path: (string | number)[], at: 'key' | 'value', message: string) =>
    issues.push(...placeIssues([{ path, at, message }], loaded.source, loaded.file));
  for (const kind of KINDS) {
    const { label, specPath } = PLUGIN_KINDS[kind];
    const path = [...specPath];
    const node = sectionOf(spec, specPath);
    if (!node) continue;
    const name = node.name as string;
    if (!registry.has(kind, name)) {
      place([...path, 'name'], 'value', `must name a registered ${label}, received ${describeValue(name)}${registry.unknownHint(kind, name)}`);
      continue;
    }
    const found = registry.get(kind, name);
    const schema = found.entry.optionsSchema;
    if (!schema) continue; // the entry checks its own options
    let validate: ValidateFunction;
    try {
      validate = compile(schema);
    } catch (e) {
      place([...path, 'name'], 'value', `names ${label} '${name}' of plugin '${found.plugin}', whose optionsSchema is invalid: ${(e as Error).message}`);
      continue;
    }
    const options = (node.options ?? {}) as Record<string, unknown>;
    if (!validate(options)) {
      const found = translateAjvErrors(validate.errors ?? [], options, [...path, 'options']);
      issues.push(...placeIssues(found, loaded.source, loaded.file));
    }
    node.options = options;
  }
  if (issues.length) throw new SpecError(sortIssues(issues, loaded.overrides));
  return { ...loaded, spec, hash: specHash(spec) };
}

/**
 * Everything the runner needs from a loaded spec in one call: the sweep expanded (one point without a
 * sweep) and every point's plugin names and options checked against the registry, defaults filled in.
 * Throws one `SpecError` with the problems of all points (each reported once).
 */
export function resolveExperiment(loaded: LoadedSpec, registry: Registry): SweepPoint[] {
  const points = expandSweep(loaded);
  const issues: SpecIssue[] = [];
  const resolved: SweepPoint[] = [];
  for (const point of points) {
    try {
      resolved.push(validatePluginOptions(point, registry));
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      issues.push(...e.issues);
    }
  }
  if (issues.length) throw new SpecError(sortIssues(issues, loaded.overrides));
  return resolved;
}

/** `node` with the (annotation) keyword removed everywhere: other tools do not know vgglab's own. */
function withoutKeyword(node: unknown, keyword: string): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutKeyword(n, keyword));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).filter(([k]) => k !== keyword).map(([k, v]) => [k, withoutKeyword(v, keyword)]));
  }
  return node;
}

/**
 * The spec's JSON Schema for editors (yaml-language-server: `# yaml-language-server: $schema=<file>`):
 * with a registry, plugin names become the registered ones and each entry's options schema applies when
 * its name is chosen; top-level `x-…` fields are allowed.
 */
export function experimentJsonSchema(registry?: Registry): Record<string, unknown> {
  const schema = withoutKeyword(structuredClone(experimentSpecSchema), 'patternHint') as Record<string, any>;
  schema.$schema = 'http://json-schema.org/draft-07/schema#';
  schema.patternProperties = { '^x-': {} };
  if (registry) {
    for (const kind of KINDS) {
      let node = schema;
      for (const seg of PLUGIN_KINDS[kind].specPath) node = node.properties[seg];
      const entries = registry.list(kind);
      node.properties.name = { ...node.properties.name, enum: entries.map((e) => e.name) };
      const conditions = entries
        .filter((e) => e.entry.optionsSchema)
        .map((e) => ({
          if: { properties: { name: { const: e.name } }, required: ['name'] },
          then: { properties: { options: e.entry.optionsSchema } },
        }));
      if (conditions.length) node.allOf = conditions;
    }
  }
  return schema;
}
