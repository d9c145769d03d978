// Clauses of networking.k8s.io/v1 the truth table does not pin down on its own.
import { describe, expect, it } from 'vitest';
import { buildIndex, isAllowed, isolatingPolicies, namedPort, peerSelectsPod, podsSelectedByPeer, policyTypes, portMatches } from './model.js';
import { selectorMatches } from './selectors.js';
import type { PeerSpec } from './types.js';
import { netpol } from './e2e/cases.js';
import { Cluster, NODE_IPS, ipOf, makePod } from './e2e/world.js';

describe('selectors', () => {
  it('empty matches all, matchLabels and matchExpressions are ANDed', () => {
    expect(selectorMatches({}, undefined)).toBe(true);
    const sel = { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] };
    expect(selectorMatches(sel, { a: '1', b: 'x' })).toBe(true);
    expect(selectorMatches(sel, { a: '1' })).toBe(false);
  });
  it('NotIn and DoesNotExist match objects without the key', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['v'] }] }, {})).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['v'] }] }, { k: 'v' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'DoesNotExist' }] }, { j: '1' })).toBe(true);
  });
  it('an invalid selector selects nothing', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] }, { k: '2' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }, { k: '' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] }, { k: 'x' })).toBe(false);
  });
});

describe('policyTypes', () => {
  it('defaults to Ingress, plus Egress only when egress rules exist', () => {
    expect(policyTypes({ spec: {} })).toEqual(['Ingress']);
    expect(policyTypes({ spec: { egress: [] } })).toEqual(['Ingress']);
    expect(policyTypes({ spec: { egress: [{}] } })).toEqual(['Ingress', 'Egress']);
    expect(policyTypes({ spec: { policyTypes: ['Egress'], ingress: [{}] } })).toEqual(['Egress']);
  });
});

describe('ports', () => {
  const pod = makePod('x', 'a');
  it('protocol defaults to TCP; a port-less entry opens its protocol only', () => {
    expect(portMatches({ port: 80 }, 'TCP', 80, pod)).toBe(true);
    expect(portMatches({ port: 80 }, 'UDP', 80, pod)).toBe(false);
    expect(portMatches({ protocol: 'UDP' }, 'UDP', 9999, pod)).toBe(true);
    expect(portMatches({ protocol: 'UDP' }, 'TCP', 9999, pod)).toBe(false);
  });
  it('endPort is inclusive', () => {
    expect([79, 80, 85, 90, 91].map((p) => portMatches({ port: 80, endPort: 90 }, 'TCP', p, pod))).toEqual([false, true, true, true, false]);
  });
  it('a named port resolves per protocol on the destination pod, and never without one', () => {
    expect(namedPort(pod, 'serve-81-udp', 'UDP')).toBe(81);
    expect(namedPort(pod, 'serve-81-udp', 'TCP')).toBeUndefined();
    expect(portMatches({ port: 'serve-81-udp', protocol: 'UDP' }, 'UDP', 81, pod)).toBe(true);
    expect(portMatches({ port: 'serve-81-udp', protocol: 'UDP' }, 'UDP', 81, undefined)).toBe(false);
  });
});

describe('isAllowed', () => {
  it('names the policies that allow, per direction', () => {
    const c = new Cluster().apply(
      netpol('x', 'p1', {}, { ingress: [{ from: [{ namespaceSelector: {} }] }] }),
      netpol('x', 'p2', { matchLabels: { pod: 'a' } }, { ingress: [{ ports: [{ port: 80 }] }] }),
      netpol('y', 'out', {}, { egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16' } }] }] }),
    );
    const v = isAllowed(c.world(), { pod: 'y/b' }, { pod: 'x/a' }, 'TCP', 80);
    expect(v).toMatchObject({ allowed: true, ingressBy: ['x/p1', 'x/p2'], egressBy: ['y/out'] });
    expect(isAllowed(c.world(), { pod: 'y/b' }, { pod: 'x/a' }, 'TCP', 81).ingressBy).toEqual(['x/p1']);
  });
  it('selectors match pods only: an outside address needs an ipBlock', () => {
    const c = new Cluster().apply(netpol('x', 'p', {}, { ingress: [{ from: [{ namespaceSelector: {} }] }, { from: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }] }] }));
    expect(isAllowed(c.world(), { ip: '198.51.100.1' }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(false);
    expect(isAllowed(c.world(), { ip: '203.0.113.5' }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(true);
    expect(isAllowed(c.world(), { ip: '203.0.113.200' }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(false);
    expect(isAllowed(c.world(), { ip: ipOf('y/a') }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(true);
  });
  it("the pod's own node is always allowed, another node is not", () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [], egress: [] }));
    const own = NODE_IPS['node-1']!;
    expect(isAllowed(c.world(), { ip: own[0]! }, { pod: 'x/a' }, 'TCP', 80)).toMatchObject({ allowed: true, ingress: { node: true } });
    expect(isAllowed(c.world(), { ip: own[1]! }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(true);
    expect(isAllowed(c.world(), { pod: 'x/a' }, { ip: own[0]! }, 'TCP', 80).allowed).toBe(true);
    expect(isAllowed(c.world(), { ip: NODE_IPS['node-2']![0]! }, { pod: 'x/a' }, 'TCP', 80).allowed).toBe(false);
  });
  it('host-network and finished pods are never isolated nor selected', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    const host = makePod('x', 'a');
    host.spec!.hostNetwork = true;
    const done = makePod('x', 'b');
    done.status!.phase = 'Succeeded';
    const ix = buildIndex(c.world());
    expect(isolatingPolicies(ix, host, 'Ingress')).toEqual([]);
    expect(isolatingPolicies(ix, done, 'Ingress')).toEqual([]);
    expect(isolatingPolicies(ix, makePod('x', 'c'), 'Ingress')).toHaveLength(1);
  });
  it('a policy never selects pods of another namespace', () => {
    const c = new Cluster().apply(netpol('x', 'deny', {}, { ingress: [] }));
    expect(isAllowed(c.world(), { pod: 'x/a' }, { pod: 'y/a' }, 'TCP', 80).ingress.isolated).toBe(false);
  });
});

describe('podsSelectedByPeer (the compiler\'s indexed path)', () => {
  it('selects exactly the pods peerSelectsPod accepts', () => {
    const c = new Cluster().labelNamespace('y', { env: 'prod' }).labelPod('z/b', { pod: 'b', role: 'db' });
    const ix = buildIndex(c.world());
    const pol = netpol('x', 'p', {}, {});
    const peers: PeerSpec[] = [
      { podSelector: {} }, { namespaceSelector: {} }, { namespaceSelector: { matchLabels: { env: 'prod' } } },
      { namespaceSelector: {}, podSelector: { matchLabels: { role: 'db' } } }, { podSelector: { matchLabels: { pod: 'a' } } },
      { ipBlock: { cidr: '10.0.0.0/8' } }, {},
    ];
    for (const peer of peers) {
      const fast = podsSelectedByPeer(ix, pol, peer).map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`).sort();
      const slow = ix.pods.filter((p) => peerSelectsPod(ix, pol, peer, p)).map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`).sort();
      expect(fast).toEqual(slow);
    }
    expect(podsSelectedByPeer(ix, pol, { namespaceSelector: {}, podSelector: { matchLabels: { role: 'db' } } }).map((p) => p.metadata!.name)).toEqual(['b']);
  });
});
