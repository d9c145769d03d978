// Interval arithmetic for nft interval sets. The kernel refuses overlapping elements in an
// interval set (rbtree and pipapo both answer EEXIST) unless the set has `auto-merge`, and
// auto-merge makes the listed content differ from what we wrote — so overlaps are resolved
// here: `ipBlock.cidr minus except`, unions of several blocks, and overlapping port ranges
// all become sorted, disjoint, merged intervals.
import { familyBits, formatAddress, parseCidr, type Family } from '../../src/net/index.js';

export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** Sorted, disjoint, with adjacent intervals merged. */
export function normalise(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.lo <= i.hi).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.lo <= last.hi + 1n) {
      if (i.hi > last.hi) last.hi = i.hi;
    } else {
      out.push({ lo: i.lo, hi: i.hi });
    }
  }
  return out;
}

/** `a` minus every interval of `cut`. */
export function subtract(a: readonly Interval[], cut: readonly Interval[]): Interval[] {
  let cur = normalise(a);
  for (const c of normalise(cut)) {
    const next: Interval[] = [];
    for (const i of cur) {
      if (c.hi < i.lo || c.lo > i.hi) { next.push(i); continue; }
      if (c.lo > i.lo) next.push({ lo: i.lo, hi: c.lo - 1n });
      if (c.hi < i.hi) next.push({ lo: c.hi + 1n, hi: i.hi });
    }
    cur = next;
  }
  return cur;
}

export function cidrInterval(text: string, family: Family): Interval | undefined {
  const c = parseCidr(text, { allowHostBits: true });
  if (!c || c.family !== family) return undefined;
  return { lo: c.base, hi: c.base + (1n << BigInt(familyBits(family) - c.prefix)) - 1n };
}

/** Union over blocks of (cidr − except), as disjoint intervals. */
export function ipBlockIntervals(blocks: readonly { cidr: string; except?: string[] }[], family: Family): Interval[] {
  const parts: Interval[] = [];
  for (const b of blocks) {
    const whole = cidrInterval(b.cidr, family);
    if (!whole) continue;
    const cut = (b.except ?? []).map((e) => cidrInterval(e, family)).filter((x): x is Interval => x !== undefined);
    parts.push(...subtract([whole], cut));
  }
  return normalise(parts);
}

/** One address interval as nft set element text: a CIDR when aligned, else `a-b`. */
export function formatAddressInterval(i: Interval, family: Family): string {
  const bits = familyBits(family);
  const size = i.hi - i.lo + 1n;
  const isPow2 = (size & (size - 1n)) === 0n;
  const lo = formatAddress({ family, value: i.lo });
  if (size === 1n) return lo;
  if (isPow2 && i.lo % size === 0n) {
    let prefix = bits;
    for (let s = size; s > 1n; s >>= 1n) prefix--;
    return `${lo}/${prefix}`;
  }
  return `${lo}-${formatAddress({ family, value: i.hi })}`;
}

export function formatPortInterval(i: Interval): string {
  return i.lo === i.hi ? `${i.lo}` : `${i.lo}-${i.hi}`;
}
