import { describe, expect, it } from 'vitest';
import { canonicalAddress, formatAddress, parseAddress } from './address.js';
import { cidrContains, cidrsOverlap, formatCidr, parseCidr, subnetAt, subnetCount, subnetIndex } from './cidr.js';
import { formatRange, parseRange, rangeAddress, rangeOffset, serviceRange } from './range.js';

describe('addresses', () => {
  it.each([
    ['10.96.0.1', 4, 0x0a600001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['fd00::1', 6, (0xfd00n << 112n) | 1n],
  ])('parses %s', (text, family, value) => {
    expect(parseAddress(text)).toEqual({ family, value });
  });

  it.each(['', '10.96.0', '10.96.0.01', '10.96.0.1/32', '1.2.3.256', 'fe80::1%eth0', 'x', '::ffff::1'])('refuses %j', (t) => {
    expect(parseAddress(t)).toBeUndefined();
  });

  it('formats IPv6 in RFC 5952 form', () => {
    expect(canonicalAddress('FD00:0:0:0:0:0:0:A')).toBe('fd00::a');
    expect(formatAddress({ family: 4, value: 0x0a600001n })).toBe('10.96.0.1');
  });
});

describe('CIDRs', () => {
  it('refuses host bits unless asked', () => {
    expect(parseCidr('10.96.0.1/16')).toBeUndefined();
    expect(formatCidr(parseCidr('10.96.0.1/16', { allowHostBits: true })!)).toBe('10.96.0.0/16');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('10.0.0.0/+8')).toBeUndefined();
  });

  it('membership, subnets, overlap', () => {
    const c = parseCidr('10.244.0.0/16')!;
    expect(cidrContains(c, parseAddress('10.244.255.1')!)).toBe(true);
    expect(cidrContains(c, parseAddress('10.245.0.1')!)).toBe(false);
    expect(cidrContains(c, parseAddress('fd00::1')!)).toBe(false);
    expect(subnetCount(c, 24)).toBe(256n);
    expect(formatCidr(subnetAt(c, 24, 0)!)).toBe('10.244.0.0/24');
    expect(formatCidr(subnetAt(c, 24, 255)!)).toBe('10.244.255.0/24');
    expect(subnetAt(c, 24, 256)).toBeUndefined();
    expect(subnetIndex(c, parseCidr('10.244.7.0/24')!)).toBe(7);
    expect(subnetIndex(c, parseCidr('10.245.7.0/24')!)).toBe(-1);
    expect(cidrsOverlap(parseCidr('10.244.0.0/16')!, parseCidr('10.244.3.0/24')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.244.2.0/24')!, parseCidr('10.244.3.0/24')!)).toBe(false);
  });

  it('IPv6 subnets use the same arithmetic', () => {
    const c = parseCidr('fd00:10:244::/56')!;
    expect(formatCidr(subnetAt(c, 64, 3)!)).toBe('fd00:10:244:3::/64');
  });
});

describe('ranges', () => {
  it('a service CIDR excludes network and broadcast (IPv4)', () => {
    const r = serviceRange(parseCidr('10.96.0.0/24')!)!;
    expect(r.size).toBe(254);
    expect(rangeAddress(r, 0)).toBe('10.96.0.1');
    expect(rangeAddress(r, 253)).toBe('10.96.0.254');
    expect(rangeOffset(r, '10.96.0.0')).toBe(-1);
    expect(rangeOffset(r, '10.96.0.255')).toBe(-1);
    expect(rangeOffset(r, '10.96.0.10')).toBe(9);
    expect(serviceRange(parseCidr('10.96.0.0/31')!)).toBeUndefined();
  });

  it('an IPv6 service CIDR is capped at 65536 addresses', () => {
    const r = serviceRange(parseCidr('fd00:96::/64')!)!;
    expect(r.size).toBe(65536);
    expect(rangeAddress(r, 0)).toBe('fd00:96::1');
  });

  it('parses the --lb-pool forms', () => {
    const r = parseRange('192.168.56.200-192.168.56.250')!;
    expect(r.size).toBe(51);
    expect(formatRange(r)).toBe('192.168.56.200-192.168.56.250');
    expect(rangeOffset(r, '192.168.56.250')).toBe(50);
    expect(rangeOffset(r, '192.168.56.251')).toBe(-1);
    expect(parseRange('192.168.56.7')!.size).toBe(1);
    expect(parseRange('192.168.56.0/30')!.size).toBe(4);
    expect(parseRange('192.168.56.9-192.168.56.8')).toBeUndefined();
    expect(parseRange('192.168.56.9-fd00::1')).toBeUndefined();
    expect(() => rangeAddress(r, 51)).toThrow(RangeError);
  });
});
