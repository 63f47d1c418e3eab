import { describe, expect, it } from 'vitest';
import { statusChoices, statusClass } from './statuses.ts';

describe('run statuses on the page', () => {
  it('styles known statuses by name, crashed apart from failed, and any other status neutrally', () => {
    expect(statusClass('failed')).toBe('status-failed');
    expect(statusClass('crashed')).toBe('status-crashed');
    expect(statusClass('paused')).toBe('status-other');
    expect(statusClass('x" onclick="y')).toBe('status-other');
  });

  it('lists the usual four statuses, then crashed and unknown ones when runs have them', () => {
    expect(statusChoices(undefined)).toEqual(['running', 'finished', 'failed', 'killed']);
    expect(statusChoices([{ value: 'finished', count: 3 }])).toEqual(['running', 'finished', 'failed', 'killed']);
    expect(
      statusChoices([
        { value: 'zombie', count: 1 },
        { value: 'crashed', count: 2 },
        { value: 'finished', count: 3 },
        { value: 'archived', count: 1 },
      ]),
    ).toEqual(['running', 'finished', 'failed', 'crashed', 'killed', 'archived', 'zombie']);
  });
});
