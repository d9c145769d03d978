// The cluster path over two nodes whose tables come from the real compilers: pod → ClusterIP
// → endpoint on the other node (host-gw and vxlan), external → NodePort with eTP Cluster
// (masqueraded) and Local, and a NetworkPolicy deny on the destination node.
import { describe, expect, it } from 'vitest';
import { compileProxy } from '../../proxy/compile.js';
import { buildModel } from '../../proxy/model.js';
import { NODE, slice, svc } from '../../proxy/fixtures.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { masqueradeTransaction } from '../../cni/masquerade.js';
import { FakeNft } from '../kernel/nft/index.js';
import type { NetworkPolicy, Pod } from '../../proxy/policy/types.js';
import type { Ruleset } from '../kernel/nft/types.js';
import { clusterVerdict, traceCluster, type ClusterView, type NodeTraceState } from './cluster.js';
import { renderMermaid, renderText } from './render.js';

const services = [
  svc('web', { clusterIP: '10.96.0.10', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  svc('loc', { clusterIP: '10.96.0.20', type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30090 }] }),
];
const slices = [
  slice('web', [{ ip: '10.244.1.5', node: 'node2' }]),
  slice('loc', [{ ip: '10.244.1.5', node: 'node2' }]),
];
const pod = (name: string, ip: string, node: string, labels: Record<string, string> = {}): Pod => ({ metadata: { namespace: 'default', name, labels }, spec: { nodeName: node }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } });
const pods = [pod('client', '10.244.0.7', 'node1', { app: 'client' }), pod('web-1', '10.244.1.5', 'node2', { app: 'web' })];
const namespaces = [{ metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } } }];
const denyAll: NetworkPolicy = { metadata: { namespace: 'default', name: 'deny-web' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } };

async function cniTable(podCidr: string): Promise<Ruleset> {
  const nft = new FakeNft();
  await nft.apply(masqueradeTransaction(podCidr, '10.244.0.0/16'));
  return (await nft.listTable('ip', 'hawser-cni'))!;
}

async function view(routing: 'host-gw' | 'vxlan', policies: NetworkPolicy[] = []): Promise<ClusterView> {
  const nodes: NodeTraceState[] = [];
  for (const [i, name] of ['node1', 'node2'].entries()) {
    const ip = `192.168.56.${10 + i}`;
    const other = `10.244.${1 - i}.0/24`;
    const cfg = { ...NODE, nodeName: name, nodeIPs: [ip] };
    nodes.push({
      node: name, routing, clusterCIDR: '10.244.0.0/16', podCIDRs: [`10.244.${i}.0/24`],
      addresses: [{ dev: 'lo', cidr: '127.0.0.1/8' }, { dev: 'eth0', cidr: `${ip}/24` }, { dev: 'hawser0', cidr: `10.244.${i}.1/24` }],
      routes: [
        { dst: 'default', via: '192.168.56.2', dev: 'eth0' },
        { dst: '192.168.56.0/24', dev: 'eth0', src: ip },
        { dst: `10.244.${i}.0/24`, dev: 'hawser0', src: `10.244.${i}.1` },
        routing === 'vxlan' ? { dst: other, via: other.replace('/24', ''), dev: 'hawser.vxlan' } : { dst: other, via: `192.168.56.${11 - i}`, dev: 'eth0' },
      ],
      tables: [
        compileProxy(buildModel(services, slices, cfg), cfg),
        compilePolicy({ policies, pods, namespaces, nodeName: name, nodeIPs: { node1: ['192.168.56.10', '10.244.0.1'], node2: ['192.168.56.11', '10.244.1.1'] } }),
        await cniTable(`10.244.${i}.0/24`),
      ],
    });
  }
  return { nodes, externalIP: '192.168.56.2', pods: [{ namespace: 'default', name: 'client', ip: '10.244.0.7', node: 'node1' }, { namespace: 'default', name: 'web-1', ip: '10.244.1.5', node: 'node2' }] };
}

const client = { kind: 'pod' as const, pod: { namespace: 'default', name: 'client', ip: '10.244.0.7', node: 'node1' } };

describe('traceCluster', () => {
  it('pod → ClusterIP → endpoint on the other node over host-gw, source kept', async () => {
    const t = traceCluster(await view('host-gw'), client, { ip: '10.96.0.10', port: 80, proto: 'tcp' });
    expect(clusterVerdict(t)).toEqual({ endpoints: [{ ip: '10.244.1.5', port: 8080, probability: 1, pod: 'default/web-1' }], masquerade: false });
    const text = renderText(t);
    expect(text).toMatch(/node1 +nft +hawser-proxy .*dnat to 10\.244\.1\.5:8080/);
    expect(text).toMatch(/node1 +route +route 10\.244\.1\.0\/24 via 192\.168\.56\.11 dev eth0 \(host-gw\) → node2/);
    expect(text).toMatch(/node2 +deliver +bridge hawser0 → veth → pod default\/web-1 eth0 10\.244\.1\.5:8080 \(source 10\.244\.0\.7\)/);
    expect(t.branches[0]!.policy).toEqual(['no NetworkPolicy selects the source or the destination pod']);
    expect(renderMermaid(t)).toMatch(/^flowchart LR/);
  });

  it('over vxlan the route names the VXLAN device and the remote node', async () => {
    const t = traceCluster(await view('vxlan'), client, { ip: '10.96.0.10', port: 80, proto: 'tcp' });
    expect(renderText(t)).toMatch(/VXLAN: 10\.244\.1\.5 via 10\.244\.1\.0 dev hawser\.vxlan onlink, encapsulated in UDP to 192\.168\.56\.11/);
  });

  it('external → NodePort on node1 (Cluster): masqueraded to node1 and routed to node2', async () => {
    const t = traceCluster(await view('host-gw'), { kind: 'external', ip: '192.168.56.2' }, { ip: '192.168.56.10', port: 30080, proto: 'tcp' });
    expect(clusterVerdict(t)).toMatchObject({ endpoints: [{ ip: '10.244.1.5', port: 8080, probability: 1 }], masquerade: true });
    expect(t.branches[0]!.sourceSeen).toBe('192.168.56.10');
  });

  it('external → NodePort on node1 (Local, no local endpoint) is dropped on node1', async () => {
    const t = traceCluster(await view('host-gw'), { kind: 'external', ip: '192.168.56.2' }, { ip: '192.168.56.10', port: 30090, proto: 'tcp' });
    expect(clusterVerdict(t)).toBe('DROP');
    expect(t.branches[0]!.reason).toMatch(/^dropped on node1 by hawser-proxy\//);
  });

  it('external → NodePort on node2 (Local) keeps the client source', async () => {
    const t = traceCluster(await view('host-gw'), { kind: 'external', ip: '192.168.56.2' }, { ip: '192.168.56.11', port: 30090, proto: 'tcp' });
    expect(clusterVerdict(t)).toMatchObject({ endpoints: [{ ip: '10.244.1.5' }], masquerade: false });
    expect(t.branches[0]!.sourceSeen).toBe('192.168.56.2');
  });

  it('a NetworkPolicy on the endpoint drops it on node2 and says which', async () => {
    const t = traceCluster(await view('host-gw', [denyAll]), client, { ip: '10.96.0.10', port: 80, proto: 'tcp' });
    expect(clusterVerdict(t)).toBe('DROP');
    expect(t.branches[0]!.reason).toMatch(/^dropped on node2 by hawser-policy\/ing-/);
    expect(t.branches[0]!.policy.join('\n')).toMatch(/node2: DENIED — deny ingress default\/web-1 isolated by default\/deny-web/);
  });

  it('the external client cannot reach a ClusterIP (no route on the underlay)', async () => {
    const t = traceCluster(await view('host-gw'), { kind: 'external', ip: '192.168.56.2' }, { ip: '10.96.0.10', port: 80, proto: 'tcp' });
    expect(t.branches[0]!.verdict).toBe('unreachable');
  });
});
