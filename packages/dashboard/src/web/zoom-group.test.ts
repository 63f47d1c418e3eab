import { describe, expect, it } from 'vitest';
import { ZoomGroup, type XRange } from './zoom-group.ts';

/** A member that records what it was asked to show. */
function recorder() {
  const shown: (XRange | null)[] = [];
  return { shown, showRange: (range: XRange | null) => void shown.push(range) };
}

describe('ZoomGroup', () => {
  it('zooms every member to the same range and resets them all', () => {
    const group = new ZoomGroup();
    const loss = recorder();
    const accuracy = recorder();
    group.join(loss);
    group.join(accuracy);
    expect(group.zoom({ min: 100, max: 400 })).toBe(true);
    expect(loss.shown).toEqual([{ min: 100, max: 400 }]);
    expect(accuracy.shown).toEqual([{ min: 100, max: 400 }]);
    expect(group.range).toEqual({ min: 100, max: 400 });
    group.reset();
    expect(group.range).toBeNull();
    expect(loss.shown.at(-1)).toBeNull();
    expect(accuracy.shown.at(-1)).toBeNull();
  });

  it('orders a right-to-left drag', () => {
    const group = new ZoomGroup();
    const member = recorder();
    group.join(member);
    group.zoom({ min: 9, max: 3 });
    expect(member.shown).toEqual([{ min: 3, max: 9 }]);
  });

  it('ignores empty and non-finite ranges (a click, a chart without data)', () => {
    const group = new ZoomGroup();
    const member = recorder();
    group.join(member);
    group.zoom({ min: 1, max: 5 });
    expect(group.zoom({ min: 4, max: 4 })).toBe(false);
    expect(group.zoom({ min: Number.NaN, max: 4 })).toBe(false);
    expect(group.zoom({ min: 0, max: Number.POSITIVE_INFINITY })).toBe(false);
    expect(member.shown).toEqual([{ min: 1, max: 5 }]);
    expect(group.range).toEqual({ min: 1, max: 5 });
  });

  it('shows the current range to a chart that joins while zoomed, and nothing when not zoomed', () => {
    const group = new ZoomGroup();
    const early = recorder();
    group.join(early);
    expect(early.shown).toEqual([]);
    group.zoom({ min: 10, max: 20 });
    const late = recorder(); // e.g. redrawn because smoothing was turned on
    group.join(late);
    expect(late.shown).toEqual([{ min: 10, max: 20 }]);
  });

  it('stops showing ranges to a member that left', () => {
    const group = new ZoomGroup();
    const gone = recorder();
    const stays = recorder();
    const leave = group.join(gone);
    group.join(stays);
    leave();
    group.zoom({ min: 1, max: 2 });
    group.reset();
    expect(gone.shown).toEqual([]);
    expect(stays.shown).toEqual([{ min: 1, max: 2 }, null]);
  });
});
