// The upstream NetworkPolicy e2e model (kubernetes test/e2e/network/netpol): namespaces
// x, y, z; pods a, b, c labelled pod=<name>, one container per (port, protocol) for ports
// 80/81 on TCP, UDP and SCTP with named ports serve-<port>-<proto>; an expected matrix that
// defaults to "allowed" and is adjusted per peer, per pod's ingress or egress. Shared by
// the unit truth table (reference evaluator + compiled ruleset) and the netns truth table
// (real kernel), so the three answer the same questions.
import type { Namespace, NetworkPolicy, Pod, Protocol, World } from '../types.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const PORTS = [80, 81] as const;
export const NODES = ['node-1', 'node-2'] as const;

export const NODE_IPS: Record<string, string[]> = {
  // InternalIP on the underlay, and the pod bridge's gateway.
  'node-1': ['192.168.56.10', '10.244.1.1'],
  'node-2': ['192.168.56.11', '10.244.2.1'],
};

export const podKey = (ns: string, pod: string): string => `${ns}/${pod}`;
export const ALL_PODS: string[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => podKey(ns, p)));

/** Alternate pods over the two nodes so that every case has same-node and cross-node pairs. */
export function nodeOf(key: string): string {
  return NODES[ALL_PODS.indexOf(key) % NODES.length]!;
}

/** Addresses a cluster's CNI gave the pods (the lab); without them, the plan below. */
let assigned: ReadonlyMap<string, string> | undefined;

/** The lab test's pods get their addresses from the lab's IPAM, not from this plan. */
export function usePodAddresses(ips: ReadonlyMap<string, string> | undefined): void {
  assigned = ips;
}

export function ipOf(key: string): string {
  const real = assigned?.get(key);
  if (real) return real;
  const i = ALL_PODS.indexOf(key);
  return `10.244.${(i % NODES.length) + 1}.${10 + i}`;
}

export function makeNamespace(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function makePod(ns: string, name: string, labels: Record<string, string> = { pod: name }): Pod {
  const key = podKey(ns, name);
  return {
    metadata: { namespace: ns, name, labels },
    spec: {
      nodeName: nodeOf(key),
      containers: PORTS.flatMap((port) => (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({
        ports: [{ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }],
      }))),
    },
    status: { phase: 'Running', podIP: ipOf(key), podIPs: [{ ip: ipOf(key) }] },
  };
}

/** A mutable cluster state that cases edit step by step. */
export class Cluster {
  namespaces = new Map<string, Namespace>(NAMESPACES.map((n) => [n, makeNamespace(n)]));
  pods = new Map<string, Pod>(ALL_PODS.map((k) => {
    const [ns, name] = k.split('/') as [string, string];
    return [k, makePod(ns, name)];
  }));
  policies = new Map<string, NetworkPolicy>();

  apply(...pols: NetworkPolicy[]): this {
    for (const p of pols) this.policies.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
    return this;
  }

  remove(ns: string, name: string): this {
    this.policies.delete(`${ns}/${name}`);
    return this;
  }

  labelNamespace(ns: string, labels: Record<string, string>): this {
    this.namespaces.set(ns, makeNamespace(ns, labels));
    return this;
  }

  labelPod(key: string, labels: Record<string, string>): this {
    const [ns, name] = key.split('/') as [string, string];
    this.pods.set(key, makePod(ns, name, labels));
    return this;
  }

  world(): World {
    return {
      policies: [...this.policies.values()],
      pods: [...this.pods.values()],
      namespaces: [...this.namespaces.values()],
      nodeIPs: NODE_IPS,
    };
  }
}

/** upstream Peer: an empty field matches every namespace / pod. */
export interface PeerSel {
  ns?: string;
  pod?: string;
}

const selects = (s: PeerSel, key: string): boolean => {
  const [ns, pod] = key.split('/');
  return (s.ns === undefined || s.ns === ns) && (s.pod === undefined || s.pod === pod);
};

/** upstream Reachability: expected connectivity for every ordered pod pair. */
export class Reachability {
  private readonly m = new Map<string, boolean>();

  constructor(defaultExpect = true) {
    for (const f of ALL_PODS) for (const t of ALL_PODS) this.m.set(`${f}>${t}`, defaultExpect);
  }

  expect(from: string, to: string, connected: boolean): this {
    this.m.set(`${from}>${to}`, connected);
    return this;
  }

  expectPeer(from: PeerSel, to: PeerSel, connected: boolean): this {
    for (const f of ALL_PODS) for (const t of ALL_PODS) if (selects(from, f) && selects(to, t)) this.expect(f, t, connected);
    return this;
  }

  allIngress(to: string, connected: boolean): this {
    return this.expectPeer({}, { ns: to.split('/')[0], pod: to.split('/')[1] }, connected);
  }

  allEgress(from: string, connected: boolean): this {
    return this.expectPeer({ ns: from.split('/')[0], pod: from.split('/')[1] }, {}, connected);
  }

  get(from: string, to: string): boolean {
    return this.m.get(`${from}>${to}`)!;
  }
}

export interface Probe {
  proto: Protocol;
  port: number;
  expect: Reachability;
}

export interface CaseStep {
  /** Edits the cluster before probing (policies applied, labels changed, …). */
  change: (c: Cluster) => void;
  probes: Probe[];
}

export interface TruthCase {
  name: string;
  steps: CaseStep[];
}

/** Every ordered pair except the diagonal (upstream ignores a pod talking to itself). */
export function pairs(): [string, string][] {
  return ALL_PODS.flatMap((f) => ALL_PODS.filter((t) => t !== f).map((t) => [f, t] as [string, string]));
}
