// Which addresses of a node's pod CIDR may be handed to pods, and which one comes next.
// Pure: the store decides under its lock by calling nextFree with what is reserved.
import { formatAddress, parseAddress, type Family } from '../../src/net/address.js';
import { cidrSize, mustParseCidr } from '../../src/net/cidr.js';

export interface Pool {
  cidr: string;
  family: Family;
  prefix: number;
  /** The bridge's address: the first address after the network address (kubenet, bridge CNI). */
  gateway: string;
  first: bigint;
  last: bigint;
}

export function poolFor(podCidr: string): Pool {
  const c = mustParseCidr(podCidr);
  const gw = c.base + 1n;
  // IPv4 keeps the broadcast address out; IPv6 has none, but the all-ones address
  // is left out too so that both families look alike (as host-local does).
  const last = c.base + cidrSize(c) - 2n;
  return { cidr: podCidr, family: c.family, prefix: c.prefix, gateway: formatAddress({ family: c.family, value: gw }), first: gw + 1n, last };
}

export const poolSize = (p: Pool): number => Number(p.last - p.first + 1n);

export function inPool(p: Pool, ip: string): boolean {
  const a = parseAddress(ip);
  return a !== undefined && a.family === p.family && a.value >= p.first && a.value <= p.last;
}

/**
 * The next free address after `lastReserved`, wrapping around once: handing addresses
 * out round-robin keeps a just-released address unused for as long as possible, so a
 * new pod does not inherit conntrack entries or ARP caches aimed at a dead one (the
 * reason host-local does the same). Undefined when every address is taken.
 */
export function nextFree(p: Pool, reserved: ReadonlySet<string>, lastReserved?: string): string | undefined {
  const size = p.last - p.first + 1n;
  const la = lastReserved === undefined ? undefined : parseAddress(lastReserved);
  const start = la && la.family === p.family && la.value >= p.first && la.value <= p.last ? la.value + 1n : p.first;
  for (let i = 0n; i < size; i++) {
    let v = start + i;
    if (v > p.last) v -= size;
    const ip = formatAddress({ family: p.family, value: v });
    if (!reserved.has(ip)) return ip;
  }
  return undefined;
}
