// Services + EndpointSlices (as the informers deliver them) → the per-ServicePort model of
// one address family. Mirrors upstream kube-proxy's ServiceChangeTracker/EndpointSliceCache
// semantics (pkg/proxy/servicechangetracker.go, endpointslicecache.go) where they matter
// for the dataplane.
import ipaddr from 'ipaddr.js';
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { categorizeEndpoints } from './endpoints.js';
import {
  DEFAULT_AFFINITY_TIMEOUT, LABEL_HEADLESS, LABEL_SERVICE_NAME, LABEL_SERVICE_PROXY_NAME,
  PROTOCOLS, SCHEDULER_ANNOTATION, SCHEDULERS,
} from './types.js';
import type { Endpoint, IPFamily, NodeConfig, Protocol, ProxyModel, Scheduler, ServicePort } from './types.js';

/** `ns/name`: how Services and their slices are grouped. */
export function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export function servicePortKey(namespace: string, name: string, port: string, protocol: Protocol): string {
  return `${namespace}/${name}:${port}/${protocol}`;
}

/** The Service a slice belongs to, or undefined for a slice without the service-name label. */
export function sliceServiceKey(slice: V1EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return svc ? serviceKey(slice.metadata?.namespace, svc) : undefined;
}

/**
 * Upstream kube-proxy lists Services and EndpointSlices with the label selector
 * `!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless`: objects
 * carrying either label belong to another proxy (or to nobody). A configured proxy name
 * lets a Service opt in to this proxy explicitly.
 */
export function optedOut(labels: Record<string, string> | undefined, cfg: Pick<NodeConfig, 'serviceProxyName'>): boolean {
  if (!labels) return false;
  if (LABEL_HEADLESS in labels) return true;
  const proxyName = labels[LABEL_SERVICE_PROXY_NAME];
  if (proxyName === undefined) return false;
  return cfg.serviceProxyName === undefined || proxyName !== cfg.serviceProxyName;
}

/** The address in canonical text when it belongs to `family`, else undefined. */
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function addressOfFamily(text: string | undefined, family: IPFamily): string | undefined {
  if (!text) return undefined;
  // Fast path for the common case (every endpoint of every sync goes through here).
  const m = DOTTED.exec(text);
  if (m) {
    const parts = m.slice(1).map(Number);
    if (family !== 'IPv4' || parts.some((p) => p > 255)) return undefined;
    return parts.join('.');
  }
  if (!ipaddr.isValid(text)) return undefined;
  const a = ipaddr.parse(text);
  if ((a.kind() === 'ipv4') !== (family === 'IPv4')) return undefined;
  return a.toString();
}

/** A CIDR (or a bare address, as /32 or /128) in canonical network form, when of `family`. */
export function cidrOfFamily(text: string, family: IPFamily): string | undefined {
  const t = text.trim();
  try {
    const [addr, bits] = t.includes('/') ? ipaddr.parseCIDR(t) : [ipaddr.parse(t), ipaddr.parse(t).kind() === 'ipv4' ? 32 : 128];
    if ((addr.kind() === 'ipv4') !== (family === 'IPv4')) return undefined;
    const network = addr.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  } catch {
    return undefined;
  }
}

const uniq = (xs: Array<string | undefined>): string[] => [...new Set(xs.filter((x): x is string => x !== undefined))];

function protocolOf(p: string | undefined): Protocol | undefined {
  const proto = (p ?? 'TCP') as Protocol;
  return PROTOCOLS.includes(proto) ? proto : undefined;
}

function schedulerOf(svc: V1Service, fallback: Scheduler): Scheduler {
  const a = svc.metadata?.annotations?.[SCHEDULER_ANNOTATION]?.trim().toLowerCase();
  return a && (SCHEDULERS as readonly string[]).includes(a) ? (a as Scheduler) : fallback;
}

/** Whether the proxy programs anything for this Service at all. */
export function isProxied(svc: V1Service, cfg: Pick<NodeConfig, 'serviceProxyName'>): boolean {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return false;
  if (optedOut(svc.metadata?.labels, cfg)) return false;
  // Headless: clusterIP "None". Upstream also skips a Service with no ClusterIP at all.
  return spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIP !== 'None';
}

/**
 * Endpoints of one Service port across all its slices. Upstream uses the first address of
 * each endpoint and lets a later slice (by name) win for the same ip:port.
 */
export function endpointsForPort(
  slices: readonly V1EndpointSlice[], portName: string, protocol: Protocol, cfg: NodeConfig,
): Endpoint[] {
  const byAddr = new Map<string, Endpoint>();
  const sorted = [...slices].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const slice of sorted) {
    if (slice.addressType !== cfg.family) continue;
    const sp = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && protocolOf(p.protocol) === protocol);
    if (!sp || sp.port === undefined || sp.port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = addressOfFamily(ep.addresses?.[0], cfg.family);
      if (!ip) continue;
      const c = ep.conditions ?? {};
      const ready = c.ready ?? true;
      const e: Endpoint = {
        ip,
        port: sp.port,
        ready,
        // Upstream: serving nil means "same as ready" for older producers.
        serving: c.serving ?? ready,
        terminating: c.terminating ?? false,
        local: ep.nodeName !== undefined && ep.nodeName === cfg.nodeName,
      };
      if (ep.nodeName !== undefined) e.nodeName = ep.nodeName;
      byAddr.set(`${ip}:${sp.port}`, e);
    }
  }
  return [...byAddr.values()].sort(compareEndpoints);
}

export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareAddresses(a.ip, b.ip) || a.port - b.port;
}

/** Fixed-width hex of an address's bytes, so string order is numeric order. */
function sortKey(a: string): string {
  const m = DOTTED.exec(a);
  if (m) return m.slice(1).map((p) => Number(p).toString(16).padStart(2, '0')).join('');
  return `~${ipaddr.parse(a).toByteArray().map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function compareAddresses(a: string, b: string): number {
  const x = sortKey(a);
  const y = sortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One ServicePort per (port, protocol) of a proxied Service; [] when not proxied. */
export function servicePorts(svc: V1Service, slices: readonly V1EndpointSlice[], cfg: NodeConfig): ServicePort[] {
  if (!isProxied(svc, cfg)) return [];
  const spec = svc.spec!;
  const fam = cfg.family;
  const type = spec.type ?? 'ClusterIP';
  const clusterIPs = uniq((spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).map((a) => addressOfFamily(a, fam)));
  if (clusterIPs.length === 0) return []; // single-stack Service of the other family
  const isLB = type === 'LoadBalancer';
  const externalIPs = uniq((spec.externalIPs ?? []).map((a) => addressOfFamily(a, fam)));
  // ipMode Proxy (KEP-1860): the load balancer proxies, so the node must not short-circuit the IP.
  const loadBalancerIPs = isLB
    ? uniq((svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ipMode !== 'Proxy').map((i) => addressOfFamily(i.ip, fam)))
    : [];
  const loadBalancerSourceRanges = isLB ? uniq((spec.loadBalancerSourceRanges ?? []).map((r) => cidrOfFamily(r, fam))) : [];
  const affinityTimeout = spec.sessionAffinity === 'ClientIP'
    ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT
    : 0;
  const namespace = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  const out: ServicePort[] = [];
  for (const p of spec.ports ?? []) {
    const sp = portModel(svc, p, slices, cfg, { clusterIPs, externalIPs, loadBalancerIPs, loadBalancerSourceRanges, affinityTimeout, namespace, name });
    if (sp) out.push(sp);
  }
  return out;
}

interface Shared {
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  affinityTimeout: number;
  namespace: string;
  name: string;
}

function portModel(svc: V1Service, p: V1ServicePort, slices: readonly V1EndpointSlice[], cfg: NodeConfig, s: Shared): ServicePort | undefined {
  const protocol = protocolOf(p.protocol);
  if (!protocol) return undefined;
  const spec = svc.spec!;
  const type = spec.type ?? 'ClusterIP';
  const portName = p.name ?? '';
  const nodePort = (type === 'NodePort' || type === 'LoadBalancer') && p.nodePort ? p.nodePort : 0;
  const externallyAccessible = nodePort > 0 || s.externalIPs.length > 0 || s.loadBalancerIPs.length > 0;
  // Upstream: the external policy only means something for externally reachable Services.
  const externalLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const endpoints = endpointsForPort(slices, portName, protocol, cfg);
  const cat = categorizeEndpoints(endpoints, { internalLocal, externalLocal, externallyAccessible });
  return {
    key: servicePortKey(s.namespace, s.name, portName, protocol),
    id: { namespace: s.namespace, name: s.name, port: portName, protocol },
    port: p.port,
    clusterIPs: s.clusterIPs,
    externalIPs: s.externalIPs,
    loadBalancerIPs: s.loadBalancerIPs,
    loadBalancerSourceRanges: s.loadBalancerSourceRanges,
    nodePort,
    healthCheckNodePort: type === 'LoadBalancer' && externalLocal ? spec.healthCheckNodePort ?? 0 : 0,
    affinityTimeout: s.affinityTimeout,
    internalLocal,
    externalLocal,
    scheduler: schedulerOf(svc, cfg.scheduler),
    endpoints,
    ...cat,
  };
}

/** The whole model: every proxied Service's ports with the slices that name it. */
export function buildModel(services: readonly V1Service[], slices: readonly V1EndpointSlice[], cfg: NodeConfig): ProxyModel {
  const bySvc = groupSlices(slices, cfg);
  const ports = services.flatMap((svc) =>
    servicePorts(svc, bySvc.get(serviceKey(svc.metadata?.namespace, svc.metadata?.name)) ?? [], cfg));
  ports.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { family: cfg.family, services: ports };
}

export function groupSlices(slices: readonly V1EndpointSlice[], cfg: Pick<NodeConfig, 'serviceProxyName'>): Map<string, V1EndpointSlice[]> {
  const out = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const key = sliceServiceKey(slice);
    if (!key || optedOut(slice.metadata?.labels, cfg)) continue;
    const list = out.get(key) ?? [];
    list.push(slice);
    out.set(key, list);
  }
  return out;
}
