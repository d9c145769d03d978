// NetworkPolicy → the desired content of table `hawser-policy` for ONE node (pure).
//
// Enforcement happens on the node hosting the pod: ingress rules for local destination
// pods, egress rules for local source pods. A remote pod's ingress is its own node's job,
// so a connection between two nodes is checked once on each side, each for its own pod.
//
// Per packet: ct state, then one map lookup by source address (egress-pods) and one by
// destination address (ingress-pods). Only isolated pods have elements; a pod's chain
// holds the rules of the policies that select it — so the cost of a packet does not grow
// with the number of policies in the cluster, only with those selecting its own pods.
// Peers are named sets (never anonymous: REFERENCE.md, anonymous sets load in O(N²)),
// updated element by element when pods come and go.
import { addressFamilyOf, type Family as IPFamily } from '../../src/net/index.js';
import type { ChainContent, ElementContent, MapContent, Ruleset, SetContent } from '../../src/kernel/nft/types.js';
import {
  buildIndex, ipBlockContains, isolatingPolicies, namedPort, peerSelectsPod, podIPs, podsSelectedByPeer, protocolOf, rulesOf,
  type Index, type RuleLike,
} from './model.js';
import { formatAddressInterval, formatPortInterval, ipBlockIntervals, normalise, type Interval } from './intervals.js';
import { KIND, TABLE, objectName, safeComment } from './names.js';
import { keyOf, type Direction, type NetworkPolicy, type Pod, type PortSpec, type World } from './types.js';

export type PolicyFamily = 'ip' | 'ip6';

export interface CompileOptions {
  nodeName: string;
  /** One table per family (DESIGN rule 9); only addresses of this family are programmed. */
  family?: PolicyFamily;
  /**
   * drop (default): what Calico and Cilium do; it reveals nothing about the pod, costs no
   * ICMP generation under a flood, and the upstream e2e only asks for "no connection".
   * reject: the client fails at once (ICMP port unreachable) instead of timing out — kinder
   * in a lab, and what kube-proxy does for services without endpoints.
   */
  denyVerdict?: 'drop' | 'reject';
  /** Log each denied new connection with prefix `hawser-deny <ns>/<policy> `. */
  logDenied?: boolean;
}

export interface CompileInput extends World, CompileOptions {}

export const INGRESS_MAP = 'ingress-pods';
export const EGRESS_MAP = 'egress-pods';
export const NODE_SET = 'node-ips';
export const FORWARD_CHAIN = 'forward';

/**
 * The one base chain, and why it sits where it does:
 * - hook forward: pod traffic is routed through the node (pod → pod on this node via the
 *   gateway, pod ↔ other nodes). Traffic the node's own stack sends to a pod takes the
 *   output hook and traffic a pod sends to its node the input hook — both always allowed
 *   ("traffic to and from the node where a Pod is running is always allowed"), so neither
 *   hook needs a chain.
 * - priority 0 (filter): after nat prerouting at −100, where the service proxy DNATs, so
 *   the destination address seen here is the backend pod's and Service traffic is judged
 *   by the backend's policy.
 * - policy accept: this table only restricts isolated pods; everything else is someone
 *   else's business (a drop policy here would cut the node off).
 */
export const BASE_CHAIN = { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' } as const;

const PROTO_NFT = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

interface Ctx {
  ix: Index;
  fam: PolicyFamily;
  ipFam: IPFamily;
  sets: Map<string, SetContent>;
  /** Pod → its address of this family: parsing addresses was a tenth of compile time. */
  addr: Map<Pod, string | undefined>;
}

const addrType = (fam: PolicyFamily): string => (fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr');

function ipOf(ctx: Ctx, pod: Pod): string | undefined {
  if (!ctx.addr.has(pod)) ctx.addr.set(pod, podIPs(pod).find((ip) => addressFamilyOf(ip) === ctx.ipFam));
  return ctx.addr.get(pod);
}

function addSet(ctx: Ctx, s: SetContent): string {
  if (!ctx.sets.has(s.name)) ctx.sets.set(s.name, s);
  return s.name;
}

function ruleId(pol: NetworkPolicy, dir: Direction, i: number): { identity: string; readable: string; label: string } {
  const k = keyOf(pol);
  return { identity: `${dir}/${k}/${i}`, readable: `${k}/${dir === 'Ingress' ? 'i' : 'e'}${i}`, label: `${k} ${dir.toLowerCase()}[${i}]` };
}

/** Pods (of this family) a rule's selector peers select, as a set; undefined if the rule has none. */
function peerPodSet(ctx: Ctx, pol: NetworkPolicy, dir: Direction, i: number, peers: RuleLike['peers']): string | undefined {
  const sel = (peers ?? []).filter((p) => !p.ipBlock && (p.podSelector || p.namespaceSelector));
  if (sel.length === 0) return undefined;
  const id = ruleId(pol, dir, i);
  const name = objectName(KIND.peerPods, id.identity, id.readable);
  // A rule's peers are the same for every local pod it applies to: compute them once.
  if (ctx.sets.has(name)) return name;
  const ips = new Set<string>();
  for (const p of sel) {
    for (const pod of podsSelectedByPeer(ctx.ix, pol, p)) {
      const ip = ipOf(ctx, pod);
      if (ip) ips.add(ip);
    }
  }
  return addSet(ctx, {
    kind: 'set', name, type: [addrType(ctx.fam)],
    comment: safeComment(`pods selected by ${id.label}`),
    elements: [...ips].sort().map((ip) => ({ key: [ip] })),
  });
}

function peerCidrSet(ctx: Ctx, pol: NetworkPolicy, dir: Direction, i: number, peers: RuleLike['peers']): string | undefined {
  const blocks = (peers ?? []).flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
  if (blocks.length === 0) return undefined;
  const id = ruleId(pol, dir, i);
  const name = objectName(KIND.peerCidrs, id.identity, id.readable);
  if (ctx.sets.has(name)) return name;
  return addSet(ctx, {
    kind: 'set', name, type: [addrType(ctx.fam)], flags: ['interval'],
    comment: safeComment(`ipBlocks of ${id.label}`),
    elements: ipBlockIntervals(blocks, ctx.ipFam).map((iv) => ({ key: [formatAddressInterval(iv, ctx.ipFam)] })),
  });
}

/**
 * The numeric part of a ports list as a set of (protocol . port range); named ports are
 * resolved on `dst` (the local pod, for ingress). undefined: the list matches nothing here.
 */
function portSet(ctx: Ctx, ports: PortSpec[], dst: Pod | undefined): string | undefined {
  const byProto = new Map<string, Interval[]>();
  const add = (proto: string, lo: number, hi: number) => {
    if (!byProto.has(proto)) byProto.set(proto, []);
    byProto.get(proto)!.push({ lo: BigInt(lo), hi: BigInt(hi) });
  };
  for (const p of ports) {
    const proto = protocolOf(p);
    if (!proto) continue;
    if (p.port === undefined) add(proto, 0, 65535);
    else if (typeof p.port === 'number') add(proto, p.port, p.endPort !== undefined && p.endPort >= p.port ? p.endPort : p.port);
    else if (dst) {
      const n = namedPort(dst, p.port, proto);
      if (n !== undefined) add(proto, n, n);
    }
  }
  const elements: ElementContent[] = [];
  for (const proto of ['TCP', 'UDP', 'SCTP'] as const) {
    for (const iv of normalise(byProto.get(proto) ?? [])) elements.push({ key: [PROTO_NFT[proto], formatPortInterval(iv)] });
  }
  if (elements.length === 0) return undefined;
  const content = elements.map((e) => e.key.join(':')).join(',');
  return addSet(ctx, {
    kind: 'set', name: objectName(KIND.ports, content, content), type: ['inet_proto', 'inet_service'], flags: ['interval'],
    elements,
  });
}

/** Egress named ports: resolved on each destination pod, so the set pairs address and port. */
function namedPortSet(ctx: Ctx, pol: NetworkPolicy, i: number, rule: RuleLike): string | undefined {
  const named = (rule.ports ?? []).filter((p) => typeof p.port === 'string');
  if (named.length === 0) return undefined;
  const id = ruleId(pol, 'Egress', i);
  const name = objectName(KIND.namedPorts, id.identity, id.readable);
  if (ctx.sets.has(name)) return name;
  const peers = rule.peers ?? [];
  const elements = new Map<string, ElementContent>();
  for (const pod of ctx.ix.pods) {
    const ip = ipOf(ctx, pod);
    if (!ip) continue;
    const isPeer = peers.length === 0 || peers.some((p) => (p.ipBlock ? ipBlockContains(p.ipBlock, ip) : peerSelectsPod(ctx.ix, pol, p, pod)));
    if (!isPeer) continue;
    for (const p of named) {
      const proto = protocolOf(p);
      const n = proto && namedPort(pod, p.port as string, proto);
      if (proto && n !== undefined) {
        const key = [ip, PROTO_NFT[proto], String(n)];
        elements.set(key.join(' '), { key });
      }
    }
  }
  return addSet(ctx, {
    kind: 'set', name, type: [addrType(ctx.fam), 'inet_proto', 'inet_service'],
    comment: safeComment(`named ports of ${id.label}`),
    elements: [...elements.values()].sort((a, b) => (a.key.join(' ') < b.key.join(' ') ? -1 : 1)),
  });
}

/** nft rules for one policy rule, in one pod's chain. */
function ruleLines(ctx: Ctx, pol: NetworkPolicy, dir: Direction, i: number, rule: RuleLike, local: Pod): ChainContent['rules'] {
  const addr = `${ctx.fam} ${dir === 'Ingress' ? 'saddr' : 'daddr'}`;
  // Egress allows by returning to the base chain, where the destination's ingress is still
  // to be checked; ingress is the last check, so it accepts.
  const verdict = dir === 'Ingress' ? 'accept' : 'return';
  const comment = safeComment(ruleId(pol, dir, i).label);
  const ports = rule.ports ?? [];
  const peers = rule.peers ?? [];
  const out: ChainContent['rules'] = [];
  const line = (...parts: (string | undefined)[]) => out.push({ rule: [...parts.filter((p) => p), 'counter', verdict].join(' '), comment });

  let portMatch: string | undefined = '';
  if (ports.length > 0) {
    const set = portSet(ctx, dir === 'Ingress' ? ports : ports.filter((p) => typeof p.port !== 'string'), dir === 'Ingress' ? local : undefined);
    portMatch = set && `meta l4proto . th dport @${set}`;
  }
  if (portMatch !== undefined) {
    const addrMatches = peers.length === 0 ? [''] : [peerPodSet(ctx, pol, dir, i, peers), peerCidrSet(ctx, pol, dir, i, peers)]
      .filter((s): s is string => s !== undefined).map((s) => `${addr} @${s}`);
    for (const a of addrMatches) line(a, portMatch);
  }
  if (dir === 'Egress') {
    const named = namedPortSet(ctx, pol, i, rule);
    if (named) line(`${addr} . meta l4proto . th dport @${named}`);
  }
  return out;
}

function podChain(ctx: Ctx, pod: Pod, dir: Direction, pols: NetworkPolicy[], opts: CompileOptions): ChainContent {
  const key = keyOf(pod);
  const rules: ChainContent['rules'] = [];
  for (const pol of pols) rulesOf(pol, dir).forEach((r, i) => rules.push(...ruleLines(ctx, pol, dir, i, r, pod)));
  const by = pols.map(keyOf);
  const who = `${by[0]}${by.length > 1 ? `+${by.length - 1}` : ''}`;
  const log = opts.logDenied ? `log prefix "${safeComment(`hawser-deny ${who} `).slice(0, 100)}" ` : '';
  rules.push({ rule: `${log}counter ${opts.denyVerdict ?? 'drop'}`, comment: safeComment(`deny ${dir.toLowerCase()} ${key} isolated by ${by.join(',')}`) });
  return {
    kind: 'chain', name: objectName(dir === 'Ingress' ? KIND.ingressChain : KIND.egressChain, `${dir}/${key}`, key),
    comment: safeComment(`${dir.toLowerCase()} of ${key}`), rules,
  };
}

function baseChain(fam: PolicyFamily): ChainContent {
  return {
    kind: 'chain', name: FORWARD_CHAIN, base: { ...BASE_CHAIN },
    rules: [
      // Replies and related ICMP of an allowed connection always pass: policy decides on
      // the first packet only (and a policy change does not cut established connections).
      { rule: 'ct state established,related accept' },
      { rule: 'ct state invalid drop' },
      // The pod's own node may always reach it and be reached (kubelet probes).
      { rule: `${fam} saddr @${NODE_SET} accept` },
      { rule: `${fam} daddr @${NODE_SET} accept` },
      { rule: `${fam} saddr vmap @${EGRESS_MAP}` },
      { rule: `${fam} daddr vmap @${INGRESS_MAP}` },
    ],
  };
}

export function compilePolicy(input: CompileInput): Ruleset {
  const fam = input.family ?? 'ip';
  const ctx: Ctx = { ix: buildIndex(input), fam, ipFam: fam === 'ip' ? 4 : 6, sets: new Map(), addr: new Map() };
  const chains: ChainContent[] = [baseChain(fam)];
  const maps: Record<Direction, MapContent> = {
    Ingress: { kind: 'map', name: INGRESS_MAP, type: [addrType(fam)], value: ['verdict'], comment: 'isolated local pods by address: their ingress chain', elements: [] },
    Egress: { kind: 'map', name: EGRESS_MAP, type: [addrType(fam)], value: ['verdict'], comment: 'isolated local pods by address: their egress chain', elements: [] },
  };
  const local = ctx.ix.pods
    .filter((p) => p.spec?.nodeName === input.nodeName && ipOf(ctx, p) !== undefined)
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  for (const pod of local) {
    for (const dir of ['Ingress', 'Egress'] as const) {
      const pols = isolatingPolicies(ctx.ix, pod, dir);
      if (pols.length === 0) continue;
      const chain = podChain(ctx, pod, dir, pols, input);
      chains.push(chain);
      maps[dir].elements.push({ key: [ipOf(ctx, pod)!], value: [`jump ${chain.name}`], comment: safeComment(keyOf(pod)) });
    }
  }
  const nodeIPs = [...new Set(input.nodeIPs?.[input.nodeName] ?? [])].filter((ip) => addressFamilyOf(ip) === ctx.ipFam).sort();
  ctx.sets.set(NODE_SET, {
    kind: 'set', name: NODE_SET, type: [addrType(fam)], comment: 'this node: always allowed to and from its pods',
    elements: nodeIPs.map((ip) => ({ key: [ip] })),
  });
  return {
    family: fam, name: TABLE, comment: 'hawser NetworkPolicy enforcement',
    chains, maps: [maps.Ingress, maps.Egress],
    sets: [...ctx.sets.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
