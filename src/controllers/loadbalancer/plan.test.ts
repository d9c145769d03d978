import { describe, expect, it } from 'vitest';
import { parseRange } from '../../net/range.js';
import { ValueAllocator, addressSpace } from '../allocators/value-allocator.js';
import type { Service } from '../types.js';
import { decide, setCondition } from './plan.js';

const pool = () => new ValueAllocator('lb', addressSpace(parseRange('192.168.56.200-192.168.56.201')!), { random: () => 0 });
const lb = (extra: NonNullable<Service['spec']> = {}, ingress?: string): Service => ({
  metadata: { name: 's', namespace: 'default' },
  spec: { type: 'LoadBalancer', ...extra },
  ...(ingress ? { status: { loadBalancer: { ingress: [{ ip: ingress }] } } } : {}),
});

describe('LB decide', () => {
  it('assigns, keeps, honours a request, fails clearly', () => {
    const p = pool();
    expect(decide(lb(), p, 'a')).toEqual({ kind: 'assign', ip: '192.168.56.200' });
    expect(decide(lb({}, '192.168.56.200'), p, 'a')).toEqual({ kind: 'keep', ip: '192.168.56.200' });
    expect(decide(lb({ loadBalancerIP: '192.168.56.200' }), p, 'b')).toMatchObject({ kind: 'fail', reason: 'IPAlreadyAllocated' });
    expect(decide(lb({ loadBalancerIP: '10.0.0.1' }), p, 'b')).toMatchObject({ kind: 'fail', reason: 'IPNotInPool' });
    expect(decide(lb({ loadBalancerIP: '192.168.56.201' }), p, 'b')).toEqual({ kind: 'assign', ip: '192.168.56.201' });
    expect(decide(lb(), p, 'c')).toMatchObject({ kind: 'fail', reason: 'PoolExhausted' });
    expect(decide(lb({ loadBalancerClass: 'other.io/lb' }), p, 'd')).toEqual({ kind: 'release' });
    expect(decide({ ...lb(), spec: { type: 'ClusterIP' } }, p, 'a')).toEqual({ kind: 'release' });
  });

  it('a restored status is kept after a restart (rebuild marks it first)', () => {
    const p = pool();
    p.allocate('192.168.56.201', 'a');
    expect(decide(lb({}, '192.168.56.201'), p, 'a')).toEqual({ kind: 'keep', ip: '192.168.56.201' });
    expect(decide(lb({}, '192.168.56.201'), p, 'b')).toEqual({ kind: 'assign', ip: '192.168.56.200' });
  });

  it('conditions keep their transition time while the status stays', () => {
    const c1 = setCondition(undefined, { type: 'X', status: 'False', reason: 'A' }, 't1');
    const c2 = setCondition(c1, { type: 'X', status: 'False', reason: 'B' }, 't2');
    expect(c2).toEqual([{ type: 'X', status: 'False', reason: 'B', lastTransitionTime: 't1' }]);
    expect(setCondition(c2, { type: 'X', status: 'True', reason: 'C' }, 't3')[0]!.lastTransitionTime).toBe('t3');
  });
});
