/**
 * The line the pointer is on, shared by a view's charts and its legend: hovering a run (or group) in one chart or in
 * the legend highlights it in all of them. Like ZoomGroup, it holds no chart library type: a member is a function
 * that shows the highlighted line's id (null: none).
 */
export type HighlightListener = (id: string | null) => void;

export class LineHighlight {
  private readonly listeners = new Set<HighlightListener>();
  private current: string | null = null;

  /** The highlighted line's id, null when none is. */
  get id(): string | null {
    return this.current;
  }

  /** Adds a listener, told the current line at once; returns the function that removes it. */
  join(listener: HighlightListener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Highlights a line (null: none); listeners hear of changes only. */
  set(id: string | null): void {
    if (id === this.current) return;
    this.current = id;
    for (const listener of this.listeners) listener(id);
  }
}
