// Tracer tables (DESIGN testing ring 2): compile Services with the real proxy compiler,
// then walk packets through the compiled rule TEXT and compare with what issue 7 says
// kube-proxy semantics are.
import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { compileProxy } from '../../proxy/compile.js';
import { buildModel } from '../../proxy/model.js';
import { NODE, slice, svc } from '../../proxy/fixtures.js';
import type { NodeConfig } from '../../proxy/types.js';
import type { Ruleset } from '../kernel/nft/types.js';
import { FakeNft, replaceTableTransaction } from '../kernel/nft/index.js';
import { trace, verdictOf } from './index.js';
import type { Entry, TraceEnv } from './index.js';

const ENV: TraceEnv = { localAddresses: ['192.168.56.10', '10.244.0.1'] };
const POD = '10.244.0.7';
const NODE_IP = '192.168.56.10';
const OUTSIDE = '192.168.56.2';

const local = (ip: string): { ip: string; node: string } => ({ ip, node: 'node-a' });

const services: V1Service[] = [
  svc('web', { clusterIP: '10.96.0.10' }),
  svc('np', { clusterIP: '10.96.0.20', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  svc('loc', { clusterIP: '10.96.0.30', type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30090 }] }),
  svc('locnone', { clusterIP: '10.96.0.31', type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30091 }] }),
  svc('empty', { clusterIP: '10.96.0.40', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30095 }, { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30096 }] }),
  svc('itp', { clusterIP: '10.96.0.50', itp: 'Local' }),
  svc('itpnone', { clusterIP: '10.96.0.51', itp: 'Local' }),
  svc('lb', { clusterIP: '10.96.0.55', type: 'LoadBalancer', lbIPs: ['192.168.56.200'], sourceRanges: ['203.0.113.0/24'], externalIPs: ['192.168.56.99'], ports: [{ name: 'http', port: 80, nodePort: 30100 }] }),
  svc('aff', { clusterIP: '10.96.0.60', affinity: 60 }),
  svc('sh', { clusterIP: '10.96.0.70', scheduler: 'sourcehash' }),
  svc('mg', { clusterIP: '10.96.0.80', scheduler: 'maglev' }),
  svc('rr', { clusterIP: '10.96.0.85', scheduler: 'roundrobin' }),
  svc('dns', { clusterIP: '10.96.0.90', ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
  svc('sctp', { clusterIP: '10.96.0.95', ports: [{ name: 'x', port: 9, protocol: 'SCTP' }] }),
  svc('other', { clusterIP: '10.96.0.100', labels: { 'service.kubernetes.io/service-proxy-name': 'not-us' } }),
  svc('term', { clusterIP: '10.96.0.110' }),
];

const slices: V1EndpointSlice[] = [
  slice('web', ['10.244.1.5', '10.244.2.6']),
  slice('np', ['10.244.1.5', '10.244.2.6', local('10.244.0.5')]),
  slice('loc', [local('10.244.0.5'), '10.244.2.6']),
  slice('locnone', ['10.244.2.6']),
  slice('itp', [local('10.244.0.5'), '10.244.2.6']),
  slice('itpnone', ['10.244.2.6']),
  slice('lb', ['10.244.1.5', '10.244.2.6']),
  slice('aff', ['10.244.1.5', '10.244.2.6']),
  slice('sh', ['10.244.1.5', '10.244.2.6', '10.244.3.7']),
  slice('mg', ['10.244.1.5', '10.244.2.6', '10.244.3.7', '10.244.4.8']),
  slice('rr', ['10.244.1.5', '10.244.2.6', '10.244.3.7']),
  slice('dns', ['10.244.1.5'], [{ name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'dns', port: 5354, protocol: 'UDP' }]),
  slice('sctp', ['10.244.1.5'], [{ name: 'x', port: 9999, protocol: 'SCTP' }]),
  slice('other', ['10.244.1.5']),
  slice('term', [{ ip: '10.244.1.5', ready: false, serving: true, terminating: true }, { ip: '10.244.2.6', ready: false, serving: false, terminating: true }]),
];

const compile = (svcs = services, sls = slices, cfg: NodeConfig = NODE): Ruleset => compileProxy(buildModel(svcs, sls, cfg), cfg);
const RS = compile();

type Expect = 'REJECT' | 'DROP' | { eps: Array<[string, number, number]>; masq: boolean | 'mixed'; dnat?: boolean };
interface Case { name: string; from: Entry; src: string; to: string; port: number; proto?: 'tcp' | 'udp' | 'sctp'; expect: Expect; ct?: 'invalid' }

const half = 0.5;
const third = 1 / 3;
const cases: Case[] = [
  // ClusterIP
  { name: 'pod → ClusterIP keeps the client source', from: 'pod', src: POD, to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: false } },
  { name: 'node → ClusterIP is masqueraded (source outside the cluster CIDR)', from: 'node', src: NODE_IP, to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } },
  { name: 'external → ClusterIP (routed in) is masqueraded', from: 'external', src: OUTSIDE, to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } },
  { name: 'hairpin: the endpoint itself is masqueraded only on the branch that picks itself', from: 'pod', src: '10.244.1.5', to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: 'mixed' } },
  { name: 'unknown port on a ClusterIP → REJECT', from: 'pod', src: POD, to: '10.96.0.10', port: 81, expect: 'REJECT' },
  { name: 'unknown protocol on a ClusterIP → REJECT', from: 'pod', src: POD, to: '10.96.0.10', port: 80, proto: 'udp', expect: 'REJECT' },
  { name: 'unknown port on a ClusterIP from the node → REJECT', from: 'node', src: NODE_IP, to: '10.96.0.10', port: 81, expect: 'REJECT' },
  { name: 'unallocated service-CIDR IP → DROP', from: 'pod', src: POD, to: '10.96.0.99', port: 80, expect: 'DROP' },
  { name: 'unallocated service-CIDR IP from the node → DROP', from: 'node', src: NODE_IP, to: '10.96.0.99', port: 80, expect: 'DROP' },
  { name: 'pod → pod traffic passes untouched', from: 'pod', src: POD, to: '10.244.1.5', port: 8080, expect: { eps: [['10.244.1.5', 8080, 1]], masq: false, dnat: false } },
  { name: 'INVALID conntrack state is dropped', from: 'pod', src: POD, to: '10.244.1.5', port: 8080, ct: 'invalid', expect: 'DROP' },
  // NodePort, externalTrafficPolicy Cluster
  { name: 'external → NodePort (Cluster) masquerades, any endpoint', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30080, expect: { eps: [['10.244.0.5', 8080, third], ['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third]], masq: true } },
  { name: 'pod → NodePort (Cluster) masquerades', from: 'pod', src: POD, to: NODE_IP, port: 30080, expect: { eps: [['10.244.0.5', 8080, third], ['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third]], masq: true } },
  { name: 'node → own NodePort', from: 'node', src: NODE_IP, to: NODE_IP, port: 30080, expect: { eps: [['10.244.0.5', 8080, third], ['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third]], masq: true } },
  { name: 'NodePort on the bridge address too (every local address)', from: 'pod', src: POD, to: '10.244.0.1', port: 30080, expect: { eps: [['10.244.0.5', 8080, third], ['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third]], masq: true } },
  { name: 'no NodePort on localhost (upstream nftables mode)', from: 'node', src: '127.0.0.1', to: '127.0.0.1', port: 30080, expect: { eps: [['127.0.0.1', 30080, 1]], masq: false, dnat: false } },
  { name: 'a NodePort is not served on other addresses', from: 'external', src: OUTSIDE, to: '192.168.56.11', port: 30080, expect: { eps: [['192.168.56.11', 30080, 1]], masq: false, dnat: false } },
  { name: 'ClusterIP of a NodePort Service', from: 'pod', src: POD, to: '10.96.0.20', port: 80, expect: { eps: [['10.244.0.5', 8080, third], ['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third]], masq: false } },
  // externalTrafficPolicy Local
  { name: 'external → NodePort (Local) keeps the source and uses only local endpoints', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30090, expect: { eps: [['10.244.0.5', 8080, 1]], masq: false } },
  { name: 'pod → NodePort (Local) short-circuits to all endpoints without masquerade', from: 'pod', src: POD, to: NODE_IP, port: 30090, expect: { eps: [['10.244.0.5', 8080, half], ['10.244.2.6', 8080, half]], masq: false } },
  { name: 'node → NodePort (Local) uses all endpoints, masqueraded', from: 'node', src: NODE_IP, to: NODE_IP, port: 30090, expect: { eps: [['10.244.0.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } },
  { name: 'external → NodePort (Local) without local endpoints → DROP', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30091, expect: 'DROP' },
  { name: 'ClusterIP of that Service still reaches the remote endpoint', from: 'pod', src: POD, to: '10.96.0.31', port: 80, expect: { eps: [['10.244.2.6', 8080, 1]], masq: false } },
  // No endpoints at all
  { name: 'ClusterIP without endpoints → REJECT', from: 'pod', src: POD, to: '10.96.0.40', port: 80, expect: 'REJECT' },
  { name: 'ClusterIP without endpoints from the node → REJECT', from: 'node', src: NODE_IP, to: '10.96.0.40', port: 80, expect: 'REJECT' },
  { name: 'NodePort without endpoints → REJECT', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30095, expect: 'REJECT' },
  { name: 'UDP NodePort without endpoints → REJECT', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30096, proto: 'udp', expect: 'REJECT' },
  // internalTrafficPolicy Local
  { name: 'internalTrafficPolicy Local: only this node\'s endpoints', from: 'pod', src: POD, to: '10.96.0.50', port: 80, expect: { eps: [['10.244.0.5', 8080, 1]], masq: false } },
  { name: 'internalTrafficPolicy Local without local endpoints → DROP', from: 'pod', src: POD, to: '10.96.0.51', port: 80, expect: 'DROP' },
  // LoadBalancer, source ranges, external IPs
  { name: 'allowed source → LB IP, masqueraded (Cluster)', from: 'external', src: '203.0.113.9', to: '192.168.56.200', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } },
  { name: 'source outside loadBalancerSourceRanges → DROP', from: 'external', src: '198.51.100.1', to: '192.168.56.200', port: 80, expect: 'DROP' },
  { name: 'source ranges apply to LB IPs only, not to external IPs', from: 'external', src: '198.51.100.1', to: '192.168.56.99', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } },
  // Protocols
  { name: 'same port on TCP', from: 'pod', src: POD, to: '10.96.0.90', port: 53, expect: { eps: [['10.244.1.5', 5353, 1]], masq: false } },
  { name: 'same port on UDP, its own target port', from: 'pod', src: POD, to: '10.96.0.90', port: 53, proto: 'udp', expect: { eps: [['10.244.1.5', 5354, 1]], masq: false } },
  { name: 'SCTP', from: 'pod', src: POD, to: '10.96.0.95', port: 9, proto: 'sctp', expect: { eps: [['10.244.1.5', 9999, 1]], masq: false } },
  // Opt-outs and endpoint conditions
  { name: 'a Service for another proxy is not programmed (its IP is unallocated for us) → DROP', from: 'pod', src: POD, to: '10.96.0.100', port: 80, expect: 'DROP' },
  { name: 'terminating serving endpoints are used when none is ready', from: 'pod', src: POD, to: '10.96.0.110', port: 80, expect: { eps: [['10.244.1.5', 8080, 1]], masq: false } },
  // Schedulers
  { name: 'roundrobin shares evenly', from: 'pod', src: POD, to: '10.96.0.85', port: 80, expect: { eps: [['10.244.1.5', 8080, third], ['10.244.2.6', 8080, third], ['10.244.3.7', 8080, third]], masq: false } },
];

function check(rs: Ruleset, c: Case): void {
  const v = verdictOf(trace(rs, { from: c.from, src: c.src, dst: c.to, proto: c.proto ?? 'tcp', dport: c.port, ...(c.ct ? { ctState: c.ct } : {}) }, ENV));
  if (c.expect === 'REJECT' || c.expect === 'DROP') {
    expect(v).toBe(c.expect);
    return;
  }
  const want = c.expect;
  if (typeof v === 'string') throw new Error(`expected endpoints, got ${v}`);
  expect(v.endpoints.map((e) => [e.ip, e.port])).toEqual(want.eps.map(([ip, port]) => [ip, port]));
  v.endpoints.forEach((e, i) => expect(e.probability).toBeCloseTo(want.eps[i]![2], 9));
  expect(v.masquerade).toBe(want.masq);
  expect(v.dropped ?? 0).toBe(0);
  expect(v.rejected ?? 0).toBe(0);
  expect(v.endpoints.every((e) => e.dnat === (want.dnat ?? true))).toBe(true);
}

describe('tracer over the compiled proxy ruleset', () => {
  it.each(cases)('$name', (c) => check(RS, c));

  // `hawser trace` reads the applied table back from the kernel: the same rows must hold
  // on the text nft lists (FakeNft stores exactly what nft 1.0.6 prints back).
  it.each(cases)('as listed by nft: $name', async (c) => {
    const nft = new FakeNft();
    await nft.apply(replaceTableTransaction(RS, undefined));
    check((await nft.listTable(RS.family, RS.name))!, c);
  });

  it('pod → LB IP (Cluster) is masqueraded, and the source range applies to it as well', () => {
    // Upstream filters every packet to an LB IP by source range, pods included.
    check(RS, { name: '', from: 'pod', src: POD, to: '192.168.56.200', port: 80, expect: 'DROP' });
    const open = compile([svc('lb', { clusterIP: '10.96.0.55', type: 'LoadBalancer', lbIPs: ['192.168.56.200'], ports: [{ name: 'http', port: 80, nodePort: 30100 }] })], [slice('lb', ['10.244.1.5'])]);
    check(open, { name: '', from: 'pod', src: POD, to: '192.168.56.200', port: 80, expect: { eps: [['10.244.1.5', 8080, 1]], masq: true } });
  });

  it('ClientIP affinity: the first packet may go anywhere, the next one from that client sticks', () => {
    const first = trace(RS, { from: 'pod', src: POD, dst: '10.96.0.60', proto: 'tcp', dport: 80 }, ENV);
    expect(first.map((o) => [o.ip, o.probability])).toEqual([['10.244.1.5', half], ['10.244.2.6', half]]);
    for (const o of first) {
      expect(o.updates).toHaveLength(1);
      const dyn = { [o.updates[0]!.set]: [o.updates[0]!.key] };
      const again = verdictOf(trace(RS, { from: 'pod', src: POD, dst: '10.96.0.60', proto: 'tcp', dport: 80 }, { ...ENV, dynamicSets: dyn }));
      expect(again).toMatchObject({ endpoints: [{ ip: o.ip, probability: 1 }] });
      const otherClient = verdictOf(trace(RS, { from: 'pod', src: '10.244.0.8', dst: '10.96.0.60', proto: 'tcp', dport: 80 }, { ...ENV, dynamicSets: dyn }));
      expect(typeof otherClient !== 'string' && otherClient.endpoints).toHaveLength(2);
    }
  });

  it('sourcehash: each client gets exactly one endpoint, the same every time, and clients spread', () => {
    const chosen = new Map<string, number>();
    for (let i = 2; i < 62; i++) {
      const v = verdictOf(trace(RS, { from: 'pod', src: `10.244.0.${i}`, dst: '10.96.0.70', proto: 'tcp', dport: 80 }, ENV));
      if (typeof v === 'string') throw new Error(v);
      expect(v.endpoints).toHaveLength(1);
      expect(v.endpoints[0]!.probability).toBe(1);
      chosen.set(v.endpoints[0]!.ip, (chosen.get(v.endpoints[0]!.ip) ?? 0) + 1);
    }
    expect([...chosen.keys()].sort()).toEqual(['10.244.1.5', '10.244.2.6', '10.244.3.7']);
  });

  it('maglev: one endpoint per client; removing one of four endpoints moves only its own clients (≈ 1/4)', () => {
    const clients = Array.from({ length: 400 }, (_, i) => `10.${(i >> 8) + 100}.${i & 255}.9`);
    const pick = (rs: Ruleset, c: string): string => {
      const v = verdictOf(trace(rs, { from: 'external', src: c, dst: '10.96.0.80', proto: 'tcp', dport: 80 }, ENV));
      if (typeof v === 'string' || v.endpoints.length !== 1) throw new Error(`not one endpoint: ${JSON.stringify(v)}`);
      return v.endpoints[0]!.ip;
    };
    const before = clients.map((c) => pick(RS, c));
    const counts = new Map<string, number>();
    for (const b of before) counts.set(b, (counts.get(b) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(n).toBeGreaterThan(50);
    const fewer = compile(services, slices.map((s) => (s.metadata!.name === 'mg-abc' ? slice('mg', ['10.244.1.5', '10.244.2.6', '10.244.4.8']) : s)));
    const after = clients.map((c) => pick(fewer, c));
    const moved = before.filter((b, i) => b !== after[i]);
    const movedSurvivors = before.filter((b, i) => b !== '10.244.3.7' && b !== after[i]).length;
    expect(moved.length / clients.length).toBeLessThan(0.25 + 0.1);
    expect(movedSurvivors / clients.length).toBeLessThan(0.1);
    expect(after).not.toContain('10.244.3.7');
  });

  it('removing the UDP port stops only UDP', () => {
    const tcpOnly = compile(services.map((s) => (s.metadata!.name === 'dns' ? svc('dns', { clusterIP: '10.96.0.90', ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }] }) : s)));
    check(tcpOnly, { name: '', from: 'pod', src: POD, to: '10.96.0.90', port: 53, expect: { eps: [['10.244.1.5', 5353, 1]], masq: false } });
    check(tcpOnly, { name: '', from: 'pod', src: POD, to: '10.96.0.90', port: 53, proto: 'udp', expect: 'REJECT' });
  });

  it('follows Service type changes: NodePort → ClusterIP → ExternalName, and a re-created Service', () => {
    const eps = [slice('t', ['10.244.1.5'])];
    const np = compile([svc('t', { clusterIP: '10.96.0.70', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30070 }] })], eps);
    check(np, { name: '', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30070, expect: { eps: [['10.244.1.5', 8080, 1]], masq: true } });
    const cip = compile([svc('t', { clusterIP: '10.96.0.70' })], eps);
    check(cip, { name: '', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30070, expect: { eps: [[NODE_IP, 30070, 1]], masq: false, dnat: false } });
    check(cip, { name: '', from: 'pod', src: POD, to: '10.96.0.70', port: 80, expect: { eps: [['10.244.1.5', 8080, 1]], masq: false } });
    const ext = compile([svc('t', { clusterIP: '10.96.0.70', type: 'ExternalName' })], eps);
    check(ext, { name: '', from: 'pod', src: POD, to: '10.96.0.70', port: 80, expect: 'DROP' });
    const recreated = compile([svc('t', { clusterIP: '10.96.0.71' })], eps);
    check(recreated, { name: '', from: 'pod', src: POD, to: '10.96.0.71', port: 80, expect: { eps: [['10.244.1.5', 8080, 1]], masq: false } });
    check(recreated, { name: '', from: 'pod', src: POD, to: '10.96.0.70', port: 80, expect: 'DROP' });
  });

  it('externalTrafficPolicy Local on external IPs and LB IPs keeps the client source', () => {
    const rs = compile([svc('l', { clusterIP: '10.96.0.72', type: 'LoadBalancer', etp: 'Local', lbIPs: ['192.168.56.201'], externalIPs: ['192.168.56.98'], ports: [{ name: 'http', port: 80, nodePort: 30072 }] })],
      [slice('l', [local('10.244.0.5'), '10.244.1.5'])]);
    for (const to of ['192.168.56.201', '192.168.56.98']) {
      check(rs, { name: '', from: 'external', src: OUTSIDE, to, port: 80, expect: { eps: [['10.244.0.5', 8080, 1]], masq: false } });
      check(rs, { name: '', from: 'node', src: NODE_IP, to, port: 80, expect: { eps: [['10.244.0.5', 8080, half], ['10.244.1.5', 8080, half]], masq: true } });
    }
  });

  it('internalTrafficPolicy Local with a Cluster NodePort: each traffic kind gets its own policy', () => {
    const rs = compile([svc('mix', { clusterIP: '10.96.0.73', type: 'NodePort', itp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30073 }] })],
      [slice('mix', [local('10.244.0.5'), '10.244.1.5'])]);
    check(rs, { name: '', from: 'pod', src: POD, to: '10.96.0.73', port: 80, expect: { eps: [['10.244.0.5', 8080, 1]], masq: false } });
    check(rs, { name: '', from: 'external', src: OUTSIDE, to: NODE_IP, port: 30073, expect: { eps: [['10.244.0.5', 8080, half], ['10.244.1.5', 8080, half]], masq: true } });
    const both = compile([svc('mix', { clusterIP: '10.96.0.73', type: 'NodePort', itp: 'Local', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30073 }] })],
      [slice('mix', [local('10.244.0.5'), '10.244.1.5'])]);
    // Both policies Local: no cluster-wide chain at all, even pods reaching the NodePort stay local.
    check(both, { name: '', from: 'pod', src: POD, to: NODE_IP, port: 30073, expect: { eps: [['10.244.0.5', 8080, 1]], masq: false } });
    check(both, { name: '', from: 'node', src: NODE_IP, to: NODE_IP, port: 30073, expect: { eps: [['10.244.0.5', 8080, 1]], masq: true } });
  });

  it('internalTrafficPolicy Local from the node: local endpoints, masqueraded', () => {
    check(RS, { name: '', from: 'node', src: NODE_IP, to: '10.96.0.50', port: 80, expect: { eps: [['10.244.0.5', 8080, 1]], masq: true } });
  });

  it('walks an IPv6 ruleset the same way (ip6 words, [addr]:port DNAT, 16-byte jhash)', () => {
    const v6: NodeConfig = { ...NODE, family: 'IPv6', nodeIPs: ['fd00:56::10'], clusterCIDRs: ['fd00:244::/56'], serviceCIDRs: ['fd00:96::/112'] };
    const rs = compile([svc('w6', { clusterIP: 'fd00:96::10' }), svc('h6', { clusterIP: 'fd00:96::11', scheduler: 'sourcehash' })],
      [slice('w6', ['fd00:244::5', 'fd00:244:1::6'], undefined, { addressType: 'IPv6' }), slice('h6', ['fd00:244::5', 'fd00:244:1::6'], undefined, { addressType: 'IPv6' })], v6);
    const env = { localAddresses: ['fd00:56::10'] };
    expect(verdictOf(trace(rs, { from: 'pod', src: 'fd00:244::7', dst: 'fd00:96::10', proto: 'tcp', dport: 80 }, env)))
      .toMatchObject({ endpoints: [{ ip: 'fd00:244::5', probability: half }, { ip: 'fd00:244:1::6', probability: half }], masquerade: false });
    expect(verdictOf(trace(rs, { from: 'external', src: 'fd00:56::2', dst: 'fd00:96::10', proto: 'tcp', dport: 80 }, env))).toMatchObject({ masquerade: true });
    expect(verdictOf(trace(rs, { from: 'pod', src: 'fd00:244::7', dst: 'fd00:96::99', proto: 'tcp', dport: 80 }, env))).toBe('DROP');
    const sh = verdictOf(trace(rs, { from: 'pod', src: 'fd00:244::7', dst: 'fd00:96::11', proto: 'tcp', dport: 80 }, env));
    expect(typeof sh !== 'string' && sh.endpoints.map((e) => e.probability)).toEqual([1]);
  });

  it('rejects TCP with a reset and other protocols with ICMP port unreachable', () => {
    const tcp = trace(RS, { from: 'pod', src: POD, dst: '10.96.0.40', proto: 'tcp', dport: 80 }, ENV);
    expect(tcp.map((o) => o.rejectWith)).toEqual(['tcp reset']);
    const udp = trace(RS, { from: 'external', src: OUTSIDE, dst: NODE_IP, proto: 'udp', dport: 30096 }, ENV);
    expect(udp.map((o) => o.rejectWith)).toEqual(['icmp port-unreachable']);
  });

  it('masquerades everything with masqueradeAll, and nothing from outside without a cluster CIDR', () => {
    const all = compile(services, slices, { ...NODE, masqueradeAll: true });
    check(all, { name: '', from: 'pod', src: POD, to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: true } });
    const noCidr = compile(services, slices, { ...NODE, clusterCIDRs: [] });
    check(noCidr, { name: '', from: 'node', src: NODE_IP, to: '10.96.0.10', port: 80, expect: { eps: [['10.244.1.5', 8080, half], ['10.244.2.6', 8080, half]], masq: false } });
  });
});
