/** `vgglab models [glob]`: the registered models with parameters, input size and preprocessing. */
import type { ModelEntry } from '@vgglab/core';
import { flag, list, printJson, table, type Command } from '../command.ts';
import { EXIT } from '../../defaults.ts';
import { UsageError } from '../../errors.ts';
import { invocationDir } from '../../paths.ts';

function paramCounts(entry: ModelEntry): { total: number; trainable: number } | null {
  const base = { numClasses: entry.defaults.numClasses, inputShape: entry.defaults.inputShape };
  if (entry.countParams) return entry.countParams(base);
  return null; // building a 138M-parameter model only to count it is too slow for a listing
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List the registered models: parameters, trainable parameters, default input size, preprocessing.',
  usage: 'vgglab models [glob] [--json]',
  options: {
    json: { type: 'boolean', description: 'Print JSON.' },
    plugin: { type: 'string', multiple: true, description: 'Load plugins from this module (also VGGLAB_PLUGINS).', valueName: 'module' },
  },
  details: 'Examples:\n  vgglab models\n  vgglab models "vgg1*" --json',
  async run(values, positionals, io) {
    const { commandRegistry } = await import('../../plugins.ts');
    if (positionals.length > 1) throw new UsageError(`models takes at most one glob, received ${positionals.join(' ')}`);
    const registry = await commandRegistry(list(values, 'plugin'), io.env, invocationDir(io.env));
    const entries = registry.list('models', positionals[0]);
    const rows = entries.map(({ name, plugin, entry }) => {
      const counts = paramCounts(entry);
      return {
        name,
        plugin,
        description: entry.description ?? '',
        params: counts?.total ?? null,
        trainableParams: counts?.trainable ?? null,
        inputShape: entry.defaults.inputShape,
        numClasses: entry.defaults.numClasses,
        preprocessing: entry.defaults.preprocessing,
      };
    });
    if (flag(values, 'json')) {
      printJson(io, rows);
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.stdout.write(positionals[0] ? `no model matches '${positionals[0]}'\n` : 'no models registered\n');
      return positionals[0] ? EXIT.error : EXIT.ok;
    }
    const t = [['NAME', 'PARAMS', 'TRAINABLE', 'INPUT', 'MEAN', 'STD', 'PLUGIN']];
    for (const r of rows) {
      t.push([
        r.name,
        r.params === null ? '-' : human(r.params),
        r.trainableParams === null ? '-' : human(r.trainableParams),
        r.inputShape.join('x'),
        r.preprocessing.mean.map((v) => v.toFixed(3)).join(','),
        r.preprocessing.std.map((v) => v.toFixed(3)).join(','),
        r.plugin,
      ]);
    }
    io.stdout.write(table(t));
    return EXIT.ok;
  },
};
