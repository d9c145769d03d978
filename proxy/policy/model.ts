// networking.k8s.io/v1 NetworkPolicy semantics as plain functions over a World. This is
// the reference: the compiler builds its sets from the same functions, and isAllowed() is
// the oracle the truth-table tests and the tracer compare the compiled ruleset against.
//
// Clauses implemented (API reference, NetworkPolicySpec / Peer / Port, and the
// "Network Policies" concept page):
// - policyTypes defaults to [Ingress] plus Egress when spec.egress has rules;
// - a pod is isolated in a direction only if some policy selecting it has that type;
//   what is allowed is the union of all such policies' rules (no order, no deny rules);
// - an empty or missing from/to list matches every peer, an empty or missing ports list
//   every port of every protocol; an empty rule list (ingress: []) allows nothing;
// - podSelector and namespaceSelector in ONE peer are ANDed, separate peers ORed; a peer
//   without namespaceSelector means the policy's own namespace;
// - ipBlock matches addresses, pod addresses included, minus its `except` CIDRs;
// - a named port is resolved on the destination pod (for egress too), per pod;
// - protocol defaults to TCP and a port entry never opens another protocol.
import { parseAddress, parseCidr, cidrContains } from '../../src/net/index.js';
import { selectorMatches } from './selectors.js';
import { keyOf, type Direction, type IPBlockSpec, type Namespace, type NetworkPolicy, type PeerSpec, type Pod, type PortSpec, type Protocol, type World } from './types.js';

/** The label the apiserver puts on every namespace since 1.21 (NamespaceDefaultLabelName). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function policyTypes(pol: NetworkPolicy): Direction[] {
  const given = pol.spec?.policyTypes;
  if (given && given.length > 0) return given.filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  return (pol.spec?.egress?.length ?? 0) > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

export function podIPs(pod: Pod): string[] {
  const list = pod.status?.podIPs?.map((p) => p.ip).filter((ip) => ip) ?? [];
  if (list.length === 0 && pod.status?.podIP) list.push(pod.status.podIP);
  return list;
}

/**
 * Pods NetworkPolicy applies to: not host-network (their address is the node's, and
 * upstream leaves policy for them undefined) and not finished (a Succeeded/Failed pod's
 * IP can already belong to a new pod).
 */
export function isPolicyPod(pod: Pod): boolean {
  if (pod.spec?.hostNetwork) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function protocolOf(p: PortSpec): Protocol | undefined {
  const proto = p.protocol ?? 'TCP';
  return proto === 'TCP' || proto === 'UDP' || proto === 'SCTP' ? proto : undefined;
}

/** The containerPort a named port means on this pod for this protocol. */
export function namedPort(pod: Pod, name: string, proto: Protocol): number | undefined {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === name && (p.protocol ?? 'TCP') === proto) return p.containerPort;
    }
  }
  return undefined;
}

export function ipBlockContains(block: IPBlockSpec, ip: string): boolean {
  const a = parseAddress(ip);
  // ipBlock.cidr validation is ParseCIDRSloppy: host bits are allowed and ignored.
  const c = parseCidr(block.cidr, { allowHostBits: true });
  if (!a || !c || !cidrContains(c, a)) return false;
  return !(block.except ?? []).some((e) => {
    const x = parseCidr(e, { allowHostBits: true });
    return x !== undefined && cidrContains(x, a);
  });
}

/** Lookups one evaluation or one compile needs, built once per World. */
export interface Index {
  world: World;
  nsLabels: Map<string, Record<string, string>>;
  /** Pods policy applies to, in world order. */
  pods: Pod[];
  podByKey: Map<string, Pod>;
  podByIP: Map<string, Pod>;
  /** Namespace name → its pods: a peer selects within namespaces first, then pods. */
  podsByNs: Map<string, Pod[]>;
  /** Namespace name → its policies, sorted by name (a policy only selects its own namespace's pods). */
  policiesByNs: Map<string, NetworkPolicy[]>;
}

export function namespaceLabels(ns: Namespace): Record<string, string> {
  const name = ns.metadata?.name ?? '';
  // The apiserver sets the label on every namespace and refuses other values; an informer
  // object from an older server may lack it.
  return { ...(ns.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

export function buildIndex(world: World): Index {
  const nsLabels = new Map<string, Record<string, string>>();
  for (const ns of world.namespaces) nsLabels.set(ns.metadata?.name ?? '', namespaceLabels(ns));
  const pods = world.pods.filter(isPolicyPod);
  const podByKey = new Map<string, Pod>();
  const podByIP = new Map<string, Pod>();
  const podsByNs = new Map<string, Pod[]>();
  for (const p of pods) {
    podByKey.set(keyOf(p), p);
    for (const ip of podIPs(p)) podByIP.set(ip, p);
    const ns = p.metadata?.namespace ?? '';
    if (!podsByNs.has(ns)) podsByNs.set(ns, []);
    podsByNs.get(ns)!.push(p);
  }
  const policiesByNs = new Map<string, NetworkPolicy[]>();
  for (const pol of world.policies) {
    const ns = pol.metadata?.namespace ?? '';
    if (!policiesByNs.has(ns)) policiesByNs.set(ns, []);
    policiesByNs.get(ns)!.push(pol);
  }
  for (const list of policiesByNs.values()) list.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return { world, nsLabels, pods, podByKey, podByIP, podsByNs, policiesByNs };
}

function labelsOfNamespace(ix: Index, name: string): Record<string, string> {
  return ix.nsLabels.get(name) ?? { [NAMESPACE_NAME_LABEL]: name };
}

/** spec.podSelector is a required struct in Go: missing reads as empty, i.e. every pod. */
export function policySelects(pol: NetworkPolicy, pod: Pod): boolean {
  if (pod.metadata?.namespace !== pol.metadata?.namespace) return false;
  return selectorMatches(pol.spec?.podSelector ?? {}, pod.metadata?.labels);
}

/** Policies selecting `pod` with `dir` among their types, sorted by ns/name. */
export function isolatingPolicies(ix: Index, pod: Pod, dir: Direction): NetworkPolicy[] {
  if (!isPolicyPod(pod)) return [];
  return (ix.policiesByNs.get(pod.metadata?.namespace ?? '') ?? []).filter((pol) => policyTypes(pol).includes(dir) && policySelects(pol, pod));
}

/** A peer with selectors (no ipBlock): does it select this pod? */
export function peerSelectsPod(ix: Index, pol: NetworkPolicy, peer: PeerSpec, pod: Pod): boolean {
  if (peer.ipBlock || (!peer.podSelector && !peer.namespaceSelector)) return false;
  const ns = pod.metadata?.namespace ?? '';
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, labelsOfNamespace(ix, ns))) return false;
  } else if (ns !== pol.metadata?.namespace) {
    return false;
  }
  return !peer.podSelector || selectorMatches(peer.podSelector, pod.metadata?.labels);
}

/** Every pod a selector peer selects (same result as peerSelectsPod over all pods, faster). */
export function podsSelectedByPeer(ix: Index, pol: NetworkPolicy, peer: PeerSpec): Pod[] {
  if (peer.ipBlock || (!peer.podSelector && !peer.namespaceSelector)) return [];
  const namespaces = peer.namespaceSelector
    ? [...ix.podsByNs.keys()].filter((ns) => selectorMatches(peer.namespaceSelector!, labelsOfNamespace(ix, ns)))
    : [pol.metadata?.namespace ?? ''];
  return namespaces.flatMap((ns) => (ix.podsByNs.get(ns) ?? []).filter((pod) => !peer.podSelector || selectorMatches(peer.podSelector, pod.metadata?.labels)));
}

/** One end of a connection as the dataplane sees it: an address, and the pod owning it. */
export interface Endpoint {
  ip: string;
  pod?: Pod;
}

/**
 * A peer with no field set is refused by validation ("must specify a peer"); reading it
 * as "nothing" keeps an invalid object from opening more than was written.
 */
export function peerMatches(ix: Index, pol: NetworkPolicy, peer: PeerSpec, ep: Endpoint): boolean {
  if (peer.ipBlock) return ipBlockContains(peer.ipBlock, ep.ip);
  return ep.pod !== undefined && peerSelectsPod(ix, pol, peer, ep.pod);
}

/** Does one port entry allow (proto, port) towards `dst`? Named ports need a destination pod. */
export function portMatches(p: PortSpec, proto: Protocol, port: number, dst: Pod | undefined): boolean {
  if (protocolOf(p) !== proto) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === 'number') {
    return p.endPort !== undefined && p.endPort >= p.port ? port >= p.port && port <= p.endPort : port === p.port;
  }
  return dst !== undefined && namedPort(dst, p.port, proto) === port;
}

export interface RuleLike {
  peers?: PeerSpec[];
  ports?: PortSpec[];
}

/** The rules of `pol` in `dir`, with from/to under one name. */
export function rulesOf(pol: NetworkPolicy, dir: Direction): RuleLike[] {
  return dir === 'Ingress'
    ? (pol.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
    : (pol.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
}

export function ruleMatches(
  ix: Index, pol: NetworkPolicy, rule: RuleLike, peer: Endpoint, dst: Endpoint, proto: Protocol, port: number,
): boolean {
  const ports = rule.ports ?? [];
  if (ports.length > 0 && !ports.some((p) => portMatches(p, proto, port, dst.pod))) return false;
  const peers = rule.peers ?? [];
  return peers.length === 0 || peers.some((p) => peerMatches(ix, pol, p, peer));
}

export type EndpointRef = { pod: string } | { ip: string };

export interface DirectionVerdict {
  /** Some policy selects the pod for this direction. */
  isolated: boolean;
  /** Allowed because the other end is the pod's own node. */
  node: boolean;
  /** ns/name of every isolating policy with a rule allowing this connection. */
  by: string[];
  allowed: boolean;
}

export interface Verdict {
  allowed: boolean;
  ingress: DirectionVerdict;
  egress: DirectionVerdict;
  ingressBy: string[];
  egressBy: string[];
}

export function resolveEndpoint(ix: Index, ref: EndpointRef): Endpoint {
  if ('ip' in ref) return { ip: ref.ip, pod: ix.podByIP.get(ref.ip) };
  const pod = ix.podByKey.get(ref.pod);
  const ip = pod ? podIPs(pod)[0] : undefined;
  if (!pod || !ip) throw new Error(`pod ${ref.pod} has no address`);
  return { ip, pod };
}

function onNode(ix: Index, pod: Pod, ip: string): boolean {
  const node = pod.spec?.nodeName;
  return node !== undefined && (ix.world.nodeIPs?.[node] ?? []).includes(ip);
}

function directionVerdict(
  ix: Index, dir: Direction, self: Endpoint, other: Endpoint, dst: Endpoint, proto: Protocol, port: number,
): DirectionVerdict {
  const pols = self.pod ? isolatingPolicies(ix, self.pod, dir) : [];
  if (pols.length === 0) return { isolated: false, node: false, by: [], allowed: true };
  if (onNode(ix, self.pod!, other.ip)) return { isolated: true, node: true, by: [], allowed: true };
  const by = pols.filter((pol) => rulesOf(pol, dir).some((r) => ruleMatches(ix, pol, r, other, dst, proto, port))).map(keyOf);
  return { isolated: true, node: false, by, allowed: by.length > 0 };
}

/**
 * May a NEW connection from `src` to `dst` (after Service DNAT: dst is the backend) on
 * proto/port be established? Both the source's egress and the destination's ingress must
 * allow it. Replies of allowed connections are not modelled: they always pass.
 */
export function isAllowed(world: World | Index, src: EndpointRef, dst: EndpointRef, proto: Protocol, port: number): Verdict {
  const ix = 'podByIP' in world ? world : buildIndex(world);
  const s = resolveEndpoint(ix, src);
  const d = resolveEndpoint(ix, dst);
  const ingress = directionVerdict(ix, 'Ingress', d, s, d, proto, port);
  const egress = directionVerdict(ix, 'Egress', s, d, d, proto, port);
  return { allowed: ingress.allowed && egress.allowed, ingress, egress, ingressBy: ingress.by, egressBy: egress.by };
}
