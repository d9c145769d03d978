import { describe, expect, it } from 'vitest';
import type { V1Lease } from '@kubernetes/client-node';
import { AGENT_LEASE_LABEL, LeaseLiveness, holderOf } from './agent-lease.js';

const lease = (node: string, renewTime: string, durationSeconds = 6): V1Lease => ({
  metadata: { name: `hawser-agent-${node}`, namespace: 'kube-node-lease', labels: { [AGENT_LEASE_LABEL]: 'true' } },
  spec: { holderIdentity: node, leaseDurationSeconds: durationSeconds, renewTime: renewTime as unknown as Date },
});

describe('LeaseLiveness', () => {
  it('counts a holder live for its lease duration after the last change we saw, whatever its clock says', () => {
    const l = new LeaseLiveness();
    // renewTime far in the past by our clock: a skewed node is still live while it renews.
    l.observe(lease('a', '2001-01-01T00:00:00.000000Z'), 'a', 1000);
    expect([...l.live(6999)]).toEqual(['a']);
    expect([...l.live(7000)]).toEqual([]);
    // The same Lease again (a re-list) is not a renewal.
    l.observe(lease('a', '2001-01-01T00:00:00.000000Z'), 'a', 6000);
    expect([...l.live(7000)]).toEqual([]);
    l.observe(lease('a', '2001-01-01T00:00:02.000000Z'), 'a', 8000);
    expect([...l.live(8000)]).toEqual(['a']);
    expect(l.nextExpiry(8000)).toBe(14_000);
  });

  it('forgets a deleted Lease at once (a graceful stop hands over without waiting)', () => {
    const l = new LeaseLiveness();
    l.observe(lease('a', 't1'), 'a', 0);
    l.observe(undefined, 'a', 1);
    expect(l.live(1).size).toBe(0);
  });
});

describe('holderOf', () => {
  it('reads the node of our labelled Leases only', () => {
    expect(holderOf(lease('node1', 't'))).toBe('node1');
    expect(holderOf({ metadata: { name: 'node1', namespace: 'kube-node-lease' } })).toBeUndefined();
  });
});
