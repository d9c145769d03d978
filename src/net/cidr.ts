// CIDR blocks: parsing with the apiserver's strictness, membership, the n-th address and
// the n-th subnet of a given size (node pod CIDRs are /24s carved from the cluster CIDR).
import { type Address, type Family, familyBits, formatAddress, parseAddress } from './address.js';

export interface Cidr {
  family: Family;
  /** Network address (host bits zero). */
  base: bigint;
  prefix: number;
}

/**
 * Parses "a.b.c.d/n" or "x::/n". Host bits must be zero unless `allowHostBits` (the
 * apiserver rejects "10.96.0.1/16" for --service-cluster-ip-range in the same way).
 */
export function parseCidr(text: string, { allowHostBits = false } = {}): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = familyBits(addr.family);
  if (prefix > bits) return undefined;
  const base = addr.value & netmask(addr.family, prefix);
  if (base !== addr.value && !allowHostBits) return undefined;
  return { family: addr.family, base, prefix };
}

export function mustParseCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`invalid CIDR ${JSON.stringify(text)}`);
  return c;
}

export function netmask(family: Family, prefix: number): bigint {
  const bits = BigInt(familyBits(family));
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

export const cidrSize = (c: Cidr): bigint => 1n << BigInt(familyBits(c.family) - c.prefix);

export const formatCidr = (c: Cidr): string => `${formatAddress({ family: c.family, value: c.base })}/${c.prefix}`;

export function cidrContains(c: Cidr, a: Address): boolean {
  return a.family === c.family && (a.value & netmask(c.family, c.prefix)) === c.base;
}

export const cidrLast = (c: Cidr): Address => ({ family: c.family, value: c.base + cidrSize(c) - 1n });

/** The index-th subnet of length `prefix` inside `c`, or undefined when out of bounds. */
export function subnetAt(c: Cidr, prefix: number, index: number): Cidr | undefined {
  if (prefix < c.prefix || prefix > familyBits(c.family)) return undefined;
  if (index < 0 || BigInt(index) >= subnetCount(c, prefix)) return undefined;
  const step = 1n << BigInt(familyBits(c.family) - prefix);
  return { family: c.family, base: c.base + BigInt(index) * step, prefix };
}

export const subnetCount = (c: Cidr, prefix: number): bigint => 1n << BigInt(prefix - c.prefix);

/** Index of `sub` among the subnets of its length inside `c`, or -1 if it is not one. */
export function subnetIndex(c: Cidr, sub: Cidr): number {
  if (sub.family !== c.family || sub.prefix < c.prefix) return -1;
  if (!cidrContains(c, { family: sub.family, value: sub.base })) return -1;
  return Number((sub.base - c.base) >> BigInt(familyBits(c.family) - sub.prefix));
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = netmask(a.family, p);
  return (a.base & m) === (b.base & m);
}
