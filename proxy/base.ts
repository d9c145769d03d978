// The constant part of table hawser-proxy: base chains (each with the reason for its hook
// and priority), the dispatch maps and the shared helper chains. Per-Service objects
// (service.ts) hang off the maps defined here.
import type { BaseChainSpec, ChainContent, Family, MapContent, SetContent } from '../src/kernel/nft/types.js';
import type { IPFamily, NodeConfig } from './types.js';

export const TABLE = 'hawser-proxy';
/** The masquerade mark bit, as upstream kube-proxy (--masquerade-bit 14). */
export const MASQ_MARK = '0x00004000';

export interface FamilyWords {
  table: Family;
  /** Payload keyword for addresses: `ip daddr`. */
  addr: 'ip' | 'ip6';
  addrType: 'ipv4_addr' | 'ipv6_addr';
  /** Loopback range: upstream's nftables mode never serves NodePorts on localhost (it would
   *  need route_localnet to DNAT to a non-local endpoint). */
  loopback: string;
}

export function familyWords(f: IPFamily): FamilyWords {
  return f === 'IPv4'
    ? { table: 'ip', addr: 'ip', addrType: 'ipv4_addr', loopback: '127.0.0.0/8' }
    : { table: 'ip6', addr: 'ip6', addrType: 'ipv6_addr', loopback: '::1' };
}

// Chain and map names shared by compile, diff and the tracer.
export const CH = {
  filterPrerouting: 'filter-prerouting',
  filterInput: 'filter-input',
  filterForward: 'filter-forward',
  filterOutput: 'filter-output',
  filterOutputPostDnat: 'filter-output-post-dnat',
  natPrerouting: 'nat-prerouting',
  natOutput: 'nat-output',
  natPostrouting: 'nat-postrouting',
  services: 'services',
  firewallCheck: 'firewall-check',
  endpointsCheck: 'service-endpoints-check',
  clusterIPsCheck: 'cluster-ips-check',
  reject: 'reject-chain',
  markMasq: 'mark-for-masquerade',
  masquerading: 'masquerading',
} as const;

export const MAPS = {
  serviceIPs: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
  firewallIPs: 'firewall-ips',
} as const;

export const SETS = {
  clusterIPs: 'cluster-ips',
  clusterCIDRs: 'cluster-cidrs',
} as const;

export interface BaseChainDef {
  name: string;
  base: BaseChainSpec;
  /** Why this hook and priority. */
  why: string;
  /** Rules, in order (`ct state new` guards keep established flows off the lookups). */
  rules: string[];
}

/** The base chains. Priorities are numeric: dstnat = -100, filter = 0, srcnat = 100. */
export function baseChains(): BaseChainDef[] {
  const jumpNew = (c: string): string => `ct state new jump ${c}`;
  return [
    {
      name: CH.filterPrerouting, base: { type: 'filter', hook: 'prerouting', priority: -110 },
      why: 'loadBalancerSourceRanges must see the LB IP before nat-prerouting (-100) rewrites the destination',
      rules: [jumpNew(CH.firewallCheck)],
    },
    {
      name: CH.filterOutput, base: { type: 'filter', hook: 'output', priority: -110 },
      why: 'the same source-range check for traffic this node originates, before nat-output (-100)',
      rules: [jumpNew(CH.firewallCheck)],
    },
    {
      name: CH.filterInput, base: { type: 'filter', hook: 'input', priority: 0 },
      why: 'VIPs left un-DNATed (no endpoints) on a local address (NodePorts, local external IPs) are refused here; reject is valid in input',
      rules: [jumpNew(CH.endpointsCheck)],
    },
    {
      name: CH.filterForward, base: { type: 'filter', hook: 'forward', priority: 0 },
      // kubernetes#74839: an INVALID packet (e.g. out of the TCP window) skips reverse NAT
      // and would reach the client with the endpoint's address, resetting the connection.
      why: 'pod and external traffic after DNAT: drop INVALID conntrack state, refuse un-DNATed VIPs, reject unknown ClusterIP ports, drop unallocated service IPs',
      rules: ['ct state invalid drop', jumpNew(CH.endpointsCheck), jumpNew(CH.clusterIPsCheck)],
    },
    {
      name: CH.filterOutputPostDnat, base: { type: 'filter', hook: 'output', priority: -90 },
      why: 'node-originated traffic after nat-output (-100): valid VIPs are DNATed by now, what still targets a VIP is refused',
      rules: [jumpNew(CH.endpointsCheck), jumpNew(CH.clusterIPsCheck)],
    },
    {
      name: CH.natPrerouting, base: { type: 'nat', hook: 'prerouting', priority: -100 },
      why: 'dstnat: DNAT arriving traffic (pods, other nodes, external clients) to an endpoint',
      rules: [`jump ${CH.services}`],
    },
    {
      name: CH.natOutput, base: { type: 'nat', hook: 'output', priority: -100 },
      why: 'dstnat for traffic this node originates (host processes, hostNetwork pods)',
      rules: [`jump ${CH.services}`],
    },
    {
      name: CH.natPostrouting, base: { type: 'nat', hook: 'postrouting', priority: 100 },
      why: 'srcnat: masquerade what was marked, after routing chose the egress interface',
      rules: [`jump ${CH.masquerading}`],
    },
  ];
}

/** Base chains, helper chains and dispatch maps: the part that does not depend on Services. */
export function baseContent(cfg: NodeConfig): { chains: ChainContent[]; sets: SetContent[]; maps: MapContent[] } {
  const f = familyWords(cfg.family);
  const r = (rule: string): { rule: string } => ({ rule });
  const vipKey = [f.addrType, 'inet_proto', 'inet_service'];
  const portKey = ['inet_proto', 'inet_service'];
  const localDst = `fib daddr type local ${f.addr} daddr != ${f.loopback}`;
  const chains: ChainContent[] = baseChains().map((b) => ({ kind: 'chain', name: b.name, base: b.base, rules: b.rules.map(r) }));
  chains.push(
    { kind: 'chain', name: CH.services, rules: [
      r(`${f.addr} daddr . meta l4proto . th dport vmap @${MAPS.serviceIPs}`),
      r(`${localDst} meta l4proto . th dport vmap @${MAPS.serviceNodePorts}`),
    ] },
    { kind: 'chain', name: CH.firewallCheck, rules: [r(`${f.addr} daddr . meta l4proto . th dport vmap @${MAPS.firewallIPs}`)] },
    { kind: 'chain', name: CH.endpointsCheck, rules: [
      r(`${f.addr} daddr . meta l4proto . th dport vmap @${MAPS.noEndpointServices}`),
      r(`${localDst} meta l4proto . th dport vmap @${MAPS.noEndpointNodePorts}`),
    ] },
    { kind: 'chain', name: CH.clusterIPsCheck, rules: [
      r(`${f.addr} daddr @${SETS.clusterIPs} goto ${CH.reject}`),
      ...cfg.serviceCIDRs.map((c) => r(`${f.addr} daddr ${c} drop`)),
    ] },
    // Connection refused either way; a TCP reset is what clients see from a closed port.
    { kind: 'chain', name: CH.reject, rules: [r('meta l4proto tcp reject with tcp reset'), r('reject')] },
    { kind: 'chain', name: CH.markMasq, rules: [r(`meta mark set meta mark | ${MASQ_MARK}`)] },
    { kind: 'chain', name: CH.masquerading, rules: [
      r(`meta mark & ${MASQ_MARK} == 0 return`),
      // Clear the bit so a packet re-entering the stack (e.g. into a tunnel) is not masqueraded twice.
      r(`meta mark set meta mark ^ ${MASQ_MARK}`),
      // fully-random: avoid the SNAT port collisions that drop SYNs (kubernetes#76699).
      r('masquerade fully-random'),
    ] },
  );
  const maps: MapContent[] = [
    { kind: 'map', name: MAPS.serviceIPs, type: vipKey, value: ['verdict'], elements: [] },
    { kind: 'map', name: MAPS.serviceNodePorts, type: portKey, value: ['verdict'], elements: [] },
    { kind: 'map', name: MAPS.noEndpointServices, type: vipKey, value: ['verdict'], elements: [] },
    { kind: 'map', name: MAPS.noEndpointNodePorts, type: portKey, value: ['verdict'], elements: [] },
    { kind: 'map', name: MAPS.firewallIPs, type: vipKey, value: ['verdict'], elements: [] },
  ];
  const sets: SetContent[] = [
    { kind: 'set', name: SETS.clusterIPs, type: [f.addrType], elements: [] },
    { kind: 'set', name: SETS.clusterCIDRs, type: [f.addrType], flags: ['interval'], elements: cfg.clusterCIDRs.map((c) => ({ key: [c] })) },
  ];
  return { chains, sets, maps };
}
