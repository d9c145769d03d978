import { describe, expect, it } from 'vitest';
import { inPool, nextFree, poolFor, poolSize } from './pool.js';

describe('poolFor', () => {
  it.each([
    ['10.244.1.0/24', '10.244.1.1', 253],
    ['10.244.1.0/30', '10.244.1.1', 1],
    ['10.0.0.0/16', '10.0.0.1', 65533],
    ['fd00:1::/120', 'fd00:1::1', 253],
  ])('%s: gateway %s, %i addresses', (cidr, gw, n) => {
    const p = poolFor(cidr);
    expect(p.gateway).toBe(gw);
    expect(poolSize(p)).toBe(n);
  });
  it('excludes network, gateway and broadcast', () => {
    const p = poolFor('10.244.1.0/24');
    expect(['10.244.1.0', '10.244.1.1', '10.244.1.255', '10.244.2.2', 'fd00::2'].map((ip) => inPool(p, ip))).toEqual([false, false, false, false, false]);
    expect(['10.244.1.2', '10.244.1.254'].map((ip) => inPool(p, ip))).toEqual([true, true]);
  });
});

describe('nextFree', () => {
  const p = poolFor('10.244.1.0/29'); // .2 … .6
  it.each([
    [[], undefined, '10.244.1.2'],
    [['10.244.1.2'], undefined, '10.244.1.3'],
    [[], '10.244.1.3', '10.244.1.4'],
    [[], '10.244.1.6', '10.244.1.2'],
    [['10.244.1.2'], '10.244.1.6', '10.244.1.3'],
    [['10.244.1.5', '10.244.1.6'], '10.244.1.4', '10.244.1.2'],
    [[], '192.168.0.1', '10.244.1.2'],
    [['10.244.1.2', '10.244.1.3', '10.244.1.4', '10.244.1.5', '10.244.1.6'], '10.244.1.3', undefined],
  ] as const)('reserved %j, last %s → %s', (reserved, last, want) => {
    expect(nextFree(p, new Set(reserved), last)).toBe(want);
  });
  it('IPv6 text is canonical', () => expect(nextFree(poolFor('fd00:0001::/64'), new Set())).toBe('fd00:1::2'));
});
