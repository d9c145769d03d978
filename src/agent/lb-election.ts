// Which node answers ARP for each LoadBalancer IP (L2 announcement, as MetalLB's layer-2
// mode does). Pure: every agent computes the same answer from the same objects, so no
// extra coordination is needed beyond the liveness leases (agent-lease.ts).
//
// Owner choice is rendezvous (highest-random-weight) hashing of (node, IP) over the
// eligible nodes: deterministic, spreads IPs over nodes, and when a node goes away only
// the IPs it owned move (each to the next-highest node) — nothing else reshuffles.
import { createHash } from 'node:crypto';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';

/** Upstream's label: nodes that external load balancers must not send traffic to. */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
const PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ElectionInput {
  services: V1Service[];
  slices: V1EndpointSlice[];
  nodes: V1Node[];
  /** Nodes whose agent renewed its lease recently (only live agents can announce). */
  liveAgents: ReadonlySet<string>;
}

export interface Announcement {
  ip: string;
  /** ns/name of the Service(s) using the IP. */
  services: string[];
  /** The node that announces it; undefined when no node is eligible. */
  owner?: string;
  /** Eligible nodes, highest weight first (the owner, then who takes over). */
  candidates: string[];
}

const key = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace}/${o.metadata?.name}`;

/** Weight of a node for an IP: 64 bits of sha256, compared as a bigint. */
export function weight(node: string, ip: string): bigint {
  return createHash('sha256').update(`${node}\0${ip}`).digest().readBigUInt64BE(0);
}

/** LoadBalancer Services this proxy serves, with their assigned IPv4 ingress IPs. */
function announcedServices(services: V1Service[]): { svc: V1Service; ips: string[] }[] {
  const out: { svc: V1Service; ips: string[] }[] = [];
  for (const svc of services) {
    if (svc.spec?.type !== 'LoadBalancer') continue;
    // Another implementation's Services: a different proxy, or a load balancer class.
    if (svc.metadata?.labels?.[PROXY_NAME_LABEL] !== undefined || svc.spec.loadBalancerClass) continue;
    const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip && !ip.includes(':'));
    if (ips.length) out.push({ svc, ips });
  }
  return out;
}

function nodeEligible(n: V1Node, live: ReadonlySet<string>): boolean {
  const name = n.metadata?.name;
  if (!name || !live.has(name) || n.metadata?.deletionTimestamp) return false;
  if (n.metadata?.labels?.[EXCLUDE_LB_LABEL] !== undefined) return false;
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status !== 'False';
}

/** Nodes with a ready endpoint of the Service (externalTrafficPolicy Local announces only there). */
function nodesWithLocalEndpoints(svc: V1Service, slices: V1EndpointSlice[]): Set<string> {
  const out = new Set<string>();
  for (const s of slices) {
    if (s.metadata?.namespace !== svc.metadata?.namespace || s.metadata?.labels?.[SERVICE_NAME_LABEL] !== svc.metadata?.name) continue;
    for (const e of s.endpoints ?? []) if (e.nodeName && e.conditions?.ready !== false) out.add(e.nodeName);
  }
  return out;
}

export function electAnnouncers(input: ElectionInput): Announcement[] {
  const eligible = input.nodes.filter((n) => nodeEligible(n, input.liveAgents)).map((n) => n.metadata!.name!);
  const byIP = new Map<string, { services: string[]; nodes: Set<string> }>();
  for (const { svc, ips } of announcedServices(input.services)) {
    const local = svc.spec?.externalTrafficPolicy === 'Local' ? nodesWithLocalEndpoints(svc, input.slices) : undefined;
    const nodes = local ? eligible.filter((n) => local.has(n)) : eligible;
    for (const ip of ips) {
      const entry = byIP.get(ip) ?? { services: [], nodes: new Set<string>() };
      entry.services.push(key(svc));
      for (const n of nodes) entry.nodes.add(n);
      byIP.set(ip, entry);
    }
  }
  return [...byIP].sort(([a], [b]) => a.localeCompare(b)).map(([ip, e]) => {
    const candidates = [...e.nodes].sort((a, b) => {
      const wa = weight(a, ip);
      const wb = weight(b, ip);
      return wa === wb ? a.localeCompare(b) : wa > wb ? -1 : 1;
    });
    return { ip, services: e.services.sort(), owner: candidates[0], candidates };
  });
}

/** The IPs `self` must hold. */
export function ownedIPs(announcements: Announcement[], self: string): string[] {
  return announcements.filter((a) => a.owner === self).map((a) => a.ip);
}
