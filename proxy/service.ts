// One ServicePort → its chains, sets, maps and dispatch-map elements. The structure follows
// upstream kube-proxy's nftables proxier (syncProxyRules): ClusterIPs go to the internal
// policy chain, NodePorts/external IPs/LB IPs to an external chain that masquerades (policy
// Cluster) or short-circuits pod and host traffic (policy Local) before the policy chain;
// policy chains pick an endpoint chain, which DNATs. No anonymous sets anywhere: they make a
// load O(N²) in the number of Services (REFERENCE.md "Dataplane baseline").
import type { ChainContent, MapContent, SetContent } from '../src/kernel/nft/types.js';
import { CH, MAPS, SETS, familyWords } from './base.js';
import type { FamilyWords } from './base.js';
import { maglevSize, maglevTable } from './maglev.js';
import { endpointObjectName, hash8, portObjectName } from './names.js';
import type { Endpoint, NodeConfig, ServicePort } from './types.js';

/** A map or set element owned by one ServicePort. */
export interface OwnedElement {
  set: string;
  key: string[];
  value?: string[];
}

export interface CompiledService {
  key: string;
  chains: ChainContent[];
  sets: SetContent[];
  maps: MapContent[];
  /** Elements this ServicePort adds to the shared maps and sets of base.ts. */
  elements: OwnedElement[];
}

/** Size of the dynamic affinity sets (the kernel needs a bound for sets filled from packets). */
export const AFFINITY_SET_SIZE = 65_535;

const proto = (sp: ServicePort): string => sp.id.protocol.toLowerCase();

/** Deterministic per-Service seed, so a resync never reshuffles source-hash choices. */
export function seedOf(sp: ServicePort, which: string): string {
  return `0x${hash8(`seed:${which}:${sp.key}`)}`;
}

interface Ctx {
  sp: ServicePort;
  cfg: NodeConfig;
  f: FamilyWords;
  out: CompiledService;
  /** Endpoint object names, computed once per endpoint. */
  names: Map<string, { sep: string; aff: string }>;
}

function epNames(ctx: Ctx, e: Endpoint): { sep: string; aff: string } {
  const k = `${e.ip}:${e.port}`;
  let n = ctx.names.get(k);
  if (!n) {
    n = { sep: endpointObjectName('sep', ctx.sp.id, e), aff: endpointObjectName('aff', ctx.sp.id, e) };
    ctx.names.set(k, n);
  }
  return n;
}

export function compileServicePort(sp: ServicePort, cfg: NodeConfig): CompiledService {
  const f = familyWords(cfg.family);
  const out: CompiledService = { key: sp.key, chains: [], sets: [], maps: [], elements: [] };
  const ctx: Ctx = { sp, cfg, f, out, names: new Map() };
  const p = proto(sp);
  const svcChain = portObjectName('svc', sp.id);
  const svlChain = portObjectName('svl', sp.id);
  const extChain = portObjectName('ext', sp.id);
  const hasCluster = sp.clusterEndpoints.length > 0;
  const hasLocal = sp.localEndpoints.length > 0;
  const internalChain = sp.internalLocal ? svlChain : svcChain;
  const hasInternal = sp.internalLocal ? hasLocal : hasCluster;
  const hasExternal = sp.externalLocal ? hasLocal : hasCluster;
  // Upstream: no endpoint anywhere → REJECT ("connection refused"); endpoints elsewhere but
  // none usable under a Local policy → DROP (the client retries or another node answers).
  const internalNone = sp.hasAnyEndpoints ? 'drop' : `goto ${CH.reject}`;
  const externalNone = sp.hasAnyEndpoints ? 'drop' : `goto ${CH.reject}`;
  const externalDsts = [...sp.externalIPs, ...sp.loadBalancerIPs];
  const externallyAccessible = sp.nodePort > 0 || externalDsts.length > 0;

  for (const ip of sp.clusterIPs) {
    out.elements.push({ set: SETS.clusterIPs, key: [ip] });
    const key = [ip, p, String(sp.port)];
    out.elements.push(hasInternal
      ? { set: MAPS.serviceIPs, key, value: [`goto ${internalChain}`] }
      : { set: MAPS.noEndpointServices, key, value: [internalNone] });
  }
  for (const ip of externalDsts) {
    const key = [ip, p, String(sp.port)];
    out.elements.push(hasExternal
      ? { set: MAPS.serviceIPs, key, value: [`goto ${extChain}`] }
      : { set: MAPS.noEndpointServices, key, value: [externalNone] });
  }
  if (sp.nodePort > 0) {
    const key = [p, String(sp.nodePort)];
    out.elements.push(hasExternal
      ? { set: MAPS.serviceNodePorts, key, value: [`goto ${extChain}`] }
      : { set: MAPS.noEndpointNodePorts, key, value: [externalNone] });
  }
  firewall(ctx);

  // The model only fills clusterEndpoints/localEndpoints when some traffic uses that policy
  // (endpoints.ts), so "has endpoints" already means "the chain is used".
  const usesCluster = hasCluster;
  const usesLocal = hasLocal;
  if (hasExternal && externallyAccessible) externalChain(ctx, extChain, usesCluster ? svcChain : undefined, sp.externalLocal ? svlChain : svcChain);
  if (usesCluster) policyChain(ctx, svcChain, 'mg', sp.clusterEndpoints, !sp.internalLocal);
  if (usesLocal) policyChain(ctx, svlChain, 'mgl', sp.localEndpoints, sp.internalLocal);
  const used = new Map<string, Endpoint>();
  for (const e of [...(usesCluster ? sp.clusterEndpoints : []), ...(usesLocal ? sp.localEndpoints : [])]) used.set(`${e.ip}:${e.port}`, e);
  for (const e of used.values()) endpointChain(ctx, e);
  return out;
}

/** loadBalancerSourceRanges: only LB IPs are filtered (upstream), before DNAT. */
function firewall(ctx: Ctx): void {
  const { sp, f, out } = ctx;
  if (sp.loadBalancerSourceRanges.length === 0 || sp.loadBalancerIPs.length === 0) return;
  const name = portObjectName('fw', sp.id);
  out.sets.push({ kind: 'set', name, type: [f.addrType], flags: ['interval'], elements: sp.loadBalancerSourceRanges.map((c) => ({ key: [c] })) });
  out.chains.push({ kind: 'chain', name, rules: [{ rule: `${f.addr} saddr != @${name} drop` }] });
  for (const ip of sp.loadBalancerIPs) out.elements.push({ set: MAPS.firewallIPs, key: [ip, proto(sp), String(sp.port)], value: [`goto ${name}`] });
}

function externalChain(ctx: Ctx, name: string, clusterChain: string | undefined, target: string): void {
  const { sp, f, out, cfg } = ctx;
  const rules: string[] = [];
  if (!sp.externalLocal) {
    // Policy Cluster: the endpoint may be on another node, whose reply must come back here.
    rules.push(`jump ${CH.markMasq}`);
  } else {
    // Upstream: pod → external VIP behaves as if it went out to the load balancer and came
    // back — subject to neither policy, so it may use any endpoint, without masquerade.
    if (clusterChain && cfg.clusterCIDRs.length > 0) rules.push(`${f.addr} saddr @${SETS.clusterCIDRs} goto ${clusterChain}`);
    // The host's own traffic carries a local source address (often the VIP's own node IP)
    // that the endpoint cannot answer directly: masquerade it, and let it use any endpoint.
    rules.push(`fib saddr type local jump ${CH.markMasq}`);
    if (clusterChain) rules.push(`fib saddr type local goto ${clusterChain}`);
  }
  rules.push(`goto ${target}`);
  out.chains.push({ kind: 'chain', name, rules: rules.map((rule) => ({ rule })) });
}

function policyChain(ctx: Ctx, name: string, mapKind: 'mg' | 'mgl', eps: Endpoint[], internal: boolean): void {
  const { sp, f, out, cfg } = ctx;
  const rules: string[] = [];
  if (internal) {
    for (const ip of sp.clusterIPs) {
      // ClusterIP keeps the client pod's source (issue 7); only sources outside the pod
      // network (nodes, routed-in clients) are masqueraded so replies return through us.
      if (cfg.masqueradeAll) rules.push(`${f.addr} daddr ${ip} jump ${CH.markMasq}`);
      else if (cfg.clusterCIDRs.length > 0) rules.push(`${f.addr} daddr ${ip} ${f.addr} saddr != @${SETS.clusterCIDRs} jump ${CH.markMasq}`);
    }
  }
  const seps = eps.map((e) => epNames(ctx, e).sep);
  if (sp.affinityTimeout > 0) {
    // Affinity before the choice: a client seen recently sticks to its endpoint.
    eps.forEach((e, i) => rules.push(`${f.addr} saddr @${epNames(ctx, e).aff} goto ${seps[i]}`));
  }
  rules.push(...choose(ctx, seps, name, mapKind));
  out.chains.push({ kind: 'chain', name, rules: rules.map((rule) => ({ rule })) });
}

/**
 * Endpoint choice without anonymous sets. random/roundrobin: chained `numgen … mod K == 0`
 * with K the number of endpoints still left, so each of N gets 1/N (for numgen inc each rule
 * keeps its own counter: rule i takes every K-th packet that reaches it). sourcehash: one
 * jhash compared against each slot. maglev: a named verdict map of the lookup table.
 */
function choose(ctx: Ctx, seps: string[], chain: string, mapKind: 'mg' | 'mgl'): string[] {
  const { sp, f, out } = ctx;
  const n = seps.length;
  if (n === 1) return [`goto ${seps[0]}`];
  const rules: string[] = [];
  switch (sp.scheduler) {
    case 'random':
    case 'roundrobin': {
      const gen = sp.scheduler === 'random' ? 'random' : 'inc';
      for (let i = 0; i < n - 1; i++) rules.push(`numgen ${gen} mod ${n - i} == 0 goto ${seps[i]}`);
      break;
    }
    case 'sourcehash': {
      const hash = `jhash ${f.addr} saddr mod ${n} seed ${seedOf(sp, chain)}`;
      for (let i = 0; i < n - 1; i++) rules.push(`${hash} == ${i} goto ${seps[i]}`);
      break;
    }
    case 'maglev': {
      const size = maglevSize(n);
      const name = portObjectName(mapKind, sp.id);
      const table = maglevTable(seps, size);
      const hash = `jhash ${f.addr} saddr mod ${size} seed ${seedOf(sp, chain)}`;
      const map: MapContent = {
        // nft only accepts a numgen/jhash result as a key of a `typeof` map (a `type` has no
        // name for a bare 32-bit integer). `typeof jhash …` loads, but nft 1.0.6 segfaults
        // listing it (seen here); numgen has the same 32-bit integer type.
        kind: 'map', name, type: ['integer'], typeof: 'numgen inc mod 2', value: ['verdict'],
        elements: table.map((b, slot) => ({ key: [String(slot)], value: [`goto ${seps[b]}`] })),
      };
      out.maps.push(map);
      return [`${hash} vmap @${name}`];
    }
  }
  rules.push(`goto ${seps[n - 1]}`);
  return rules;
}

function endpointChain(ctx: Ctx, e: Endpoint): void {
  const { sp, f, out } = ctx;
  const { sep: name, aff } = epNames(ctx, e);
  const rules: string[] = [
    // Hairpin: a pod reaching itself through its Service would otherwise get a reply from
    // its own address to its own address, which it drops as not matching the connection.
    `${f.addr} saddr ${e.ip} jump ${CH.markMasq}`,
  ];
  if (sp.affinityTimeout > 0) {
    out.sets.push({ kind: 'set', name: aff, type: [f.addrType], flags: ['dynamic', 'timeout'], timeout: sp.affinityTimeout, size: AFFINITY_SET_SIZE, elements: [] });
    rules.push(`update @${aff} { ${f.addr} saddr }`);
  }
  const dst = f.addr === 'ip6' ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
  rules.push(`meta l4proto ${proto(sp)} dnat to ${dst}`);
  out.chains.push({ kind: 'chain', name, rules: rules.map((rule) => ({ rule })) });
}
