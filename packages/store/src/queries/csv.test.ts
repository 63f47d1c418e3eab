import { describe, expect, it } from 'vitest';
import { spec, tempStore } from '../testing/temp.ts';
import { csvField, metricsCsv, runListCsv } from './csv.ts';

/** Splits one CSV line into its raw fields (quotes kept), enough for the lines these tests write. */
function fields(line: string): string[] {
  return line.trimEnd().match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, '')).slice(0, -1);
}

describe('CSV formula injection', () => {
  it('puts a single quote before text that a spreadsheet would run as a formula', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+cmd|/C calc')).toBe("'+cmd|/C calc");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField('\r=1')).toBe('"\'\r=1"'); // prefixed, then quoted for its carriage return
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  });

  it('leaves numbers, text that is a plain number, and harmless text as they are', () => {
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField(-Infinity)).toBe('-inf');
    expect(csvField('-0.5')).toBe('-0.5');
    expect(csvField('-1e-4')).toBe('-1e-4');
    expect(csvField('+3')).toBe('+3');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('vgg16-adam')).toBe('vgg16-adam');
  });

  it('the run list and metric exports neutralise names, tags and params, and keep negative values numeric', () => {
    const store = tempStore();
    const run = store.createRun({
      experiment: 'e',
      name: '=HYPERLINK("http://evil","click")',
      specHash: 'h',
      resolvedSpec: spec('vgg11', 'adam', 1e-3, { data: { mean: -0.5, note: '@cmd' } }),
      tags: { owner: '+attacker' },
    });
    store.logBatch(run.id, { metrics: [{ key: 'train/delta', value: -0.5, step: 1 }] });
    store.setRunStatus(run.id, 'finished');
    const [header, row] = [...runListCsv(store)].map(fields);
    const cell = (column: string): string => row![header!.indexOf(column)]!;
    expect(cell('name')).toBe('"\'=HYPERLINK(""http://evil"",""click"")"');
    expect(cell('tag:owner')).toBe("'+attacker");
    expect(cell('param:data.note')).toBe("'@cmd");
    expect(cell('param:data.mean')).toBe('-0.5');
    expect(cell('metric:train/delta')).toBe('-0.5');
    const [, point] = [...metricsCsv(store, { runIds: [run.id] })].map(fields);
    expect(point![1]).toBe('"\'=HYPERLINK(""http://evil"",""click"")"');
    expect(point!.at(-1)).toBe('-0.5');
  });
});
