/**
 * Where each field of a spec was written. The YAML document keeps its positions (parseDocument + a
 * LineCounter); command-line overrides are applied to that same document, so a value that an override wrote
 * has no position and is attributed to its override instead. Later checks (plugin options, sweep values)
 * find positions through the same `SpecLocator`.
 */
import { isCollection, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { FieldPath, SpecLocation } from './spec-issues.ts';

export interface SpecLocator {
  /**
   * The place a field came from. `at: 'key'` points at the field's key (unknown or missing fields),
   * `'value'` at its value. A path that does not exist points at its deepest existing parent.
   */
  locate(path: FieldPath, at?: 'key' | 'value'): SpecLocation;
}

/** A parsed `-o path=value` override. */
export interface AppliedOverride {
  text: string;
  path: (string | number)[];
}

const isPrefix = (prefix: FieldPath, path: FieldPath) =>
  prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i]));

/** The map pair or sequence item at `seg` of `node`, if any. */
export function childOf(node: unknown, seg: string | number): { key?: Node; value: Node | undefined } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
    return pair ? { key: pair.key as Node, value: (pair.value ?? undefined) as Node | undefined } : undefined;
  }
  if (isSeq(node) && /^\d+$/.test(String(seg))) {
    const item = node.items[Number(seg)];
    return item === undefined ? undefined : { value: item as Node };
  }
  return undefined;
}

export class YamlSource implements SpecLocator {
  constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
    readonly overrides: readonly AppliedOverride[],
  ) {}

  /**
   * The spec as plain data (a fresh copy each call), before defaults. Top-level `x-…` fields are dropped:
   * they hold YAML anchors for reuse (`x-common: &common …`, then `<<: *common`), as in docker-compose.
   */
  data(): unknown {
    const data = this.doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      for (const key of Object.keys(data)) if (key.startsWith('x-')) delete (data as Record<string, unknown>)[key];
    }
    return data;
  }

  /** The node at `path`, or undefined. */
  nodeAt(path: FieldPath): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      const child = childOf(node, seg);
      if (!child) return undefined;
      node = child.value;
    }
    return (node ?? undefined) as Node | undefined;
  }

  position(offset: number): SpecLocation {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  locate(path: FieldPath, at: 'key' | 'value' = 'value'): SpecLocation {
    for (let i = this.overrides.length - 1; i >= 0; i--) {
      const o = this.overrides[i]!;
      if (isPrefix(o.path, path)) return { line: 0, column: 0, override: o.text };
    }
    if (path.length === 0) return { line: 1, column: 1 };
    // Walk as far as the path exists; remember the deepest key and value found.
    let node: unknown = this.doc.contents;
    let key: Node | undefined;
    let depth = 0;
    for (const seg of path) {
      const child = childOf(node, seg);
      if (!child) break;
      key = child.key;
      node = child.value;
      depth++;
    }
    const complete = depth === path.length;
    const value = node as Node | undefined;
    const valueIsInline = value && (isScalar(value) || (isCollection(value) && value.flow));
    const target = complete && at === 'value' && valueIsInline ? value : (key ?? value);
    const offset = target?.range?.[0];
    if (offset !== undefined) return this.position(offset);
    // Written by an override (nodes it created have no position).
    const reached = path.slice(0, depth);
    for (let i = this.overrides.length - 1; i >= 0; i--) {
      const o = this.overrides[i]!;
      if (isPrefix(reached, o.path)) return { line: 0, column: 0, override: o.text };
    }
    const start = (this.doc.contents as Node | null)?.range?.[0];
    return start !== undefined ? this.position(start) : { line: 1, column: 1 };
  }
}
