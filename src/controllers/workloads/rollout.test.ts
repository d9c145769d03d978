import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../types.js';
import { fenceposts, newReplicaCount, oldReplicaCounts, sameTemplate, scaled, templateHash } from './rollout.js';

const dep = (replicas: number, maxSurge: number | string = '25%', maxUnavailable: number | string = '25%'): Deployment => ({
  metadata: { name: 'd' },
  spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } },
});
const rs = (name: string, replicas: number, availableReplicas: number, created = '2026-01-01T00:00:00Z'): ReplicaSet => ({
  metadata: { name, creationTimestamp: created },
  spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
  status: { availableReplicas },
});

describe('rollout arithmetic', () => {
  it('percentages: surge rounds up, unavailable down; 0/0 becomes unavailable 1', () => {
    expect(fenceposts(dep(10))).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(fenceposts(dep(3, 0, 0))).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(scaled('50%', 3, true)).toBe(2);
    expect(scaled('50%', 3, false)).toBe(1);
  });

  it('the template hash is stable, key-order independent, and changes with the template', () => {
    const d = dep(1);
    const h = templateHash(d.spec.template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    const reordered = { spec: d.spec.template.spec, metadata: d.spec.template.metadata };
    expect(templateHash(reordered)).toBe(h);
    expect(templateHash(d.spec.template, 1)).not.toBe(h);
    const other = structuredClone(d.spec.template);
    other.spec.containers[0]!.image = 'y';
    expect(templateHash(other)).not.toBe(h);
    const withHash = structuredClone(d.spec.template);
    withHash.metadata!.labels!['pod-template-hash'] = h;
    expect(sameTemplate(withHash, d.spec.template)).toBe(true);
  });

  it('the new ReplicaSet grows within maxSurge', () => {
    const d = dep(4, 1, 0);
    const old = rs('old', 4, 4);
    const fresh = rs('new', 0, 0);
    expect(newReplicaCount(d, [old, fresh], fresh)).toBe(1);
    expect(newReplicaCount(d, [old, { ...fresh, spec: { ...fresh.spec, replicas: 1 } }], { ...fresh, spec: { ...fresh.spec, replicas: 1 } })).toBe(1);
  });

  it('old ReplicaSets shrink only as far as availability allows', () => {
    const d = dep(4, 1, 0);
    const fresh = rs('new', 1, 0);
    // The surge pod is not available yet: nothing may go.
    expect(oldReplicaCounts(d, [rs('old', 4, 4), fresh], fresh, [rs('old', 4, 4)])).toEqual(new Map());
    // It became available: one old pod may go.
    const ready = rs('new', 1, 1);
    expect(oldReplicaCounts(d, [rs('old', 4, 4), ready], ready, [rs('old', 4, 4)])).toEqual(new Map([['old', 3]]));
    // Unavailable old pods go first, without costing availability: 5 pods, 3 must stay
    // available, the new one is not yet, so exactly one (unavailable) old pod may go.
    const d2 = dep(4, 1, 1);
    expect(oldReplicaCounts(d2, [rs('old', 4, 2), fresh], fresh, [rs('old', 4, 2)])).toEqual(new Map([['old', 3]]));
    const d3 = dep(4, 0, 2);
    expect(oldReplicaCounts(d3, [rs('old', 4, 4)], undefined, [rs('old', 4, 4)])).toEqual(new Map([['old', 2]]));
  });
});
