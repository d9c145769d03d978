// IP addresses as (family, bigint) so that the same arithmetic serves IPv4 and IPv6
// (DESIGN.md rule 9: the family is a parameter, never an assumption).
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Address {
  family: Family;
  value: bigint;
}

export const familyBits = (family: Family): number => (family === 4 ? 32 : 128);

/**
 * Parses a textual address. IPv4-mapped IPv6 (::ffff:a.b.c.d) stays IPv6: Kubernetes
 * validation (netutils.ParseIPSloppy) treats the family by the text, not the value.
 * Leading zeros in IPv4 octets are refused, as the apiserver has done since 1.23
 * (they are ambiguous between decimal and octal).
 */
export function parseAddress(text: string): Address | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.includes('/')) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    if (text.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
    return fromBytes(4, ipaddr.IPv4.parse(text).toByteArray());
  }
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text) || text.includes('%')) return undefined;
  return fromBytes(6, ipaddr.IPv6.parse(text).toByteArray());
}

function fromBytes(family: Family, bytes: number[]): Address {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family, value };
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (what the apiserver stores). */
export function formatAddress(a: Address): string {
  const n = familyBits(a.family) / 8;
  const bytes: number[] = [];
  let v = a.value;
  for (let i = 0; i < n; i++) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  const ip = ipaddr.fromByteArray(bytes);
  return ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/** Normalises an address string, or undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a ? formatAddress(a) : undefined;
}

export const addressFamilyOf = (text: string): Family | undefined => parseAddress(text)?.family;
