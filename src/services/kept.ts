/**
 * Values kept for a few seconds, for display only (a stale one only shows): the staff names, the
 * caseworkers a filter offers, a whole landlord's due counts. Per key, at most `max` keys (all let
 * go when full); `keep` decides which loaded values are worth keeping.
 */
export class Kept<V> {
  private readonly values = new Map<string, { at: number; value: V }>();

  constructor(
    readonly ttlMs: number,
    private readonly max = 200,
  ) {}

  async get(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true, fresh = false): Promise<V> {
    const kept = this.values.get(key);
    if (kept && !fresh && Date.now() - kept.at < this.ttlMs) return kept.value;
    const value = await load();
    if (keep(value)) {
      if (this.values.size >= this.max) this.values.clear();
      this.values.set(key, { at: Date.now(), value });
    }
    return value;
  }
}
