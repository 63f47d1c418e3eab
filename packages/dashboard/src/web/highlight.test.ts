import { describe, expect, it } from 'vitest';
import { LineHighlight } from './highlight.ts';

describe('LineHighlight', () => {
  it('tells every member of the highlighted line, once per change, and a new member at once', () => {
    const highlight = new LineHighlight();
    const loss: (string | null)[] = [];
    const accuracy: (string | null)[] = [];
    highlight.join((id) => loss.push(id));
    const leave = highlight.join((id) => accuracy.push(id));
    highlight.set('run-a');
    highlight.set('run-a');
    highlight.set(null);
    expect(loss).toEqual([null, 'run-a', null]);
    leave();
    highlight.set('run-b');
    expect(accuracy).toEqual([null, 'run-a', null]);
    expect(highlight.id).toBe('run-b');
    const late: (string | null)[] = [];
    highlight.join((id) => late.push(id));
    expect(late).toEqual(['run-b']);
  });
});
