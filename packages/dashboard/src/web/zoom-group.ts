/**
 * Charts that zoom together: a drag on one chart sets the x range of every chart in the group; a double click
 * resets them all (each to its own data). A chart that joins later (redrawn for smoothing, a new metric) takes
 * the group's current range. The group holds no chart library type: a member only has to show a range.
 */

export interface XRange {
  min: number;
  max: number;
}

export interface ZoomMember {
  /** Shows `range` on the x axis, or all of the member's data for null. */
  showRange(range: XRange | null): void;
}

export class ZoomGroup {
  private readonly members = new Set<ZoomMember>();
  private current: XRange | null = null;

  /** The zoomed x range, null when not zoomed. */
  get range(): XRange | null {
    return this.current;
  }

  /** Adds a member (shown at the current range when zoomed); returns the function that removes it. */
  join(member: ZoomMember): () => void {
    this.members.add(member);
    if (this.current) member.showRange(this.current);
    return () => {
      this.members.delete(member);
    };
  }

  /**
   * Zooms every member to [min, max] (given in either order). A range that is empty or not finite (a click
   * without a drag, a chart without data) changes nothing and returns false.
   */
  zoom(range: XRange): boolean {
    const min = Math.min(range.min, range.max);
    const max = Math.max(range.min, range.max);
    if (!Number.isFinite(min) || !Number.isFinite(max) || min === max) return false;
    this.current = { min, max };
    for (const member of this.members) member.showRange(this.current);
    return true;
  }

  /** Shows every member's whole data again. */
  reset(): void {
    this.current = null;
    for (const member of this.members) member.showRange(null);
  }
}
