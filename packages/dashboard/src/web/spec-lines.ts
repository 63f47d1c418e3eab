/**
 * The spec that ran, as YAML lines that know their field (pure): the resolved spec a run stored (defaults filled,
 * sweep values and `-o` overrides applied) printed in block style, each line with the dotted path of its key, so the
 * page can mark the fields an override or the sweep set. Arrays inside print in flow style (`[32, 32, 3]`,
 * `- { resize: { size: [64, 64] } }`).
 */

export interface SpecLine {
  depth: number;
  text: string;
  /** Dotted path of the field this line sets (`optimizer.lr`), '' for none. */
  path: string;
}

const PLAIN = /^[A-Za-z_./@][A-Za-z0-9_./@ -]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

/** A string as YAML reads it back unchanged: bare when it is safe, else JSON-quoted. */
export function yamlString(text: string): string {
  return PLAIN.test(text) && !RESERVED.test(text) && text.trimEnd() === text && !text.includes(' #') && !text.includes(': ') ? text : JSON.stringify(text);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return yamlString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return flow(value);
}

/** A value on one line: `[a, b]`, `{ k: v }`. */
export function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? `{ ${entries.map(([k, v]) => `${yamlString(k)}: ${flow(v)}`).join(', ')} }` : '{}';
  }
  return scalar(value);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A spec's sections in the order people write them (the store keeps the resolved spec with sorted keys). */
const SECTION_ORDER = ['name', 'description', 'seed', 'tags', 'plugins', 'engine', 'model', 'data', 'optimizer', 'train', 'store', 'sweep'];

function sectionsInOrder(entries: [string, unknown][]): [string, unknown][] {
  const rank = (key: string) => {
    const i = SECTION_ORDER.indexOf(key);
    return i < 0 ? SECTION_ORDER.length : i;
  };
  return [...entries].sort((a, b) => rank(a[0]) - rank(b[0]));
}

export function specLines(value: unknown, depth = 0, prefix = ''): SpecLine[] {
  if (!isPlainObject(value)) return [{ depth, text: flow(value), path: prefix }];
  const lines: SpecLine[] = [];
  const entries = prefix === '' ? sectionsInOrder(Object.entries(value)) : Object.entries(value);
  for (const [key, child] of entries) {
    const path = prefix ? `${prefix}.${key}` : key;
    const name = yamlString(key);
    if (isPlainObject(child) && Object.keys(child).length > 0) {
      lines.push({ depth, text: `${name}:`, path });
      lines.push(...specLines(child, depth + 1, path));
    } else if (Array.isArray(child) && child.some((item) => item !== null && typeof item === 'object')) {
      lines.push({ depth, text: `${name}:`, path });
      child.forEach((item, i) => lines.push({ depth: depth + 1, text: `- ${flow(item)}`, path: `${path}.${i}` }));
    } else {
      lines.push({ depth, text: `${name}: ${flow(child)}`, path });
    }
  }
  return lines;
}

/** The fields set by `-o` overrides (`optimizer.lr=0.02` -> `optimizer.lr`) and by the sweep (its keys). */
export function changedFields(overrides: readonly string[], sweepValues: Readonly<Record<string, unknown>> | null): { overridden: string[]; swept: string[] } {
  return {
    overridden: overrides.map((o) => o.slice(0, o.indexOf('=') < 0 ? o.length : o.indexOf('=')).trim()).filter(Boolean),
    swept: Object.keys(sweepValues ?? {}),
  };
}

/** How a line was set: by an override, by the sweep, or as written (a line inside a changed field counts as changed). */
export function lineOrigin(path: string, fields: { overridden: readonly string[]; swept: readonly string[] }): 'override' | 'sweep' | null {
  const within = (field: string) => path === field || path.startsWith(`${field}.`);
  if (fields.overridden.some(within)) return 'override';
  if (fields.swept.some(within)) return 'sweep';
  return null;
}

/** The command line as one shell line, quoting the words that need it. */
export function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ');
}
