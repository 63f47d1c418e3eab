/**
 * The picture in docs/architecture.md is true: every import between our packages, and between the runner's
 * rooms, follows an arrow of its "arrows" block, and every arrow is used. The runner and core know plugins
 * only through core's contracts: no file of theirs imports a plugin package or names a plugin's constant,
 * except the runner's one registration place and the `vgglab data` command (the data package's tools).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGES = path.join(ROOT, 'packages');
const RUNNER_SRC = path.join(PACKAGES, 'runner', 'src');
/** Plugin packages: the runner and core reach them through contracts only. */
const PLUGIN_PACKAGES = ['models-vgg', 'data'];
/** The runner files allowed to import a plugin package (see docs/architecture.md). */
const PLUGIN_IMPORTERS = ['plugins.ts', 'cli/commands/data.ts'];

type Arrows = Map<string, Set<string>>;

/** The `a -> b, c` lines of the doc's arrows block, split into the package part and the runner-room part. */
function readArrows(): { packages: Arrows; rooms: Arrows } {
  const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const block = /```arrows\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/architecture.md has no ```arrows block');
  const packageNames = new Set(readdirSync(PACKAGES).filter((d) => statSync(path.join(PACKAGES, d)).isDirectory()));
  const packages: Arrows = new Map();
  const rooms: Arrows = new Map();
  for (const line of block.split('\n')) {
    const m = /^([\w-]+) ->(.*)$/.exec(line.trim());
    if (!m) continue;
    const targets = new Set(m[2]!.split(',').map((t) => t.trim()).filter(Boolean));
    (packageNames.has(m[1]!) ? packages : rooms).set(m[1]!, targets);
  }
  return { packages, rooms };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The package a specifier reaches: `@vgglab/x[/…]`, or a relative path into another package's folder. */
function packageOf(specifier: string, fromFile: string): string | undefined {
  const scoped = /^@vgglab\/([\w-]+)/.exec(specifier);
  if (scoped) return scoped[1];
  if (!specifier.startsWith('.')) return undefined;
  const rel = path.relative(PACKAGES, path.resolve(path.dirname(fromFile), specifier));
  return rel.startsWith('..') ? undefined : rel.split(path.sep)[0];
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file);

/** The room of a runner source file: its folder under src/, `index`, or `shared` for the files directly in src/. */
function roomOf(file: string): string {
  const rel = path.relative(RUNNER_SRC, file);
  if (rel === 'index.ts') return 'index';
  return rel.includes(path.sep) ? rel.split(path.sep)[0]! : 'shared';
}

function edgesNotAllowed(used: Map<string, Set<string>>, arrows: Arrows): string[] {
  return [...used].flatMap(([from, tos]) => [...tos].filter((to) => !arrows.get(from)?.has(to)).map((to) => `${from} -> ${to}`));
}
function arrowsUnused(used: Map<string, Set<string>>, arrows: Arrows): string[] {
  return [...arrows].flatMap(([from, tos]) => [...tos].filter((to) => !used.get(from)?.has(to)).map((to) => `${from} -> ${to}`));
}

describe('docs/architecture.md', () => {
  const { packages, rooms } = readArrows();

  it('every package is in the picture', () => {
    const missing = readdirSync(PACKAGES).filter((d) => statSync(path.join(PACKAGES, d)).isDirectory() && !packages.has(d));
    expect(missing, 'packages without a line in the arrows block').toEqual([]);
  });

  it('every import between packages follows an arrow, and every package arrow is used', () => {
    const used = new Map<string, Set<string>>();
    const where: string[] = [];
    for (const pkg of packages.keys()) {
      used.set(pkg, new Set());
      for (const file of sourceFiles(path.join(PACKAGES, pkg))) {
        for (const spec of specifiers(file)) {
          const target = packageOf(spec, file);
          if (!target || target === pkg) continue;
          used.get(pkg)!.add(target);
          if (!packages.get(pkg)!.has(target)) where.push(`${path.relative(PACKAGES, file)} imports '${spec}'`);
        }
      }
    }
    expect(where, 'imports no arrow allows').toEqual([]);
    expect(edgesNotAllowed(used, packages)).toEqual([]);
    expect(arrowsUnused(used, packages), 'arrows no import uses: erase them from the picture').toEqual([]);
  });

  it("every import between the runner's rooms follows an arrow, and every room arrow is used", () => {
    const used = new Map<string, Set<string>>([...rooms.keys()].map((r) => [r, new Set<string>()]));
    const where: string[] = [];
    for (const file of sourceFiles(RUNNER_SRC).filter((f) => !isTest(f))) {
      const from = roomOf(file);
      expect(rooms.has(from), `${path.relative(RUNNER_SRC, file)} is in a room the doc does not draw: '${from}'`).toBe(true);
      for (const spec of specifiers(file).filter((s) => s.startsWith('.'))) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(RUNNER_SRC + path.sep)) continue;
        const to = roomOf(target);
        if (to === from) continue;
        used.get(from)!.add(to);
        if (!rooms.get(from)!.has(to)) where.push(`${path.relative(RUNNER_SRC, file)} (${from}) imports '${spec}' (${to})`);
      }
    }
    expect(where, 'imports no arrow allows').toEqual([]);
    expect(arrowsUnused(used, rooms), 'arrows no import uses: erase them from the picture').toEqual([]);
  });
});

describe('the runner and core know plugins only through their contracts', () => {
  const files = [...sourceFiles(RUNNER_SRC), ...sourceFiles(path.join(PACKAGES, 'core', 'src'))].filter((f) => !isTest(f) && !f.includes(`${path.sep}testing${path.sep}`));
  const allowed = (file: string) => PLUGIN_IMPORTERS.some((a) => file === path.join(RUNNER_SRC, a));

  it('no file imports a plugin package but the registration place and the `vgglab data` command', () => {
    const importers = files.filter((f) => specifiers(f).some((s) => PLUGIN_PACKAGES.includes(packageOf(s, f) ?? '')));
    expect(importers.map((f) => path.relative(RUNNER_SRC, f)).sort()).toEqual([...PLUGIN_IMPORTERS].sort());
  });

  it("no file names a plugin's constants (its plugin name, known datasets, …)", () => {
    const constants = PLUGIN_PACKAGES.flatMap((pkg) => {
      const index = readFileSync(path.join(PACKAGES, pkg, 'src', 'index.ts'), 'utf8');
      return [...index.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)].map((m) => m[1]!);
    });
    expect(constants).toEqual(expect.arrayContaining(['VGG_PLUGIN_NAME', 'DATA_PLUGIN_NAME', 'KNOWN_DATASETS']));
    const mentions = files
      .filter((f) => !allowed(f))
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        return constants.filter((c) => new RegExp(`\\b${c}\\b`).test(text)).map((c) => `${path.relative(PACKAGES, f)}: ${c}`);
      });
    expect(mentions).toEqual([]);
  });
});
