/**
 * Serialised series kept between requests. A finished run's curves never change, and users re-open the same
 * comparisons all the time; each entry carries the series' version stamp (count, last step, last write), so a
 * run that is still logging, or was resumed, is read again. Bounded by total size (`sizeOf` each entry; a string's
 * length by default), least recently used first out.
 */
export class SeriesCache<T = string> {
  private readonly entries = new Map<string, { version: string; value: T; size: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number = (value) => (value as { length: number }).length,
  ) {}

  /** The entry of one series read with these buckets and this step range (either end may be open). */
  static key(runId: string, key: string, maxPoints: number, range: { stepMin?: number; stepMax?: number } = {}): string {
    return `${runId}\u0000${key}\u0000${maxPoints}\u0000${range.stepMin ?? ''}\u0000${range.stepMax ?? ''}`;
  }

  get(cacheKey: string, version: string | undefined): T | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry || version === undefined || entry.version !== version) return undefined;
    // Re-insert: Map iteration order is the LRU order.
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, entry);
    return entry.value;
  }

  set(cacheKey: string, version: string | undefined, value: T): void {
    const size = this.sizeOf(value);
    if (version === undefined || size > this.maxBytes) return;
    const old = this.entries.get(cacheKey);
    if (old) {
      this.bytes -= old.size;
      this.entries.delete(cacheKey);
    }
    this.entries.set(cacheKey, { version, value, size });
    this.bytes += size;
    for (const [k, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= entry.size;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }
}
