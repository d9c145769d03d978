// Checking one element part against its set's datatype, as nft's evaluator does before
// anything reaches the kernel ("Could not resolve hostname", "datatype mismatch", a range
// in a set without the interval flag …). Unknown datatypes are accepted unchecked.
import ipaddr from 'ipaddr.js';
import { CANONICAL_IPV4 } from './canonical.js';

const PROTOS = new Set(['tcp', 'udp', 'sctp', 'icmp', 'ipv6-icmp', 'udplite', 'dccp', 'esp', 'ah', 'gre']);
const SERVICES = new Set(['http', 'https', 'domain', 'ssh']);

function single(part: string, datatype: string): boolean {
  switch (datatype) {
    case 'ipv4_addr': return CANONICAL_IPV4.test(part) || ipaddr.IPv4.isValidFourPartDecimal(part);
    case 'ipv6_addr': return ipaddr.IPv6.isValid(part) && part.includes(':');
    case 'inet_proto': return PROTOS.has(part) || (/^\d+$/.test(part) && Number(part) < 256);
    case 'inet_service': return SERVICES.has(part) || (/^\d+$/.test(part) && Number(part) < 65536);
    case 'mark': case 'integer': return /^(0x[0-9a-fA-F]+|\d+)$/.test(part);
    case 'ifname': return /^"?[A-Za-z0-9_.*-]{1,15}"?$/.test(part);
    case 'ether_addr': return /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(part);
    default: return true;
  }
}

/** Why `part` does not fit `datatype`, or undefined. Prefixes and ranges need an interval set. */
export function partProblem(part: string, datatype: string | undefined, interval: boolean): string | undefined {
  if (datatype === undefined) return undefined;
  if (datatype === 'verdict') {
    return /^((jump|goto) \S+|accept|drop|return|continue)$/.test(part) ? undefined : `${part} is not a verdict`;
  }
  const prefix = /^(.+)\/(\d+)$/.exec(part);
  if (prefix && (datatype === 'ipv4_addr' || datatype === 'ipv6_addr')) {
    if (!interval) return `prefix ${part} needs an interval set`;
    const max = datatype === 'ipv4_addr' ? 32 : 128;
    return single(prefix[1]!, datatype) && Number(prefix[2]) <= max ? undefined : `${part} is not a ${datatype} prefix`;
  }
  const range = /^([^-\s]+)-([^-\s]+)$/.exec(part);
  if (range && datatype !== 'ifname') {
    if (!interval) return `range ${part} needs an interval set`;
    return single(range[1]!, datatype) && single(range[2]!, datatype) ? undefined : `${part} is not a ${datatype} range`;
  }
  return single(part, datatype) ? undefined : `${part} is not a valid ${datatype}`;
}

function numberOf(part: string, datatype: string): bigint | undefined {
  if (datatype === 'ipv4_addr' || datatype === 'ipv6_addr') {
    try {
      return ipaddr.parse(part).toByteArray().reduce((a, b) => (a << 8n) | BigInt(b), 0n);
    } catch {
      return undefined;
    }
  }
  if (datatype === 'inet_service' || datatype === 'integer' || datatype === 'mark') {
    return /^(0x[0-9a-fA-F]+|\d+)$/.test(part) ? BigInt(part) : undefined;
  }
  return undefined;
}

/**
 * The closed range [lo, hi] a one-part key covers in an interval set (a prefix, a range or
 * a single value), or undefined for datatypes the fake does not order. The kernel refuses an
 * element that overlaps one already in the set ("interval overlaps with an existing one").
 */
export function intervalOf(part: string, datatype: string | undefined): [bigint, bigint] | undefined {
  if (datatype === undefined) return undefined;
  const prefix = /^(.+)\/(\d+)$/.exec(part);
  if (prefix) {
    const base = numberOf(prefix[1]!, datatype);
    if (base === undefined) return undefined;
    const bits = BigInt(datatype === 'ipv4_addr' ? 32 : 128) - BigInt(prefix[2]!);
    return [base, base + (1n << bits) - 1n];
  }
  const range = /^([^-\s]+)-([^-\s]+)$/.exec(part);
  if (range) {
    const lo = numberOf(range[1]!, datatype);
    const hi = numberOf(range[2]!, datatype);
    return lo === undefined || hi === undefined ? undefined : [lo, hi];
  }
  const v = numberOf(part, datatype);
  return v === undefined ? undefined : [v, v];
}
