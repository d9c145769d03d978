// The synthetic cluster of bench/policy: P pods in N namespaces and about K NetworkPolicies
// shaped like the ones clusters actually carry (default deny, same-namespace allow, per-app
// allows from a tier, from a team's namespaces, from monitoring, from load-balancer CIDRs,
// egress to DNS / the database tier / the internet, port ranges, NotIn selectors, named
// ports both ways). Deterministic: a seeded generator, so two runs compile the same table.
//
// Two real pods sit among the synthetic ones — the traffic topology's client 10.244.1.2
// (ns-001) and server 10.244.2.2 (ns-000, isolated by ns-000's default deny, allowed by
// `allow-bench-client`) — so the connection-rate and policy-change figures run through the
// same table figure 1 measures.
import { CLIENT_IP, SERVER_IP, podIP } from '../proxy/objects.js';
import type { Namespace, NetworkPolicy, PeerSpec, Pod, PortSpec, World } from '../../proxy/policy/types.js';

export const NODE = 'bench-node';
/** The traffic node's own addresses (the gateways towards client and server): always allowed. */
export const NODE_IPS = ['10.244.1.1', '10.244.2.1'];
export const SERVER_NS = 'ns-000';
export const CLIENT_NS = 'ns-001';
export const ALLOW_POLICY = 'allow-bench-client';
export const CLIENT_ROLE = 'bench-client';

const TIERS = ['web', 'api', 'worker', 'db'] as const;
const APPS = 8;
const TEAMS = 10;
const ENVS = ['prod', 'staging', 'dev'] as const;

export interface ClusterOptions {
  pods: number;
  policies: number;
  namespaces: number;
  /** How many pods run on the measured node (the rest are spread over 19 others). */
  localPods: number;
  /** The server pod's `http` port (8080 on the policy path, 9090 on the reference path). */
  serverPort: number;
  seed?: number;
}

/** mulberry32: small, fast, good enough to pick templates reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nsName = (i: number): string => `ns-${String(i).padStart(3, '0')}`;
const nsOf = (name: string) => ({ [`kubernetes.io/metadata.name`]: name });

function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels: { ...labels, ...nsOf(name) } } };
}

function pod(ns: string, name: string, ip: string, labels: Record<string, string>, node: string, ports: [string, number, string?][]): Pod {
  return {
    metadata: { namespace: ns, name, uid: `${ns}-${name}`, labels },
    spec: { nodeName: node, containers: [{ ports: ports.map(([n, p, proto]) => ({ name: n, containerPort: p, protocol: proto ?? 'TCP' })) }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function policy(ns: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { metadata: { namespace: ns, name, uid: `${ns}-${name}` }, spec };
}

const tcp = (port: number | string, endPort?: number): PortSpec => ({ protocol: 'TCP', port, ...(endPort ? { endPort } : {}) });
const DNS_RULE = {
  to: [{ namespaceSelector: { matchLabels: nsOf('kube-system') }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, tcp(53)],
};

/** The per-app templates; `a` is the app the policy protects, `b` another app, `i` the namespace index. */
type Template = (a: string, b: string, i: number) => NetworkPolicy['spec'];
const sel = (labels: Record<string, string>) => ({ matchLabels: labels });
const TEMPLATES: [weight: number, name: string, Template][] = [
  [4, 'from-web', (a) => ({ podSelector: sel({ app: a }), ingress: [{ from: [{ podSelector: sel({ tier: 'web' }) }], ports: [tcp('http')] }] })],
  [4, 'from-team', (a, _b, i) => ({
    podSelector: sel({ app: a }),
    ingress: [{ from: [{ namespaceSelector: sel({ team: `t${(i + 1) % TEAMS}` }), podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] } }], ports: [tcp(8080), tcp(9090)] }],
  })],
  [2, 'from-monitoring', (a) => ({
    podSelector: sel({ app: a }),
    ingress: [{ from: [{ namespaceSelector: sel(nsOf('monitoring')), podSelector: sel({ app: 'prometheus' }) }], ports: [tcp('metrics')] }],
  })],
  [2, 'from-lb', (a) => ({
    podSelector: sel({ app: a }),
    ingress: [{ from: [{ ipBlock: { cidr: '192.168.56.0/24' } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.244.0.0/16', '10.96.0.0/12'] } }], ports: [tcp(8080)] }],
  })],
  [3, 'egress', (a) => ({
    podSelector: sel({ app: a }), policyTypes: ['Egress'],
    egress: [DNS_RULE, { to: [{ podSelector: sel({ tier: 'db' }) }], ports: [tcp(5432)] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [tcp(443)] }],
  })],
  [2, 'from-env', (a) => ({
    podSelector: sel({ app: a }),
    ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] }, podSelector: sel({ app: a }) }],
      ports: [tcp(30000, 32767), { protocol: 'UDP', port: 5000 }] }],
  })],
  [2, 'peer-both-ways', (a, b) => ({
    podSelector: sel({ app: a }), policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ podSelector: sel({ app: b }) }] }],
    egress: [{ to: [{ podSelector: sel({ app: b }) }], ports: [tcp('http'), tcp('grpc')] }, DNS_RULE],
  })],
  [1, 'not-team', (a, _b, i) => ({
    podSelector: sel({ app: a }),
    ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: [`t${i % TEAMS}`] }] } }], ports: [tcp(8443)] }],
  })],
];

function pickTemplate(r: () => number): [string, Template] {
  const total = TEMPLATES.reduce((s, [w]) => s + w, 0);
  let x = r() * total;
  for (const [w, name, t] of TEMPLATES) { if ((x -= w) < 0) return [name, t]; }
  return [TEMPLATES[0]![1], TEMPLATES[0]![2]];
}

function appPorts(tier: string): [string, number, string?][] {
  const base: [string, number, string?][] = [['http', 8080], ['metrics', 9100]];
  if (tier === 'api') base.push(['grpc', 9090]);
  if (tier === 'db') base.push(['pg', 5432]);
  return base;
}

/** The two real pods and the two policies that concern them (the allow, and the client's egress). */
export function benchObjects(serverPort: number, withEgress: boolean): { pods: Pod[]; policies: NetworkPolicy[] } {
  const pods = [
    pod(SERVER_NS, 'bench-server', SERVER_IP, { app: 'bench-server', tier: 'web' }, NODE, [['http', serverPort]]),
    pod(CLIENT_NS, 'bench-client', CLIENT_IP, { app: 'bench-client', role: CLIENT_ROLE }, NODE, [['http', 8080]]),
  ];
  const policies = [allowPolicy(CLIENT_ROLE)];
  if (withEgress) {
    policies.push(policy(CLIENT_NS, 'bench-client-egress', {
      podSelector: sel({ role: CLIENT_ROLE }), policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: sel({ team: 't0' }), podSelector: sel({ app: 'bench-server' }) }], ports: [tcp(8080), tcp(9090)] }, DNS_RULE],
    }));
  }
  return { pods, policies };
}

/** The server's allow: clients of role `role` in team t1's namespaces, on the named port. */
export function allowPolicy(role: string): NetworkPolicy {
  const from: PeerSpec[] = [{ namespaceSelector: sel({ team: 't1' }), podSelector: sel({ role }) }];
  return policy(SERVER_NS, ALLOW_POLICY, { podSelector: sel({ app: 'bench-server' }), ingress: [{ from, ports: [tcp('http')] }] });
}

/** The client pod with another role: no longer matched by the allow (a label edit on a watch event). */
export function relabelled(client: Pod, role: string): Pod {
  return { ...client, metadata: { ...client.metadata, labels: { ...client.metadata?.labels, role } } };
}

export function buildCluster(o: ClusterOptions): World {
  const r = rng(o.seed ?? 1);
  const namespaces: Namespace[] = [namespace('kube-system'), namespace('monitoring')];
  for (let i = 0; i < o.namespaces; i++) namespaces.push(namespace(nsName(i), { team: `t${i % TEAMS}`, env: ENVS[i % ENVS.length]! }));
  const bench = benchObjects(o.serverPort, true);
  const pods: Pod[] = [...bench.pods];
  const synthetic = o.pods - pods.length;
  // Every 1 in `stride` pods is local: spread over namespaces and apps like a scheduler would.
  const stride = Math.max(1, Math.round(synthetic / Math.max(1, o.localPods - pods.length)));
  const nodeOf = (k: number) => (k % stride === 0 ? NODE : `node-${(k % 19) + 1}`);
  const special: [string, string, Record<string, string>, [string, number, string?][]][] = [
    ['kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, [['dns', 53, 'UDP'], ['dns-tcp', 53]]],
    ['monitoring', 'prometheus', { app: 'prometheus' }, [['http', 9090]]],
  ];
  let k = 0;
  for (const [ns, name, labels, ports] of special) {
    for (let j = 0; j < 2 && k < synthetic; j++, k++) pods.push(pod(ns, `${name}-${j}`, podIP(k), labels, nodeOf(k), ports));
  }
  const perNs = Math.ceil((synthetic - k) / o.namespaces);
  for (let i = 0; i < o.namespaces && k < synthetic; i++) {
    for (let j = 0; j < perNs && k < synthetic; j++, k++) {
      const app = j % APPS;
      const tier = TIERS[app % TIERS.length]!;
      pods.push(pod(nsName(i), `a${app}-${Math.floor(j / APPS)}`, podIP(k), { app: `a${app}`, tier, version: j % 3 === 0 ? 'v2' : 'v1' }, nodeOf(k), appPorts(tier)));
    }
  }
  const policies: NetworkPolicy[] = [...bench.policies];
  const perNsPol = Math.ceil((o.policies - policies.length) / o.namespaces);
  for (let i = 0; i < o.namespaces && policies.length < o.policies; i++) {
    const ns = nsName(i);
    policies.push(policy(ns, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }));
    if (i % 2 === 0 && policies.length < o.policies) policies.push(policy(ns, 'allow-same-namespace', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
    for (let j = 0; policies.length < o.policies && j < perNsPol - 1 - (i % 2 === 0 ? 1 : 0); j++) {
      const [name, t] = pickTemplate(r);
      const a = `a${j % APPS}`;
      const b = `a${(j + 1 + Math.floor(r() * (APPS - 1))) % APPS}`;
      policies.push(policy(ns, `${name}-${a}-${j}`, t(a, b, i)));
    }
  }
  return { namespaces, pods, policies, nodeIPs: { [NODE]: NODE_IPS } };
}

/** The reference for figure 3: the two real pods, their namespaces and the one allow policy. */
export function singlePolicyCluster(serverPort: number): World {
  const { pods, policies } = benchObjects(serverPort, false);
  return {
    namespaces: [namespace(SERVER_NS, { team: 't0' }), namespace(CLIENT_NS, { team: 't1' })],
    pods, policies, nodeIPs: { [NODE]: NODE_IPS },
  };
}
