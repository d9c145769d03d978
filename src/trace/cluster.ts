// The cluster-wide path of one packet: from its source (a pod, a node, the external client)
// through each node's applied nftables tables (walker.ts, every load-balancing branch), the
// node's routes (host-gw next hop or the VXLAN device), the next node's tables, to delivery
// or the rule that drops it. Pure: the node states come from the agents (`NodeTraceState`),
// the pods from the API; nothing here guesses what was programmed.
import { cidrContains, parseAddress, parseCidr } from '../net/index.js';
import type { Ruleset } from '../kernel/nft/types.js';
import { Walker, type Entry, type Step } from './walker.js';

/** What a node's agent reports for tracing (GET /v1/trace-state): read from its kernel at request time. */
export interface NodeTraceState {
  node: string;
  routing: 'host-gw' | 'vxlan';
  clusterCIDR: string;
  podCIDRs: string[];
  /** Every address in the node's namespace (underlay, bridge gateway, LoadBalancer /32s). */
  addresses: Array<{ dev: string; cidr: string }>;
  /** The main routing table. */
  routes: Array<{ dst: string; via?: string; dev?: string; src?: string }>;
  /** The applied tables as nft lists them: hawser-proxy, hawser-policy, hawser-cni (those that exist). */
  tables: Ruleset[];
  /** Listening TCP/UDP sockets of the node's own stack (absent: unknown, delivery assumed). */
  listening?: Array<{ proto: 'tcp' | 'udp'; addr: string; port: number }>;
}

export interface TracePod { namespace: string; name: string; ip: string; node: string }

export interface ClusterView {
  nodes: NodeTraceState[];
  pods: TracePod[];
  /** The external client / router (the lab's 192.168.56.2). */
  externalIP: string;
  /** The external router's routes beyond the underlay (e.g. an ExternalIP sent to a node). */
  externalRoutes?: Array<{ dst: string; via?: string }>;
}

export type TraceSource =
  | { kind: 'pod'; pod: TracePod }
  | { kind: 'node'; node: string }
  | { kind: 'external'; ip: string };

export interface TraceTarget { ip: string; port: number; proto: 'tcp' | 'udp' | 'sctp'; label?: string }

export interface Hop {
  node?: string;
  kind: 'source' | 'nft' | 'route' | 'deliver' | 'drop';
  text: string;
  step?: Step;
}

export interface TraceBranch {
  probability: number;
  verdict: 'delivered' | 'dropped' | 'rejected' | 'unreachable';
  /** Where the packet ends: the endpoint, or the drop point. */
  endpoint?: { ip: string; port: number; pod?: string; node?: string; host?: boolean };
  /** The source address the receiver sees (after any masquerade). */
  sourceSeen?: string;
  masquerade: boolean;
  hops: Hop[];
  /** NetworkPolicy verdicts met on the way, in words. */
  policy: string[];
  reason?: string;
}

export interface ClusterTrace {
  source: string;
  target: string;
  proto: string;
  branches: TraceBranch[];
}

const MAX_NODES_ON_PATH = 4;

export function traceCluster(view: ClusterView, source: TraceSource, target: TraceTarget): ClusterTrace {
  const branches: TraceBranch[] = [];
  const pkt = { src: '', dst: target.ip, dport: target.port, proto: target.proto };
  const srcLabel = describeSource(view, source);
  if (source.kind === 'pod') {
    const node = nodeByName(view, source.pod.node);
    const gw = node ? bridgeGateway(node, source.pod.ip) : undefined;
    const hops: Hop[] = [{ node: source.pod.node, kind: 'source', text: `pod ${source.pod.namespace}/${source.pod.name} eth0 ${source.pod.ip} → default via ${gw?.ip ?? '?'} (veth to bridge ${gw?.dev ?? '?'} on ${source.pod.node})` }];
    if (!node) branches.push(unreachable(hops, 1, `node ${source.pod.node} has no trace state (is its agent running?)`));
    else atNode(view, node, 'pod', { ...pkt, src: source.pod.ip }, hops, 1, false, 0, branches);
  } else if (source.kind === 'node') {
    const node = nodeByName(view, source.node);
    if (!node) {
      branches.push(unreachable([], 1, `node ${source.node} has no trace state`));
    } else {
      const r = routeFor(node.routes, target.ip);
      const src = r?.src ?? addressOn(node, r?.dev) ?? primaryAddress(node);
      const hops: Hop[] = [{ node: node.node, kind: 'source', text: `node ${node.node} (local process) ${src} → ${target.ip}:${target.port}` }];
      atNode(view, node, 'node', { ...pkt, src }, hops, 1, false, 0, branches);
    }
  } else {
    const hops: Hop[] = [{ kind: 'source', text: `external client ${source.ip} → ${target.ip}:${target.port}` }];
    const owner = view.nodes.find((n) => isLocal(n, target.ip));
    const r = owner ? undefined : routeFor(view.externalRoutes ?? [], target.ip);
    const via = r?.via ? view.nodes.find((n) => isLocal(n, r.via!)) : undefined;
    if (owner) {
      hops.push({ kind: 'route', text: `on the underlay L2 segment: ${target.ip} answers ARP from ${owner.node}` });
      atNode(view, owner, 'external', { ...pkt, src: source.ip }, hops, 1, false, 0, branches);
    } else if (via) {
      hops.push({ kind: 'route', text: `the external router's route ${r!.dst} via ${r!.via} → ${via.node}` });
      atNode(view, via, 'external', { ...pkt, src: source.ip }, hops, 1, false, 0, branches);
    } else {
      branches.push(unreachable(hops, 1, `${target.ip} is not an address of any node and the external router has no route to it via a node`));
    }
  }
  return { source: srcLabel, target: target.label ?? `${target.ip}:${target.port}`, proto: target.proto, branches: branches.sort((a, b) => b.probability - a.probability) };
}

interface Pkt { src: string; dst: string; dport: number; proto: 'tcp' | 'udp' | 'sctp' }

function atNode(view: ClusterView, node: NodeTraceState, entry: Entry, pkt: Pkt, hops: Hop[], prob: number, masqueraded: boolean, depth: number, out: TraceBranch[]): void {
  if (depth >= MAX_NODES_ON_PATH) { out.push(unreachable(hops, prob, 'routing loop: the packet crossed too many nodes')); return; }
  const walker = new Walker(node.tables, { localAddresses: node.addresses.map((a) => a.cidr.split('/')[0]!) });
  const outcomes = walker.trace({ from: entry, src: pkt.src, dst: pkt.dst, proto: pkt.proto, dport: pkt.dport });
  for (const o of outcomes) {
    const p = prob * o.probability;
    const h = [...hops, ...o.steps.map((s): Hop => ({ node: node.node, kind: 'nft', text: stepText(s), step: s }))];
    const masq = masqueraded || o.masquerade;
    if (o.verdict !== 'deliver') {
      const last = o.steps[o.steps.length - 1];
      const reason = `${o.verdict === 'reject' ? `rejected (${o.rejectWith ?? 'icmp port-unreachable'})` : 'dropped'} on ${node.node} by ${last ? `${last.table}/${last.chain} rule #${last.index}` : 'a base chain policy'}`;
      out.push({ probability: p, verdict: o.verdict === 'reject' ? 'rejected' : 'dropped', masquerade: masq, hops: [...h, { node: node.node, kind: 'drop', text: reason }], policy: policyWords(h), reason });
      continue;
    }
    const dst = o.ip;
    const seen = (via: string | undefined): string => (o.masquerade ? via ?? pkt.src : pkt.src);
    if (isLocal(node, dst)) {
      const l = node.listening;
      if (l && (pkt.proto === 'tcp' || pkt.proto === 'udp') && !l.some((x) => x.proto === pkt.proto && x.port === o.port && ['*', '0.0.0.0', '::', dst].includes(x.addr))) {
        const reason = `nothing listens on ${node.node} ${dst}:${o.port}/${pkt.proto}: its stack answers ${pkt.proto === 'tcp' ? 'with a TCP reset' : 'ICMP port unreachable'}`;
        out.push({ probability: p, verdict: 'rejected', masquerade: masq, hops: [...h, { node: node.node, kind: 'drop', text: reason }], policy: policyWords(h), reason });
        continue;
      }
      out.push({ probability: p, verdict: 'delivered', endpoint: { ip: dst, port: o.port, node: node.node, host: true }, sourceSeen: pkt.src, masquerade: masq, hops: [...h, { node: node.node, kind: 'deliver', text: `delivered to ${node.node}'s own stack at ${dst}:${o.port}` }], policy: policyWords(h) });
      continue;
    }
    const route = routeFor(node.routes, dst);
    const outSrc = route?.src ?? addressOn(node, route?.dev) ?? primaryAddress(node);
    const src = seen(outSrc);
    if (node.podCIDRs.some((c) => inCidr(dst, c))) {
      const pod = view.pods.find((x) => x.ip === dst);
      if (!pod) {
        out.push(unreachable([...h, { node: node.node, kind: 'drop', text: `no pod has ${dst} on ${node.node}: ARP on ${route?.dev ?? 'the bridge'} goes unanswered` }], p, `no pod has ${dst}`));
      } else {
        out.push({ probability: p, verdict: 'delivered', endpoint: { ip: dst, port: o.port, pod: `${pod.namespace}/${pod.name}`, node: node.node }, sourceSeen: src, masquerade: masq, hops: [...h, { node: node.node, kind: 'deliver', text: `bridge ${route?.dev ?? '?'} → veth → pod ${pod.namespace}/${pod.name} eth0 ${dst}:${o.port} (source ${src})` }], policy: policyWords(h) });
      }
      continue;
    }
    const next = view.nodes.find((n) => n !== node && (n.podCIDRs.some((c) => inCidr(dst, c)) || isLocal(n, dst)));
    if (next) {
      const how = route?.dev && /vxlan/.test(route.dev)
        ? `VXLAN: ${dst} via ${route.via ?? '?'} dev ${route.dev} onlink, encapsulated in UDP to ${primaryAddress(next)}`
        : `route ${route?.dst ?? '?'}${route?.via ? ` via ${route.via}` : ''} dev ${route?.dev ?? '?'} (${node.routing}) → ${next.node}`;
      atNode(view, next, 'external', { ...pkt, src, dst, dport: o.port }, [...h, { node: node.node, kind: 'route', text: `${how}, source ${src}` }], p, masq, depth + 1, out);
      continue;
    }
    if (!route) {
      out.push(unreachable([...h, { node: node.node, kind: 'drop', text: `no route to ${dst} on ${node.node}` }], p, `no route to ${dst}`));
      continue;
    }
    const text = `leaves the cluster: route ${route.dst}${route.via ? ` via ${route.via}` : ''} dev ${route.dev ?? '?'}, source ${src}`;
    out.push({ probability: p, verdict: 'delivered', endpoint: { ip: dst, port: o.port }, sourceSeen: src, masquerade: masq, hops: [...h, { node: node.node, kind: 'route', text }, { kind: 'deliver', text: dst === view.externalIP ? `external client ${dst}:${o.port}` : `${dst}:${o.port} outside the cluster` }], policy: policyWords(h) });
  }
}

function unreachable(hops: Hop[], p: number, reason: string): TraceBranch {
  return { probability: p, verdict: 'unreachable', masquerade: false, hops, policy: policyWords(hops), reason };
}

export function stepText(s: Step): string {
  let t = `${s.table} ${s.chain} #${s.index}: ${s.rule}`;
  if (s.element) t += `  [${s.element}]`;
  if (s.comment) t += `  "${s.comment}"`;
  return t;
}

/**
 * The NetworkPolicy story of a path, from the rules of hawser-policy that matched: which
 * pod chain (isolated pod) was entered, and which rule allowed or the deny rule that dropped.
 */
export function policyWords(hops: Hop[]): string[] {
  const words: string[] = [];
  const steps = hops.filter((h) => h.step?.table === 'hawser-policy').map((h) => ({ node: h.node, s: h.step! }));
  let isolated = false;
  for (const { node, s } of steps) {
    if (s.element && /: (jump|goto) (ing|egr)-/.test(s.element)) {
      isolated = true;
      const dir = /(ing)-/.test(s.element) ? 'ingress' : 'egress';
      words.push(`${node}: ${dir} of ${s.element.split(' :')[0]} is isolated (${s.element.split(': ')[1]})`);
    } else if (/^(ing|egr)-/.test(s.chain)) {
      if (/\b(drop|reject)\b/.test(s.rule)) words.push(`${node}: DENIED — ${s.comment ?? s.rule}`);
      else if (/\baccept\b/.test(s.rule)) words.push(`${node}: allowed by ${s.comment ?? s.rule}`);
    } else if (/@node-ips accept/.test(s.rule)) {
      words.push(`${node}: allowed — traffic from or to the node itself is never filtered`);
    }
  }
  if (steps.length > 0 && !isolated && !words.length) words.push('no NetworkPolicy selects the source or the destination pod');
  return words;
}

function describeSource(view: ClusterView, s: TraceSource): string {
  if (s.kind === 'pod') return `pod ${s.pod.namespace}/${s.pod.name} (${s.pod.ip} on ${s.pod.node})`;
  if (s.kind === 'node') return `node ${s.node}`;
  return s.ip === view.externalIP ? `external client ${s.ip}` : `external ${s.ip}`;
}

const nodeByName = (view: ClusterView, name: string): NodeTraceState | undefined => view.nodes.find((n) => n.node === name);

function isLocal(n: NodeTraceState, ip: string): boolean {
  return n.addresses.some((a) => a.cidr.split('/')[0] === ip);
}

function primaryAddress(n: NodeTraceState): string {
  const a = n.addresses.find((x) => !x.cidr.startsWith('127.') && !n.podCIDRs.some((c) => inCidr(x.cidr.split('/')[0]!, c)));
  return a?.cidr.split('/')[0] ?? '?';
}

function addressOn(n: NodeTraceState, dev: string | undefined): string | undefined {
  if (!dev) return undefined;
  return n.addresses.find((a) => a.dev === dev && !a.cidr.startsWith('127.'))?.cidr.split('/')[0];
}

/** The bridge address a pod's default route points at: the node's address inside the pod's subnet. */
function bridgeGateway(n: NodeTraceState, podIP: string): { ip: string; dev: string } | undefined {
  const a = n.addresses.find((x) => inCidr(podIP, x.cidr));
  return a ? { ip: a.cidr.split('/')[0]!, dev: a.dev } : undefined;
}

type Route = NodeTraceState['routes'][number];

/** Longest-prefix match over a main routing table (what `ip route get` answers for unicast). */
export function routeFor<R extends Pick<Route, 'dst'>>(routes: R[], ip: string): R | undefined {
  let best: R | undefined;
  let bestLen = -1;
  for (const r of routes) {
    const cidr = r.dst === 'default' ? (ip.includes(':') ? '::/0' : '0.0.0.0/0') : r.dst.includes('/') ? r.dst : `${r.dst}/${ip.includes(':') ? 128 : 32}`;
    if (!inCidr(ip, cidr)) continue;
    const len = Number(cidr.split('/')[1]);
    if (len > bestLen) { best = r; bestLen = len; }
  }
  return best;
}

/** Whether an address is inside a CIDR; an interface address (host bits set) counts as its subnet. */
function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr, { allowHostBits: true });
  const a = parseAddress(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}

/** What the agreement test compares with the kernel: endpoints with probability, masquerade, or REJECT / DROP. */
export type ClusterVerdict = 'REJECT' | 'DROP' | { endpoints: Array<{ ip: string; port: number; probability: number; pod?: string }>; masquerade: boolean | 'mixed' };

export function clusterVerdict(t: ClusterTrace): ClusterVerdict {
  const delivered = t.branches.filter((b) => b.verdict === 'delivered');
  if (delivered.length === 0) {
    const rej = t.branches.filter((b) => b.verdict === 'rejected').reduce((a, b) => a + b.probability, 0);
    const drop = t.branches.filter((b) => b.verdict !== 'rejected').reduce((a, b) => a + b.probability, 0);
    return rej >= drop ? 'REJECT' : 'DROP';
  }
  const by = new Map<string, { ip: string; port: number; probability: number; pod?: string }>();
  for (const b of delivered) {
    const k = `${b.endpoint!.ip}:${b.endpoint!.port}`;
    const prev = by.get(k);
    if (prev) prev.probability += b.probability;
    else by.set(k, { ip: b.endpoint!.ip, port: b.endpoint!.port, probability: b.probability, ...(b.endpoint!.pod ? { pod: b.endpoint!.pod } : {}) });
  }
  const masqs = new Set(delivered.map((b) => b.sourceSeen !== undefined && b.masquerade));
  return { endpoints: [...by.values()].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.port - b.port), masquerade: masqs.size === 1 ? [...masqs][0]! : 'mixed' };
}
