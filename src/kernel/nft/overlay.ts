// A copy-on-write view of a Map for one transaction: changes go to a delta and are folded
// into the base Map only when the whole transaction succeeded. A one-element change to a
// 40k-element map, or one new chain next to 30k others, then costs O(1), not a copy (proxies
// hold 10k+ services).

export class Overlay<V> {
  private readonly delta = new Map<string, V | null>();
  private cleared = false;

  constructor(private readonly base: Map<string, V>) {}

  get(k: string): V | undefined {
    const d = this.delta.get(k);
    if (d !== undefined) return d ?? undefined;
    return this.cleared ? undefined : this.base.get(k);
  }

  /** Whether this transaction wrote `k` (set or deleted it). */
  changed(k: string): boolean {
    return this.delta.has(k);
  }

  has(k: string): boolean {
    return this.get(k) !== undefined;
  }

  set(k: string, v: V): void {
    this.delta.set(k, v);
  }

  delete(k: string): void {
    this.delta.set(k, null);
  }

  clear(): void {
    this.cleared = true;
    this.delta.clear();
  }

  *keys(): IterableIterator<string> {
    if (!this.cleared) {
      for (const k of this.base.keys()) if (!this.delta.has(k)) yield k;
    }
    for (const [k, v] of this.delta) if (v !== null) yield k;
  }

  *values(): IterableIterator<V> {
    if (!this.cleared) {
      for (const [k, v] of this.base) if (!this.delta.has(k)) yield v;
    }
    for (const v of this.delta.values()) if (v !== null) yield v;
  }

  /**
   * The committed Map. Mutates the base in place: call only when the transaction commits,
   * after which nothing refers to the state the base belonged to.
   */
  commit(): Map<string, V> {
    const out = this.cleared ? new Map<string, V>() : this.base;
    for (const [k, v] of this.delta) {
      if (v === null) out.delete(k); else out.set(k, v);
    }
    return out;
  }
}
