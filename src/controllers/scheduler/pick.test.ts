import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../types.js';
import { pickNode, tolerates } from './pick.js';

const node = (name: string, o: { labels?: Record<string, string>; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; ready?: boolean; unschedulable?: boolean } = {}): Node => ({
  metadata: { name, labels: o.labels ?? {} },
  spec: { taints: o.taints, unschedulable: o.unschedulable },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c' }], ...spec } });

describe('pickNode', () => {
  it('fewest pods first, ties by name', () => {
    const nodes = [node('b'), node('a'), node('c')];
    expect(pickNode(pod(), nodes, new Map())).toEqual({ node: 'a' });
    expect(pickNode(pod(), nodes, new Map([['a', 2], ['b', 1], ['c', 1]]))).toEqual({ node: 'b' });
  });

  it('filters NotReady, unschedulable, selector mismatch and untolerated NoSchedule/NoExecute taints', () => {
    const nodes = [
      node('notready', { ready: false }),
      node('cordoned', { unschedulable: true }),
      node('other', { labels: { disk: 'hdd' } }),
      node('tainted', { labels: { disk: 'ssd' }, taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }),
      node('soft', { labels: { disk: 'ssd' }, taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }),
    ];
    expect(pickNode(pod({ nodeSelector: { disk: 'ssd' } }), nodes, new Map([['soft', 9]]))).toEqual({ node: 'soft' });
    const r = pickNode(pod({ nodeSelector: { disk: 'nvme' } }), nodes.slice(0, 4), new Map());
    expect(r.node).toBeUndefined();
    expect((r as { message: string }).message).toBe(
      "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {k: v}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
    );
  });

  it('tolerations: Equal needs the value, Exists any value, empty key + Exists everything, effect must match if set', () => {
    const t = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
    expect(tolerates([{ key: 'k', operator: 'Equal', value: 'v' }], t)).toBe(true);
    expect(tolerates([{ key: 'k', operator: 'Equal', value: 'w' }], t)).toBe(false);
    expect(tolerates([{ key: 'k', operator: 'Exists' }], t)).toBe(true);
    expect(tolerates([{ operator: 'Exists' }], t)).toBe(true);
    expect(tolerates([{ key: 'k', operator: 'Exists', effect: 'NoExecute' }], t)).toBe(false);
    expect(tolerates(undefined, t)).toBe(false);
  });
});
