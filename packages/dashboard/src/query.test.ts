import { describe, expect, it } from 'vitest';
import { parseWhere } from './query.ts';

describe('where', () => {
  it('reads one comparison of a metric (latest, or min/max of it)', () => {
    expect(parseWhere('val/accuracy>0.9')).toEqual({ key: 'val/accuracy', op: '>', value: 0.9, of: 'latest' });
    expect(parseWhere(' max(val/accuracy) >= 0.85 ')).toEqual({ key: 'val/accuracy', op: '>=', value: 0.85, of: 'max' });
    expect(parseWhere('min(val/loss)<0.5')).toEqual({ key: 'val/loss', op: '<', value: 0.5, of: 'min' });
    expect(parseWhere('train/loss!=1e-3')).toEqual({ key: 'train/loss', op: '!=', value: 0.001, of: 'latest' });
  });

  it('refuses anything after the number, naming it, instead of reading it into the key', () => {
    expect(() => parseWhere('val/accuracy>0 OR 1=1')).toThrow(
      /query parameter 'where' holds one comparison .*unexpected 'OR 1=1' after '0' in 'val\/accuracy>0 OR 1=1'/,
    );
    expect(() => parseWhere('val/accuracy>0 AND val/loss<1')).toThrow(/unexpected 'AND val\/loss<1'/);
    expect(() => parseWhere('val/accuracy>0.5=1')).toThrow(/needs a number after '>', received '0.5=1'/);
    expect(() => parseWhere('val/accuracy>')).toThrow(/needs a number after '>'/);
  });
});
