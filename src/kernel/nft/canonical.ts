// Canonical rule and element text: what `nft list` (1.0.6) prints back for what we wrote.
// The fake stores rules through canonicalRule() so its dump equals the kernel's. Every
// rewrite below was observed on this machine by loading the input form and listing it
// (see canonical.test.ts for the table of pairs).
import ipaddr from 'ipaddr.js';
import { formatDuration, parseDuration, splitTopLevel } from './format.js';
import type { Family } from './types.js';

const PROTO_NAMES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp', '132': 'sctp' };
const SERVICE_PORTS: Record<string, string> = { http: '80', https: '443', domain: '53', ssh: '22' };
const L4 = '(tcp|udp|sctp|udplite|dccp)';

/** Integers in mark expressions print as 32-bit hex (nft's mark datatype). */
const hex32 = (n: string): string => `0x${(Number(n) >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Normalise spacing the way nft prints: single spaces, `{ a, b : c }` inside braces, but
 * flag lists outside braces stay tight (`ct state established,related`); quoted text untouched.
 */
function spacing(text: string): string {
  let out = '';
  let q = false;
  let depth = 0;
  for (const c of text) {
    if (c === '"') q = !q;
    if (q || c === '"') { out += c; continue; }
    if (c === '{') { depth++; out += ' { '; }
    else if (c === '}') { depth--; out += ' } '; }
    else if (c === ',' && depth > 0) out += ', ';
    else if (/\s/.test(c)) out += ' ';
    else out += c;
  }
  const segments = out.split('"');
  for (let i = 0; i < segments.length; i += 2) {
    segments[i] = segments[i]!.replace(/ +/g, ' ').replace(/ ,/g, ',')
      // Map separators: `0:goto a` → `0 : goto a` (IPv6 and addr:port colons are not followed by a verdict).
      .replace(/ ?: ?(goto|jump|accept|drop|return|continue)\b/g, ' : $1');
  }
  return segments.join('"').replace(/^ +| +$/g, '').replace(/\{ +\}/g, '{ }');
}

/** Sort key of an anonymous-set item when nft prints them in value order (numbers, ranges, IPv4). */
function orderKey(item: string): number | undefined {
  const key = item.split(' : ')[0]!;
  const first = key.split('-')[0]!.split('/')[0]!;
  if (/^\d+$/.test(first)) return Number(first);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(first)) return first.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  return undefined;
}

/**
 * nft prints the elements of an anonymous set of single values in value order (interval and
 * rbtree sets are ordered); concatenations print in hash order and are left alone.
 */
function sortAnonymous(text: string): string {
  return text.replace(/\{ ([^{}"]*) \}/g, (whole, inner: string) => {
    if (inner.includes(' . ')) return whole;
    const items = splitTopLevel(inner, ', ');
    const keys = items.map(orderKey);
    if (keys.some((k) => k === undefined)) return whole;
    const sorted = items.map((it, i) => [keys[i]!, it] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    return `{ ${sorted.join(', ')} }`;
  });
}

/** Words separated by spaces outside quotes. */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const c of text) {
    if (c === '"') q = !q;
    if (c === ' ' && !q) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** Rewrites that need token context: mark constants, operator words, dependencies. */
function tokens(text: string, family: Family): string {
  const out: string[] = [];
  const t = words(text);
  let inMark = false;
  for (let i = 0; i < t.length; i++) {
    let tok = t[i]!;
    const prev = out[out.length - 1];
    if (tok === 'mark' && prev !== 'meta' && prev !== 'ct') out.push('meta');
    if (tok === 'mark') { out.push(tok); inMark = true; continue; }
    if (inMark) {
      if (tok === 'or') tok = '|';
      else if (tok === 'and') tok = '&';
      else if (tok === 'xor') tok = '^';
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(tok)) tok = hex32(tok);
      else if (!['set', 'meta', 'ct', '|', '&', '^', '==', '!='].includes(tok)) inMark = false;
    }
    if ((prev === 'l4proto' || prev === 'protocol') && PROTO_NAMES[tok]) tok = PROTO_NAMES[tok]!;
    if ((prev === 'iifname' || prev === 'oifname' || (prev === '!=' && /ifname$/.test(out[out.length - 2] ?? ''))) && /^[A-Za-z0-9_.*-]+$/.test(tok)) tok = `"${tok}"`;
    if (prev === 'timeout' && parseDuration(tok) !== undefined) tok = formatDuration(parseDuration(tok)!);
    if (/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(tok) || (/:/.test(tok) && /^[0-9a-fA-F:]+(\/\d+)?$/.test(tok))) tok = canonicalAddress(tok);
    out.push(tok);
  }
  let s = out.join(' ');
  // A dependency nft can infer is not printed: `meta l4proto tcp tcp dport` → `tcp dport`,
  // `meta l4proto tcp th dport` → `tcp dport`, `ip protocol tcp tcp dport` → `tcp dport`.
  s = s.replace(new RegExp(`\\b(?:meta l4proto|ip protocol|ip6 nexthdr) ${L4} (?:\\1|th) `, 'g'), '$1 ');
  s = s.replace(/\bmeta l4proto tcp reject with tcp reset\b/, 'reject with tcp reset');
  // nft 1.0.6 prints `numgen … mod N == V` without the `==` (its relational printer drops
  // the implicit op for hash/numgen expressions).
  s = s.replace(/\b(mod \d+(?: seed 0x[0-9a-f]+)?(?: offset \d+)?) == /g, '$1 ');
  s = s.replace(/\bcounter(?! packets)/g, 'counter packets 0 bytes 0');
  s = s.replace(/\blog (.*?)\blevel warn\b ?/g, 'log $1').replace(/ +$/, '');
  // The NAT family is implied by an ip/ip6 table for a literal address.
  // …but printed when the target is an expression (a map lookup).
  if (family === 'ip' || family === 'ip6') {
    s = s.replace(new RegExp(`\\b(dnat|snat) ${family} to (?=[0-9a-fA-F\\[])`, 'g'), '$1 to ');
    s = s.replace(/\b(dnat|snat) to (?=[a-z])/g, `$1 ${family} to `);
  }
  s = s.replace(/\b(dnat|snat) (ip6?) addr \. port to /g, '$1 $2 to ');
  s = s.replace(/\breject with (icmp|icmpv6|icmpx) type /g, 'reject with $1 ');
  const defaultReject = family === 'ip6' ? 'icmpv6' : family === 'inet' || family === 'bridge' ? 'icmpx' : 'icmp';
  s = s.replace(new RegExp(`\\breject with ${defaultReject} port-unreachable\\b`), 'reject');
  return s;
}

/** A dotted quad already in canonical form (no leading zeros, each octet ≤ 255). */
export const CANONICAL_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function canonicalAddress(text: string): string {
  if (CANONICAL_IPV4.test(text)) return text; // the common case, without parsing
  try {
    if (text.includes('/')) {
      const [addr, len] = ipaddr.parseCIDR(text);
      const full = addr.kind() === 'ipv4' ? 32 : 128;
      const net = addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(text)
        : ipaddr.IPv6.networkAddressFromCIDR(text);
      return len === full ? net.toString() : `${net.toString()}/${len}`;
    }
    return ipaddr.parse(text).toString();
  } catch {
    return text;
  }
}

/** The text `nft list` prints for a rule written as `text` in a table of `family`. */
export function canonicalRule(text: string, family: Family): string {
  return sortAnonymous(tokens(spacing(text), family));
}

/** One key or value part as nft prints it back in a set listing. */
export function canonicalPart(part: string, datatype: string | undefined): string {
  const p = part.trim().replace(/\s+/g, ' ');
  if (datatype === 'inet_proto' && PROTO_NAMES[p]) return PROTO_NAMES[p]!;
  if (datatype === 'inet_service' && SERVICE_PORTS[p]) return SERVICE_PORTS[p]!;
  if (datatype === 'mark' && /^(0x[0-9a-fA-F]+|\d+)$/.test(p)) return hex32(p);
  if (datatype === 'ipv4_addr' || datatype === 'ipv6_addr') return canonicalAddress(p);
  if (datatype === 'ifname' && !p.startsWith('"')) return `"${p}"`;
  return p;
}

/**
 * The form compared in normalised dumps, for rule text from either side: counter values
 * vary with traffic, and anonymous set elements print in hash order for concatenations.
 */
export function dumpRuleText(text: string): string {
  const s = text.replace(/\bcounter packets \d+ bytes \d+/g, 'counter');
  return s.replace(/\{ ([^{}]*) \}/g, (_m, inner: string) => {
    const items = splitTopLevel(inner, ', ').map((x) => x.trim());
    return `{ ${items.sort().join(', ')} }`;
  });
}
