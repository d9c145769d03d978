// An inclusive range of addresses, addressed by offset: the unit the allocators count in.
// Built from a CIDR (service CIDR: network and broadcast addresses excluded, as the
// apiserver's ipallocator does) or from "first-last" text (the --lb-pool form).
import { type Address, type Family, formatAddress, parseAddress } from './address.js';
import { type Cidr, cidrSize, parseCidr } from './cidr.js';

export interface AddressRange {
  family: Family;
  first: bigint;
  /** Number of addresses; bounded so a bitmap can hold it. */
  size: number;
}

/**
 * Upstream caps a service range at 2^16 addresses for the bitmap allocator (larger IPv6
 * ranges are truncated to the first 65536 after the network address); we do the same,
 * so a /64 does not cost gigabytes.
 */
export const MAX_RANGE_SIZE = 1 << 16;

/**
 * Usable addresses of a service CIDR. For IPv4 the network and broadcast addresses are
 * excluded; for IPv6 only the subnet-router anycast (network) address is (there is no
 * broadcast) — k8s.io/kubernetes pkg/registry/core/service/ipallocator.
 */
export function serviceRange(c: Cidr): AddressRange | undefined {
  const total = cidrSize(c);
  const reserved = c.family === 4 ? 2n : 1n;
  if (total <= reserved) return undefined;
  const usable = total - reserved;
  const size = usable > BigInt(MAX_RANGE_SIZE) ? MAX_RANGE_SIZE : Number(usable);
  return { family: c.family, first: c.base + 1n, size };
}

/** "192.168.56.200-192.168.56.250", a single address, or a CIDR (all of its addresses). */
export function parseRange(text: string): AddressRange | undefined {
  const t = text.trim();
  if (t.includes('/')) {
    const c = parseCidr(t);
    if (!c) return undefined;
    const total = cidrSize(c);
    if (total > BigInt(MAX_RANGE_SIZE)) return undefined;
    return { family: c.family, first: c.base, size: Number(total) };
  }
  const [a, b = a] = t.split('-').map((s) => s.trim());
  const from = parseAddress(a ?? '');
  const to = parseAddress(b ?? '');
  if (!from || !to || from.family !== to.family || to.value < from.value) return undefined;
  const size = to.value - from.value + 1n;
  if (size > BigInt(MAX_RANGE_SIZE)) return undefined;
  return { family: from.family, first: from.value, size: Number(size) };
}

/** Offset of an address in the range, or -1 when outside it (or another family). */
export function rangeOffset(r: AddressRange, a: Address | string): number {
  const addr = typeof a === 'string' ? parseAddress(a) : a;
  if (!addr || addr.family !== r.family) return -1;
  const off = addr.value - r.first;
  return off < 0n || off >= BigInt(r.size) ? -1 : Number(off);
}

export function rangeAddress(r: AddressRange, offset: number): string {
  if (!Number.isInteger(offset) || offset < 0 || offset >= r.size) throw new RangeError(`offset ${offset} outside range`);
  return formatAddress({ family: r.family, value: r.first + BigInt(offset) });
}

export function formatRange(r: AddressRange): string {
  return `${rangeAddress(r, 0)}-${rangeAddress(r, r.size - 1)}`;
}
