/**
 * The one place built-in plugins are registered, plus user plugins loaded from modules named by `--plugin`
 * or VGGLAB_PLUGINS. A name registered twice is an error naming both plugins.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { coreOptimizersPlugin, createRegistry, type Plugin, type Registry } from '@vgglab/core';
import { dataPlugin } from '@vgglab/data';
import { vggPlugin } from '@vgglab/models-vgg';
import { EXIT, SPEC_FILE_TAG } from './defaults.ts';
import { CliError, messageOf } from './errors.ts';

/** Environment variable: user plugin modules, separated by commas (or the path delimiter). */
export const PLUGINS_ENV_VAR = 'VGGLAB_PLUGINS';

/** The plugins every `vgglab` command knows. */
export function builtinPlugins(): Plugin[] {
  return [coreOptimizersPlugin(), vggPlugin(), dataPlugin()];
}

/** A registry with the built-in plugins plus `extra`. */
export function createBuiltinRegistry(extra: Plugin[] = []): Registry {
  return createRegistry([...builtinPlugins(), ...extra]);
}

function isPlugin(x: unknown): x is Plugin {
  return !!x && typeof x === 'object' && typeof (x as Plugin).name === 'string';
}

/**
 * Loads plugins from a module: its default export (or a named export `plugins`) may be a plugin, an array of
 * plugins, or a factory returning either.
 */
export async function loadPluginModule(specifier: string, baseDir: string): Promise<Plugin[]> {
  const target = specifier.startsWith('.') || path.isAbsolute(specifier) ? pathToFileURL(path.resolve(baseDir, specifier)).href : specifier;
  // One module gives the same plugin objects however often it is named (--plugin and the spec's `plugins:`),
  // even when it exports a factory: registerSpecPlugins recognises them instead of failing on a duplicate.
  let loading = loadedModules.get(target);
  if (!loading) {
    loading = importPlugins(specifier, target);
    loadedModules.set(target, loading);
    loading.catch(() => loadedModules.delete(target));
  }
  return loading;
}

const loadedModules = new Map<string, Promise<Plugin[]>>();

async function importPlugins(specifier: string, target: string): Promise<Plugin[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`cannot load plugin module '${specifier}': ${messageOf(err)}`);
  }
  let value = mod.default ?? mod.plugins;
  if (typeof value === 'function') value = await (value as () => unknown)();
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(isPlugin)) {
    throw new CliError(`plugin module '${specifier}' must export (default or 'plugins') a plugin, an array of plugins, or a factory of them`);
  }
  return list;
}

/** The registry a command uses: built-ins, then modules from VGGLAB_PLUGINS, then `--plugin` flags. */
export async function commandRegistry(flags: string[], env: NodeJS.ProcessEnv, baseDir: string): Promise<Registry> {
  const fromEnv = (env[PLUGINS_ENV_VAR] ?? '')
    .split(new RegExp(`[,${path.delimiter}]`))
    .map((s) => s.trim())
    .filter(Boolean);
  const extra: Plugin[] = [];
  for (const spec of [...fromEnv, ...flags]) extra.push(...(await loadPluginModule(spec, baseDir)));
  return createBuiltinRegistry(extra);
}

/**
 * Registers the plugin modules a spec names in `plugins:` (relative paths against the spec's folder). A plugin
 * already registered from the same module (also given with --plugin or VGGLAB_PLUGINS) is kept, not doubled;
 * any other clash of names is an error that says which spec entry brought it.
 */
export async function registerSpecPlugins(registry: Registry, spec: { plugins?: readonly string[] }, specDir: string, where: string): Promise<void> {
  for (const [i, specifier] of (spec.plugins ?? []).entries()) {
    try {
      for (const plugin of await loadPluginModule(specifier, specDir)) {
        if (registry.plugin(plugin.name) !== plugin) registry.register(plugin);
      }
    } catch (err) {
      // A plugin the spec names but cannot be loaded or registered is a bad spec (exit code 2).
      throw new CliError(`${where}: plugins[${i}]: ${messageOf(err)}`, EXIT.usage);
    }
  }
}

/**
 * Registers the plugin modules a stored run's spec names (`plugins:`), resolved against the folder of the spec
 * file it was started from: what predict, evaluate and serve need to rebuild its model or open its dataset.
 */
export async function registerRunPlugins(registry: Registry, run: { id: string; resolvedSpec: unknown; tags: Record<string, string> }): Promise<void> {
  const spec = run.resolvedSpec as { plugins?: string[] };
  if (!spec?.plugins?.length) return;
  const specFile = run.tags[SPEC_FILE_TAG];
  await registerSpecPlugins(registry, spec, specFile ? path.dirname(specFile) : process.cwd(), `run ${run.id}'s spec`);
}
