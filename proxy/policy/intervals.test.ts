import { describe, expect, it } from 'vitest';
import { formatAddressInterval, ipBlockIntervals, normalise, subtract } from './intervals.js';

const iv = (lo: number, hi: number) => ({ lo: BigInt(lo), hi: BigInt(hi) });

describe('intervals', () => {
  it('normalise merges overlapping and adjacent intervals', () => {
    expect(normalise([iv(10, 20), iv(1, 3), iv(4, 5), iv(15, 30)])).toEqual([iv(1, 5), iv(10, 30)]);
  });
  it('subtract cuts holes and ends', () => {
    expect(subtract([iv(0, 100)], [iv(0, 9), iv(50, 60), iv(95, 200)])).toEqual([iv(10, 49), iv(61, 94)]);
  });
  it('cidr minus except renders as the fewest CIDRs and ranges nft accepts', () => {
    const parts = ipBlockIntervals([{ cidr: '10.0.0.0/24', except: ['10.0.0.128/25', '10.0.0.5/32'] }], 4).map((i) => formatAddressInterval(i, 4));
    expect(parts).toEqual(['10.0.0.0-10.0.0.4', '10.0.0.6-10.0.0.127']);
    expect(ipBlockIntervals([{ cidr: '10.244.1.11/4' }], 4).map((i) => formatAddressInterval(i, 4))).toEqual(['0.0.0.0/4']);
    expect(ipBlockIntervals([{ cidr: '10.0.0.0/8' }, { cidr: '10.1.0.0/16' }, { cidr: 'fd00::/8' }], 4).map((i) => formatAddressInterval(i, 4))).toEqual(['10.0.0.0/8']);
    expect(ipBlockIntervals([{ cidr: 'fd00::/64', except: ['fd00::/65'] }], 6).map((i) => formatAddressInterval(i, 6))).toEqual(['fd00::8000:0:0:0/65']);
  });
});
