import { describe, expect, it } from 'vitest';
import { nftJhash } from './jhash.js';

const v4 = (ip: string): Uint8Array => Uint8Array.from(ip.split('.').map(Number));

describe('nftJhash', () => {
  // Observed on this machine's kernel (6.18): a chain of `ip daddr 127.0.0.9 jhash ip saddr
  // mod 251 seed 0x12345678 <k> counter` rules in a namespace, one ping from each source;
  // the rule whose counter moved gives k.
  const kernel: Array<[string, number]> = [
    ['10.9.1.7', 95], ['10.9.2.14', 33], ['10.9.3.21', 23], ['10.9.4.28', 107], ['10.9.5.35', 117], ['10.9.6.42', 70],
  ];
  it.each(kernel)('jhash ip saddr %s mod 251 seed 0x12345678 = %d as in the kernel', (ip, slot) => {
    expect(nftJhash(v4(ip), 251, 0x12345678)).toBe(slot);
  });
  it('stays inside the modulus and spreads sources', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const h = nftJhash(v4(`10.${i >> 8}.${i & 255}.1`), 7, 1);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(7);
      seen.add(h);
    }
    expect(seen.size).toBe(7);
  });
});
