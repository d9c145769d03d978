// A bitmap over offsets [0, size): the state of one allocator (service IPs, NodePorts,
// LoadBalancer IPs, node pod CIDRs). Pure and synchronous — the caller decides what an
// offset means and serialises access; a snapshot is plain data so it can be stored or
// compared after a rebuild.

export interface BitmapSnapshot {
  size: number;
  /** base64 of the little-endian bit array, like upstream's RangeAllocation.data. */
  data: string;
}

export interface AllocateNextOptions {
  /**
   * Where the search starts. Upstream's bitmap allocators start at a random offset so that
   * two apiservers rarely race for the same value; tests inject a fixed function.
   */
  random?: () => number;
  /**
   * Dynamic allocations prefer offsets >= this, leaving the lower band for user-requested
   * values (KEP-3070 "reserved service IP ranges": the static band is size/16, min 16, max 256).
   */
  preferFrom?: number;
}

export class Bitmap {
  readonly size: number;
  private bits: Uint8Array;
  private used = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad bitmap size ${size}`);
    this.size = size;
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  get count(): number {
    return this.used;
  }

  get free(): number {
    return this.size - this.used;
  }

  has(offset: number): boolean {
    if (!this.inRange(offset)) return false;
    return ((this.bits[offset >> 3] ?? 0) & (1 << (offset & 7))) !== 0;
  }

  /** Marks `offset` used; false when it was already used or is out of range. */
  allocate(offset: number): boolean {
    if (!this.inRange(offset) || this.has(offset)) return false;
    this.bits[offset >> 3]! |= 1 << (offset & 7);
    this.used++;
    return true;
  }

  /** Frees `offset`; releasing a free or out-of-range offset is a no-op (idempotent delete). */
  release(offset: number): boolean {
    if (!this.has(offset)) return false;
    this.bits[offset >> 3]! &= ~(1 << (offset & 7));
    this.used--;
    return true;
  }

  /** Picks and marks a free offset, or returns -1 when the bitmap is full. */
  allocateNext(opts: AllocateNextOptions = {}): number {
    if (this.used >= this.size) return -1;
    const from = Math.min(Math.max(opts.preferFrom ?? 0, 0), this.size);
    const bands: Array<[number, number]> = from > 0 ? [[from, this.size], [0, from]] : [[0, this.size]];
    for (const [lo, hi] of bands) {
      const n = hi - lo;
      if (n <= 0) continue;
      const start = lo + Math.floor((opts.random?.() ?? 0) * n) % n;
      const found = this.scan(start, hi) ?? this.scan(lo, start);
      if (found !== undefined) {
        this.allocate(found);
        return found;
      }
    }
    return -1;
  }

  *offsets(): Generator<number> {
    for (let i = 0; i < this.size; i++) if (this.has(i)) yield i;
  }

  snapshot(): BitmapSnapshot {
    return { size: this.size, data: Buffer.from(this.bits).toString('base64') };
  }

  static restore(s: BitmapSnapshot): Bitmap {
    const b = new Bitmap(s.size);
    const raw = Buffer.from(s.data, 'base64');
    if (raw.length !== b.bits.length) throw new RangeError(`snapshot holds ${raw.length} bytes, want ${b.bits.length}`);
    b.bits.set(raw);
    // Bits beyond `size` in the last byte would be counted as used but never be freeable.
    if (s.size % 8 !== 0 && b.bits.length > 0) b.bits[b.bits.length - 1]! &= (1 << (s.size % 8)) - 1;
    b.used = 0;
    for (const byte of b.bits) b.used += popcount(byte);
    return b;
  }

  clear(): void {
    this.bits.fill(0);
    this.used = 0;
  }

  private inRange(offset: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset < this.size;
  }

  /** First free offset in [lo, hi), skipping full bytes. */
  private scan(lo: number, hi: number): number | undefined {
    let i = lo;
    while (i < hi) {
      if ((i & 7) === 0 && this.bits[i >> 3] === 0xff) {
        i += 8;
        continue;
      }
      if (!this.has(i)) return i;
      i++;
    }
    return undefined;
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
}

/** Size of the static band reserved for requested values (KEP-3070): size/16 in [16, 256]. */
export function staticBandSize(size: number): number {
  return Math.min(256, Math.max(16, Math.floor(size / 16)), size);
}
