/**
 * The specs users copy must stay valid: every file in experiments/ and the README's example spec resolve
 * (schema, plugin options, sweep points) against the built-in registry.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec, resolveExperiment } from '@vgglab/core';
import { describe, expect, it } from 'vitest';
import { createBuiltinRegistry } from './plugins.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The first ```yaml block under a README heading. */
function yamlBlockUnder(heading: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no yaml block under '${heading}' in README.md`);
  return match[1]!;
}

describe('documented specs', () => {
  const registry = createBuiltinRegistry();

  it.each(readdirSync(path.join(ROOT, 'experiments')).filter((f) => f.endsWith('.yaml')))(
    'experiments/%s resolves against the built-in plugins',
    (file) => {
      const points = resolveExperiment(loadSpec(path.join(ROOT, 'experiments', file)), registry);
      expect(points.length).toBeGreaterThan(0);
    },
  );

  it("the README's 'Writing an experiment' spec resolves, with its 2x2 sweep", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'vgglab-docs-')), 'readme.yaml');
    writeFileSync(file, yamlBlockUnder('## Writing an experiment'));
    const points = resolveExperiment(loadSpec(file), registry);
    expect(points.map((p) => [p.spec.model.name, p.spec.optimizer.lr])).toEqual([
      ['vgg11_bn', 0.01],
      ['vgg11_bn', 0.001],
      ['vgg16_bn', 0.01],
      ['vgg16_bn', 0.001],
    ]);
  });
});
