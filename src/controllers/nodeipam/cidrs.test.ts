import { describe, expect, it } from 'vitest';
import { mustParseCidr } from '../../net/cidr.js';
import { PodCidrAllocator, defaultNodeMask } from './cidrs.js';

describe('PodCidrAllocator', () => {
  it('lowest free /24 first, never overlapping, released on delete, rebuilt from nodes', () => {
    const c = mustParseCidr('10.244.0.0/22');
    const a = new PodCidrAllocator([{ cidr: c, nodeMask: defaultNodeMask(c) }]);
    expect(a.observe('old', ['10.244.1.0/24'])).toEqual([]);
    expect(a.allocate('n1')).toEqual(['10.244.0.0/24']);
    expect(a.allocate('n2')).toEqual(['10.244.2.0/24']);
    expect(a.allocate('n3')).toEqual(['10.244.3.0/24']);
    expect(a.allocate('n4')).toBeUndefined();
    a.release('n2', ['10.244.2.0/24']);
    expect(a.allocate('n4')).toEqual(['10.244.2.0/24']);
    expect(a.observe('dup', ['10.244.0.0/24'])).toEqual(['10.244.0.0/24']);
    expect(a.observe('foreign', ['172.16.0.0/24'])).toEqual([]);
  });

  it('dual-stack: one CIDR per family, all or nothing', () => {
    const v4 = mustParseCidr('10.244.0.0/24');
    const v6 = mustParseCidr('fd00:10:244::/63');
    const a = new PodCidrAllocator([{ cidr: v4, nodeMask: 24 }, { cidr: v6, nodeMask: defaultNodeMask(v6) }]);
    expect(a.allocate('n1')).toEqual(['10.244.0.0/24', 'fd00:10:244::/64']);
    expect(a.allocate('n2')).toBeUndefined();
    expect(a.allocators[1]!.used).toBe(1);
  });
});
