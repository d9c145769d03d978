import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { EXCLUDE_LB_LABEL, electAnnouncers, ownedIPs } from './lb-election.js';

const node = (name: string, o: { ready?: 'True' | 'False' | 'Unknown'; labels?: Record<string, string> } = {}): V1Node => ({
  metadata: { name, labels: o.labels },
  status: { conditions: [{ type: 'Ready', status: o.ready ?? 'True' }] },
});
const lb = (name: string, ips: string[], spec: Partial<V1Service['spec']> = {}, labels?: Record<string, string>): V1Service => ({
  metadata: { namespace: 'default', name, labels },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...spec },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});
const slice = (svc: string, eps: { node: string; ready?: boolean }[]): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { namespace: 'default', name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } },
  endpoints: eps.map((e, i) => ({ addresses: [`10.244.0.${i + 2}`], nodeName: e.node, conditions: { ready: e.ready ?? true } })),
});
const NODES = ['node1', 'node2', 'node3'].map((n) => node(n));
const ALL = new Set(['node1', 'node2', 'node3']);
const ips = Array.from({ length: 30 }, (_, i) => `192.168.56.${200 + i}`);

describe('electAnnouncers', () => {
  it('gives every IP exactly one owner among the live nodes, the same for every caller', () => {
    const services = ips.map((ip, i) => lb(`s${i}`, [ip]));
    const a = electAnnouncers({ services, slices: [], nodes: NODES, liveAgents: ALL });
    expect(a).toHaveLength(30);
    for (const x of a) expect(ALL.has(x.owner!)).toBe(true);
    // Shuffled input gives the same answer: agents agree without talking.
    const b = electAnnouncers({ services: [...services].reverse(), slices: [], nodes: [...NODES].reverse(), liveAgents: new Set([...ALL].reverse()) });
    expect(b).toEqual(a);
    // Spread: 30 IPs over 3 nodes, none gets them all.
    const counts = ['node1', 'node2', 'node3'].map((n) => ownedIPs(a, n).length);
    expect(Math.max(...counts)).toBeLessThan(30);
    expect(counts.reduce((x, y) => x + y)).toBe(30);
  });

  it('moves only the IPs of a node that died, each to its next candidate', () => {
    const services = ips.map((ip, i) => lb(`s${i}`, [ip]));
    const before = electAnnouncers({ services, slices: [], nodes: NODES, liveAgents: ALL });
    const after = electAnnouncers({ services, slices: [], nodes: NODES, liveAgents: new Set(['node1', 'node3']) });
    for (const [i, b] of before.entries()) {
      if (b.owner !== 'node2') expect(after[i]!.owner).toBe(b.owner);
      else expect(after[i]!.owner).toBe(b.candidates[1]);
    }
  });

  it('leaves out not-ready, excluded and lease-less nodes', () => {
    const nodes = [node('node1', { ready: 'False' }), node('node2', { labels: { [EXCLUDE_LB_LABEL]: '' } }), node('node3'), node('node4')];
    const a = electAnnouncers({ services: [lb('s', ips.slice(0, 5))], slices: [], nodes, liveAgents: new Set(['node1', 'node2', 'node3']) });
    for (const x of a) expect(x.candidates).toEqual(['node3']);
  });

  it('externalTrafficPolicy Local: only nodes with a ready local endpoint announce; none means no owner', () => {
    const svc = lb('web', ['192.168.56.200'], { externalTrafficPolicy: 'Local' });
    const slices = [slice('web', [{ node: 'node2' }, { node: 'node3', ready: false }])];
    expect(electAnnouncers({ services: [svc], slices, nodes: NODES, liveAgents: ALL })[0]).toMatchObject({ owner: 'node2', candidates: ['node2'] });
    const none = electAnnouncers({ services: [svc], slices: [], nodes: NODES, liveAgents: ALL })[0]!;
    expect(none.owner).toBeUndefined();
    expect(none.candidates).toEqual([]);
  });

  it('ignores other implementations\' Services, non-LoadBalancer types, unassigned and IPv6 ingress', () => {
    const services = [
      lb('other-proxy', ['192.168.56.201'], {}, { 'service.kubernetes.io/service-proxy-name': 'x' }),
      lb('class', ['192.168.56.202'], { loadBalancerClass: 'example.com/lb' }),
      lb('np', ['192.168.56.203'], { type: 'NodePort' }),
      lb('pending', []),
      lb('v6', ['fd00::1']),
      lb('mine', ['192.168.56.204']),
    ];
    expect(electAnnouncers({ services, slices: [], nodes: NODES, liveAgents: ALL }).map((a) => a.ip)).toEqual(['192.168.56.204']);
  });
});
