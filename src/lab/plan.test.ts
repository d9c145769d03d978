import { describe, expect, it } from 'vitest';
import { checkLabName, findNode, ownsNetns, planLab } from './plan.js';

describe('planLab', () => {
  const plan = planLab({ name: 'lab', nodes: 3 });

  it('follows the addressing plan: client .2, control plane .5, nodes from .10', () => {
    expect(plan.client.ip).toBe('192.168.56.2');
    expect(plan.controlPlane.ip).toBe('192.168.56.5');
    expect(plan.nodes.map((n) => [n.nodeName, n.ip, n.staticPodCIDR])).toEqual([
      ['node1', '192.168.56.10', '10.244.0.0/24'],
      ['node2', '192.168.56.11', '10.244.1.0/24'],
      ['node3', '192.168.56.12', '10.244.2.0/24'],
    ]);
    expect(plan.addresses.map((a) => a.cidr)).toEqual(['192.168.56.2/24', '192.168.56.5/24', '192.168.56.10/24', '192.168.56.11/24', '192.168.56.12/24']);
  });

  it('names every namespace with the lab prefix, underlay first', () => {
    expect(plan.namespaces).toEqual(['hl-lab-ul', 'hl-lab-ext', 'hl-lab-cp', 'hl-lab-n1', 'hl-lab-n2', 'hl-lab-n3']);
    expect(plan.podNetnsPrefix).toBe('hl-lab-p-');
    expect(plan.namespaces.every((n) => ownsNetns(n, 'lab'))).toBe(true);
    expect(ownsNetns('hl-lab2-n1', 'lab')).toBe(false);
  });

  it('wires one veth per member into the underlay bridge, short link names', () => {
    expect(plan.links).toHaveLength(5);
    for (const l of plan.links) {
      expect(l.peerNetns).toBe('hl-lab-ul');
      expect(l.master).toBe('br0');
      expect(l.name.length).toBeLessThanOrEqual(15);
      expect(l.peerName.length).toBeLessThanOrEqual(15);
    }
    expect(new Set(plan.links.map((l) => l.peerName)).size).toBe(5);
  });

  it('routes members through the external router and turns forwarding on where packets are routed', () => {
    expect(plan.routes.map((r) => r.netns)).toEqual(['hl-lab-cp', 'hl-lab-n1', 'hl-lab-n2', 'hl-lab-n3']);
    expect(plan.routes.every((r) => r.via === '192.168.56.2' && r.dst === 'default')).toBe(true);
    expect(plan.sysctls.map((s) => s.netns)).toEqual(['hl-lab-ext', 'hl-lab-n1', 'hl-lab-n2', 'hl-lab-n3']);
  });

  it('keeps two labs apart by name and state dir', () => {
    const other = planLab({ name: 'b2', nodes: 2, stateRoot: '/tmp/x' });
    expect(other.stateDir).toBe('/tmp/x/b2');
    expect(other.namespaces.some((n) => plan.namespaces.includes(n))).toBe(false);
  });

  it('defaults and options', () => {
    expect([plan.routing, plan.storage]).toEqual(['host-gw', 'sqlite']);
    expect(planLab({ name: 'v', nodes: 1, routing: 'vxlan', storage: 'etcd' })).toMatchObject({ routing: 'vxlan', storage: 'etcd' });
  });

  it('refuses names that could collide or do not fit, and node counts outside the plan', () => {
    for (const bad of ['', 'a-b', 'Lab', '1lab', 'abcdefghijklm', 'a b']) expect(() => checkLabName(bad)).toThrow();
    expect(() => planLab({ name: 'lab', nodes: 0 })).toThrow();
    expect(() => planLab({ name: 'lab', nodes: 101 })).toThrow();
    expect(() => planLab({ name: 'lab', nodes: 1.5 })).toThrow();
    expect(planLab({ name: 'lab', nodes: 100 }).nodes.at(-1)!.ip).toBe('192.168.56.109');
  });

  it('finds nodes by name, short name or index', () => {
    expect(findNode(plan, 'node2')?.ip).toBe('192.168.56.11');
    expect(findNode(plan, 'n3')?.ip).toBe('192.168.56.12');
    expect(findNode(plan, '1')?.ip).toBe('192.168.56.10');
    expect(findNode(plan, 'node9')).toBeUndefined();
  });
});
