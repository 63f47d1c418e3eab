/**
 * The registry: where plugins' entries are found by kind and name. Registration is explicit (one call per
 * plugin, in one place); a second entry under a name already taken is an error naming both plugins.
 */
import { KINDS, PLUGIN_KINDS, type Plugin, type PluginKind, type PluginSections } from './plugin.ts';

const label = (kind: PluginKind) => PLUGIN_KINDS[kind].label;

export interface Registered<K extends PluginKind> {
  name: string;
  plugin: string;
  entry: PluginSections[K];
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Natural order (timm's): 'vgg11' < 'vgg13' < 'vgg100', the same on every machine and locale. */
const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' }).compare;

/** Turns a glob (`*`, `?`, `[abc]`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The closest names to `name`: case-insensitive edit distance at most a third of its length (at least 2), a
 * prefix counting as 1, and no more than one worse than the best; at most three.
 */
export function suggest(name: string, candidates: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(name.length / 3));
  return [...candidates]
    .map((c) => {
      const other = c.toLowerCase();
      return { c, d: other === lower ? 0 : other.startsWith(lower) ? 1 : editDistance(lower, other) };
    })
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d || naturalOrder(x.c, y.c))
    // Only the closest: one near miss is a better hint than three loose ones.
    .filter(({ d }, _, all) => d <= all[0]!.d + 1)
    .slice(0, 3)
    .map(({ c }) => c);
}

export class Registry {
  private readonly entries = new Map<PluginKind, Map<string, Registered<PluginKind>>>(
    KINDS.map((k) => [k, new Map()]),
  );
  private readonly plugins = new Map<string, Plugin>();

  /** Registers every entry of a plugin; nothing is registered if any name is taken. */
  register(plugin: Plugin): this {
    if (!plugin || typeof plugin.name !== 'string' || plugin.name.length === 0) {
      throw new RegistryError(`a plugin must have a non-empty string 'name', received ${JSON.stringify(plugin?.name)}`);
    }
    if (this.plugins.has(plugin.name)) {
      throw new RegistryError(`plugin '${plugin.name}' is already registered`);
    }
    for (const key of Object.keys(plugin)) {
      if (key === 'name' || (KINDS as string[]).includes(key)) continue;
      // A misspelt section ('model' for 'models') would otherwise register nothing, silently.
      const close = suggest(key, KINDS);
      if (close.length) {
        throw new RegistryError(
          `plugin '${plugin.name}' has a section '${key}'; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`,
        );
      }
    }
    for (const kind of KINDS) {
      const section = plugin[kind];
      if (section !== undefined && (section === null || typeof section !== 'object' || Array.isArray(section))) {
        throw new RegistryError(
          `plugin '${plugin.name}': '${kind}' must be an object of named entries, received ${Array.isArray(section) ? 'an array' : JSON.stringify(section)}`,
        );
      }
      for (const [name, entry] of Object.entries(section ?? {})) {
        if (entry === null || typeof entry !== 'object') {
          throw new RegistryError(
            `plugin '${plugin.name}': ${label(kind)} '${name}' must be an object, received ${JSON.stringify(entry)}`,
          );
        }
      }
    }
    for (const kind of KINDS) {
      for (const name of Object.keys(plugin[kind] ?? {})) {
        const taken = this.entries.get(kind)!.get(name);
        if (taken) {
          throw new RegistryError(
            `${label(kind)} '${name}' from plugin '${plugin.name}' is already registered by plugin '${taken.plugin}'`,
          );
        }
      }
    }
    for (const kind of KINDS) {
      for (const [name, entry] of Object.entries(plugin[kind] ?? {})) {
        this.entries.get(kind)!.set(name, { name, plugin: plugin.name, entry });
      }
    }
    this.plugins.set(plugin.name, plugin);
    return this;
  }

  /** The plugin registered under `name` (the object itself), if any. */
  plugin(name: string): Plugin | undefined {
    return this.plugins.get(name);
  }

  has(kind: PluginKind, name: string): boolean {
    return this.entries.get(kind)!.has(name);
  }

  /** The entry registered under `name`; an unknown name is an error with "did you mean" suggestions. */
  get<K extends PluginKind>(kind: K, name: string): Registered<K> {
    const found = this.entries.get(kind)!.get(name);
    if (found) return found as Registered<K>;
    throw new RegistryError(`unknown ${label(kind)} '${name}'${this.unknownHint(kind, name)}`);
  }

  /**
   * What to tell a user who asked for an unregistered name: "; did you mean 'vgg16'?", or the registered
   * names when none is close. The spec's errors reuse it.
   */
  unknownHint(kind: PluginKind, name: string): string {
    const names = [...this.entries.get(kind)!.keys()].sort(naturalOrder);
    const close = suggest(name, names);
    return close.length
      ? `; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`
      : names.length
        ? `; registered ${label(kind)}s: ${names.join(', ')}`
        : `; no ${label(kind)}s are registered`;
  }

  /** Registered entries of one kind, sorted by name, optionally filtered by a glob (`vgg1*`). */
  list<K extends PluginKind>(kind: K, glob?: string): Registered<K>[] {
    const re = glob ? globToRegExp(glob) : undefined;
    return [...this.entries.get(kind)!.values()]
      .filter((r) => !re || re.test(r.name))
      .sort((a, b) => naturalOrder(a.name, b.name)) as Registered<K>[];
  }

  model(name: string) {
    return this.get('models', name).entry;
  }
  dataset(name: string) {
    return this.get('datasets', name).entry;
  }
  optimizer(name: string) {
    return this.get('optimizers', name).entry;
  }
  schedule(name: string) {
    return this.get('schedules', name).entry;
  }
  listModels(glob?: string): string[] {
    return this.list('models', glob).map((r) => r.name);
  }
  /** Names of one kind, sorted, optionally filtered by a glob. */
  names(kind: PluginKind, glob?: string): string[] {
    return this.list(kind, glob).map((r) => r.name);
  }
  listPlugins(): string[] {
    return [...this.plugins.keys()].sort(naturalOrder);
  }
}

export function createRegistry(plugins: Plugin[] = []): Registry {
  const registry = new Registry();
  for (const p of plugins) registry.register(p);
  return registry;
}
