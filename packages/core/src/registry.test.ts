import { describe, expect, it } from 'vitest';
import type { ModelEntry, OptimizerEntry, Plugin } from './plugin.ts';
import { createRegistry, globToRegExp, Registry, RegistryError, suggest } from './registry.ts';

// Entries are never called here: the registry only stores and finds them.
const model = (description: string): ModelEntry => ({
  description,
  defaults: { inputShape: [32, 32, 3], numClasses: 10, preprocessing: { mean: [0, 0, 0], std: [1, 1, 1] } },
  build: () => {
    throw new Error('not built in registry tests');
  },
});
const optimizer: OptimizerEntry = {
  create: () => {
    throw new Error('not created in registry tests');
  },
};
const vggPlugin = (): Plugin => ({
  name: 'models-vgg',
  models: Object.fromEntries(
    ['vgg19', 'vgg11', 'vgg16_bn', 'vgg13', 'vgg16', 'vgg11_bn'].map((n) => [n, model(n)]),
  ),
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('Registry.register', () => {
  it('rejects a second entry under a taken name, naming both plugins, and registers nothing of the second plugin', () => {
    const registry = createRegistry([vggPlugin()]);
    const other: Plugin = { name: 'my-models', models: { tiny: model('tiny'), vgg16: model('mine') } };
    const err = errorOf(() => registry.register(other));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe("model 'vgg16' from plugin 'my-models' is already registered by plugin 'models-vgg'");
    // All or nothing: 'tiny' was not registered, the original vgg16 is untouched, the plugin is not listed.
    expect(registry.has('models', 'tiny')).toBe(false);
    expect(registry.model('vgg16').description).toBe('vgg16');
    expect(registry.listPlugins()).toEqual(['models-vgg']);
  });

  it('allows the same name in different kinds', () => {
    const registry = createRegistry([vggPlugin(), { name: 'opt', optimizers: { vgg16: optimizer } }]);
    expect(registry.optimizer('vgg16')).toBe(optimizer);
    expect(registry.model('vgg16').description).toBe('vgg16');
  });

  it('rejects registering a plugin name twice', () => {
    const registry = createRegistry([vggPlugin()]);
    expect(errorOf(() => registry.register({ name: 'models-vgg' })).message).toBe(
      "plugin 'models-vgg' is already registered",
    );
  });

  it('rejects plugins without a usable name', () => {
    const registry = new Registry();
    for (const [plugin, received] of [
      [{ models: { a: model('a') } }, 'undefined'],
      [{ name: '' }, '""'],
      [{ name: 42 }, '42'],
    ] as const) {
      const err = errorOf(() => registry.register(plugin as unknown as Plugin));
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toBe(`a plugin must have a non-empty string 'name', received ${received}`);
    }
    expect(errorOf(() => registry.register(undefined as unknown as Plugin)).message).toBe(
      "a plugin must have a non-empty string 'name', received undefined",
    );
    expect(registry.listPlugins()).toEqual([]);
  });

  it('rejects a misspelt section and a section that is not an object of entries', () => {
    const registry = new Registry();
    const misspelt = { name: 'p', model: { a: model('a') } } as unknown as Plugin;
    expect(errorOf(() => registry.register(misspelt)).message).toBe(
      "plugin 'p' has a section 'model'; did you mean 'models'?",
    );
    const list = { name: 'p', optimizers: [optimizer] } as unknown as Plugin;
    expect(errorOf(() => registry.register(list)).message).toBe(
      "plugin 'p': 'optimizers' must be an object of named entries, received an array",
    );
    const nullEntry = { name: 'p', schedules: { cosine: null } } as unknown as Plugin;
    expect(errorOf(() => registry.register(nullEntry)).message).toBe(
      "plugin 'p': schedule 'cosine' must be an object, received null",
    );
    // Other fields (metadata a plugin may carry) are not sections and are left alone.
    registry.register({ name: 'p', version: '1.0.0' } as unknown as Plugin);
    expect(registry.listPlugins()).toEqual(['p']);
  });
});

describe('Registry.get', () => {
  it('returns the entry with the plugin that registered it', () => {
    const registry = createRegistry([vggPlugin()]);
    const found = registry.get('models', 'vgg13');
    expect(found.name).toBe('vgg13');
    expect(found.plugin).toBe('models-vgg');
    expect((found.entry as ModelEntry).description).toBe('vgg13');
    const plugin = vggPlugin();
    expect(createRegistry([plugin]).plugin('models-vgg')).toBe(plugin);
    expect(registry.plugin('nope')).toBeUndefined();
  });

  it('suggests close names for an unknown one', () => {
    const registry = createRegistry([vggPlugin()]);
    expect(errorOf(() => registry.model('vgg61')).message).toBe(
      "unknown model 'vgg61'; did you mean 'vgg11' or 'vgg13' or 'vgg16'?",
    );
    expect(errorOf(() => registry.model('VGG16_BN')).message).toBe(
      "unknown model 'VGG16_BN'; did you mean 'vgg16_bn' or 'vgg11_bn'?",
    );
  });

  it('lists the registered names when none is close, and says when there are none', () => {
    const registry = createRegistry([vggPlugin()]);
    expect(errorOf(() => registry.model('resnet50')).message).toBe(
      "unknown model 'resnet50'; registered models: vgg11, vgg11_bn, vgg13, vgg16, vgg16_bn, vgg19",
    );
    expect(errorOf(() => registry.dataset('shapes')).message).toBe(
      "unknown dataset 'shapes'; no datasets are registered",
    );
    expect(errorOf(() => registry.schedule('cosine')).name).toBe('RegistryError');
  });
});

describe('Registry.list', () => {
  it('lists names sorted in natural order, filtered by globs', () => {
    const registry = createRegistry([
      vggPlugin(),
      { name: 'more', models: { vgg100: model('x'), resnet18: model('x'), resnet101: model('x') } },
    ]);
    expect(registry.listModels()).toEqual([
      'resnet18',
      'resnet101',
      'vgg11',
      'vgg11_bn',
      'vgg13',
      'vgg16',
      'vgg16_bn',
      'vgg19',
      'vgg100',
    ]);
    expect(registry.listModels('vgg1*')).toEqual(['vgg11', 'vgg11_bn', 'vgg13', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg100']);
    expect(registry.listModels('*_bn')).toEqual(['vgg11_bn', 'vgg16_bn']);
    expect(registry.listModels('vgg1?')).toEqual(['vgg11', 'vgg13', 'vgg16', 'vgg19']);
    expect(registry.listModels('vgg1[36]')).toEqual(['vgg13', 'vgg16']);
    expect(registry.listModels('nothing*')).toEqual([]);
    expect(registry.names('models', 'resnet*')).toEqual(['resnet18', 'resnet101']);
    expect(registry.list('models', 'vgg11').map((r) => r.plugin)).toEqual(['models-vgg']);
    expect(registry.listPlugins()).toEqual(['models-vgg', 'more']);
  });
});

describe('globToRegExp and suggest', () => {
  it('treats regular-expression characters in a glob literally', () => {
    expect(globToRegExp('a.b').test('a.b')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
    expect(globToRegExp('[ab').test('[ab')).toBe(true);
  });

  it('suggests by edit distance and prefix, closest first, at most three', () => {
    expect(suggest('widht', ['width', 'height', 'depth'])).toEqual(['width']);
    expect(suggest('adm', ['adam', 'adamw', 'sgd', 'rmsprop'])).toEqual(['adam', 'adamw']);
    expect(suggest('zzz', ['adam', 'sgd'])).toEqual([]);
  });
});
