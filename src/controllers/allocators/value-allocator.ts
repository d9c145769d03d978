// One allocator = a range of values (addresses or ports) + a bitmap of which are taken +
// who holds each one. Synchronous on purpose: the admission path marks a value before its
// first `await`, so two creates in this process can never both get it (Node runs one
// callback at a time). Cross-process safety (two apiservers on one etcd) is the job of
// ClaimStore below: a create-only record per value, checked after the local mark.
import { Bitmap } from '../../net/bitmap.js';
import { type AddressRange, formatRange, rangeAddress, rangeOffset } from '../../net/range.js';

export interface ValueSpace<V> {
  size: number;
  offsetOf(v: V): number;
  valueAt(offset: number): V;
  /** "10.96.0.0/16", "30000-32767": used in the apiserver's error messages. */
  describe: string;
}

/** 'held': the owner already had it (nothing new was marked). */
export type AllocateResult = 'ok' | 'held' | 'taken' | 'out-of-range';

export class ValueAllocator<V extends string | number> {
  private bits: Bitmap;
  private owners = new Map<number, string>();

  constructor(
    readonly name: string,
    readonly space: ValueSpace<V>,
    private readonly opts: { random?: () => number; preferFrom?: number } = {},
  ) {
    this.bits = new Bitmap(space.size);
  }

  get used(): number {
    return this.bits.count;
  }

  get free(): number {
    return this.bits.free;
  }

  contains(v: V): boolean {
    return this.space.offsetOf(v) >= 0;
  }

  ownerOf(v: V): string | undefined {
    const o = this.space.offsetOf(v);
    return o < 0 ? undefined : this.owners.get(o);
  }

  isAllocated(v: V): boolean {
    return this.bits.has(this.space.offsetOf(v));
  }

  /** Taking a value the same owner already holds succeeds: re-admission and rebuilds are idempotent. */
  allocate(v: V, owner: string): AllocateResult {
    const o = this.space.offsetOf(v);
    if (o < 0) return 'out-of-range';
    if (this.bits.has(o)) return this.owners.get(o) === owner ? 'held' : 'taken';
    this.bits.allocate(o);
    this.owners.set(o, owner);
    return 'ok';
  }

  allocateNext(owner: string): V | undefined {
    const o = this.bits.allocateNext({ random: this.opts.random ?? Math.random, preferFrom: this.opts.preferFrom });
    if (o < 0) return undefined;
    this.owners.set(o, owner);
    return this.space.valueAt(o);
  }

  /** Releases `v` if `owner` holds it (or unconditionally without an owner). */
  release(v: V, owner?: string): boolean {
    const o = this.space.offsetOf(v);
    if (o < 0 || !this.bits.has(o)) return false;
    if (owner !== undefined && this.owners.get(o) !== owner) return false;
    this.bits.release(o);
    this.owners.delete(o);
    return true;
  }

  entries(): Array<[V, string]> {
    return [...this.bits.offsets()].map((o) => [this.space.valueAt(o), this.owners.get(o) ?? '']);
  }

  reset(): void {
    this.bits.clear();
    this.owners.clear();
  }
}

export function addressSpace(r: AddressRange, describe?: string): ValueSpace<string> {
  return {
    size: r.size,
    offsetOf: (v) => rangeOffset(r, v),
    valueAt: (o) => rangeAddress(r, o),
    describe: describe ?? formatRange(r),
  };
}

export interface PortRange {
  base: number;
  size: number;
}

/** "30000-32767" (kube-apiserver --service-node-port-range) or "30000+2768". */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^\s*(\d{1,5})\s*([-+])\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  const size = m[2] === '+' ? Number(m[3]) : Number(m[3]) - base + 1;
  if (base < 1 || size < 1 || base + size - 1 > 65535) return undefined;
  return { base, size };
}

export function portSpace(r: PortRange): ValueSpace<number> {
  return {
    size: r.size,
    offsetOf: (p) => (Number.isInteger(p) && p >= r.base && p < r.base + r.size ? p - r.base : -1),
    valueAt: (o) => r.base + o,
    describe: `${r.base}-${r.base + r.size - 1}`,
  };
}

/**
 * Create-only allocation records shared by every apiserver on one store — the same idea as
 * upstream's networking.k8s.io IPAddress objects (KEP-1880): an allocation is real only
 * once its record was created; a create that finds the record is "already allocated".
 */
export interface ClaimStore {
  /** true when the record was created (or already belongs to `owner`), false when someone else holds it. */
  claim(allocator: string, value: string, owner: string): Promise<boolean>;
  release(allocator: string, value: string, owner: string): Promise<void>;
  list(allocator: string): Promise<Array<{ value: string; owner: string }>>;
}

/** A ClaimStore in memory: what one process needs, and a model of the etcd one for tests. */
export class MemoryClaimStore implements ClaimStore {
  private records = new Map<string, string>();

  async claim(allocator: string, value: string, owner: string): Promise<boolean> {
    const k = `${allocator}/${value}`;
    const held = this.records.get(k);
    if (held !== undefined) return held === owner;
    this.records.set(k, owner);
    return true;
  }

  async release(allocator: string, value: string, owner: string): Promise<void> {
    const k = `${allocator}/${value}`;
    if (this.records.get(k) === owner) this.records.delete(k);
  }

  async list(allocator: string): Promise<Array<{ value: string; owner: string }>> {
    const prefix = `${allocator}/`;
    return [...this.records].filter(([k]) => k.startsWith(prefix)).map(([k, owner]) => ({ value: k.slice(prefix.length), owner }));
  }
}
