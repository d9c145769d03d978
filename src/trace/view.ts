// Gathering what `hawser trace` walks, from the live cluster: Pods, Services and Nodes
// through the API, and each node's applied tables, addresses and routes from its agent
// (GET /v1/trace-state on the agent's unix socket). Plus parsing the --from / --to words.
import { request, Agent } from 'undici';
import type { Rest } from '../kubelet/rest.js';
import type { ClusterView, NodeTraceState, TracePod, TraceSource, TraceTarget } from './cluster.js';

interface Obj { metadata: { name: string; namespace?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> }
interface List { items: Obj[] }
interface SvcPort { name?: string; port: number; protocol?: string; nodePort?: number }

export interface ApiObjects { pods: Obj[]; services: Obj[]; nodes: Obj[] }

export async function fetchApiObjects(api: Rest): Promise<ApiObjects> {
  const [pods, services, nodes] = await Promise.all([
    api.get<List>('/api/v1/pods'), api.get<List>('/api/v1/services'), api.get<List>('/api/v1/nodes'),
  ]);
  return { pods: pods.items, services: services.items, nodes: nodes.items };
}

export async function fetchNodeState(socketPath: string): Promise<NodeTraceState> {
  const dispatcher = new Agent({ connect: { socketPath } });
  try {
    const r = await request('http://agent/v1/trace-state', { dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const body = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`agent at ${socketPath} answered ${r.statusCode}: ${body}`);
    return JSON.parse(body) as NodeTraceState;
  } finally {
    await dispatcher.close();
  }
}

export function tracePods(objs: ApiObjects): TracePod[] {
  return objs.pods
    .filter((p) => typeof p.status?.podIP === 'string' && p.spec?.hostNetwork !== true && p.spec?.nodeName)
    .map((p) => ({ namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, ip: String(p.status!.podIP), node: String(p.spec!.nodeName) }));
}

export function buildView(objs: ApiObjects, nodes: NodeTraceState[], externalIP: string): ClusterView {
  return { nodes, pods: tracePods(objs), externalIP };
}

const PROTOS = ['tcp', 'udp', 'sctp'] as const;
type Proto = (typeof PROTOS)[number];

export function parseProto(p: string): Proto {
  const l = p.toLowerCase();
  if (!(PROTOS as readonly string[]).includes(l)) throw new Error(`--proto must be tcp, udp or sctp, not ${p}`);
  return l as Proto;
}

const nsName = (ref: string): [string, string] => {
  const [a, b] = ref.split('/');
  return b === undefined ? ['default', a!] : [a!, b];
};

/** `pod ns/name` | `node NAME` | `external` | an IP (a pod's, a node's, or any outside address). */
export function resolveSource(word: string, view: ClusterView, objs: ApiObjects): TraceSource {
  const [kind, rest] = splitKind(word);
  if (kind === 'external') return { kind: 'external', ip: rest || view.externalIP };
  if (kind === 'node') {
    if (!objs.nodes.some((n) => n.metadata.name === rest)) throw new Error(`no node ${rest}`);
    return { kind: 'node', node: rest };
  }
  if (kind === 'pod') {
    const [ns, name] = nsName(rest);
    const pod = view.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod) throw new Error(`no running pod ${ns}/${name} with an address`);
    return { kind: 'pod', pod };
  }
  const ip = rest;
  const pod = view.pods.find((p) => p.ip === ip);
  if (pod) return { kind: 'pod', pod };
  const node = view.nodes.find((n) => n.addresses.some((a) => a.cidr.split('/')[0] === ip));
  if (node) return { kind: 'node', node: node.node };
  return { kind: 'external', ip };
}

/** `svc ns/name[:port]` | `pod ns/name[:port]` | `IP:port`. A port is a number or a port name. */
export function resolveTarget(word: string, proto: Proto | undefined, view: ClusterView, objs: ApiObjects): TraceTarget {
  const [kind, rest] = splitKind(word);
  if (kind === 'svc' || kind === 'service') {
    const [ref, portWord] = splitPort(rest);
    const [ns, name] = nsName(ref);
    const svc = objs.services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
    if (!svc) throw new Error(`no service ${ns}/${name}`);
    const ip = String(svc.spec?.clusterIP ?? '');
    if (!ip || ip === 'None') throw new Error(`service ${ns}/${name} has no ClusterIP (headless or ExternalName): trace a pod instead`);
    const ports = (svc.spec?.ports ?? []) as SvcPort[];
    const p = portWord === undefined ? ports.find((x) => !proto || (x.protocol ?? 'TCP').toLowerCase() === proto)
      : ports.find((x) => (x.name === portWord || String(x.port) === portWord) && (!proto || (x.protocol ?? 'TCP').toLowerCase() === proto));
    if (!p) throw new Error(`service ${ns}/${name} has no port ${portWord ?? ''}${proto ? ` on ${proto}` : ''}`);
    return { ip, port: p.port, proto: proto ?? parseProto(p.protocol ?? 'TCP'), label: `svc ${ns}/${name}:${p.port} (${ip}:${p.port})` };
  }
  if (kind === 'pod') {
    const [ref, portWord] = splitPort(rest);
    const [ns, name] = nsName(ref);
    const pod = view.pods.find((x) => x.namespace === ns && x.name === name);
    if (!pod) throw new Error(`no running pod ${ns}/${name} with an address`);
    const port = portWord === undefined ? 80 : Number(portWord);
    if (!Number.isInteger(port)) throw new Error(`pod ports are numbers here, not ${portWord}`);
    return { ip: pod.ip, port, proto: proto ?? 'tcp', label: `pod ${ns}/${name}:${port} (${pod.ip}:${port})` };
  }
  const [ip, portWord] = splitPort(rest);
  const port = Number(portWord);
  if (!portWord || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--to ${word}: give IP:port, svc ns/name[:port] or pod ns/name[:port]`);
  return { ip: ip.replace(/^\[|\]$/g, ''), port, proto: proto ?? 'tcp' };
}

function splitKind(word: string): [string, string] {
  const m = /^(pod|node|svc|service|external)(?:[\s/:=]+(.*))?$/.exec(word.trim());
  if (m) return [m[1]!, (m[2] ?? '').trim()];
  return ['ip', word.trim()];
}

function splitPort(ref: string): [string, string | undefined] {
  const m = /^(.*?)(?::([A-Za-z0-9-]+))?$/.exec(ref);
  // An IPv6 address without brackets has colons of its own: no port then.
  if (ref.split(':').length > 2 && !ref.startsWith('[')) return [ref, undefined];
  return [m![1]!, m![2]];
}

export interface ViewSource {
  api: Rest;
  /** Node name → its agent's trace-state socket. Nodes without one are left out (and said so). */
  sockets: Map<string, string>;
  externalIP: string;
  externalRoutes?: Array<{ dst: string; via?: string }>;
}

/** The live cluster as the tracer walks it, plus the nodes whose agent did not answer. */
export async function gatherView(src: ViewSource): Promise<{ view: ClusterView; objs: ApiObjects; missing: Array<{ node: string; error: string }> }> {
  const objs = await fetchApiObjects(src.api);
  const missing: Array<{ node: string; error: string }> = [];
  const states = await Promise.all(objs.nodes.map(async (n) => {
    const sock = src.sockets.get(n.metadata.name);
    if (!sock) { missing.push({ node: n.metadata.name, error: 'no agent socket known for this node (--agent-socket NODE=PATH)' }); return undefined; }
    try { return await fetchNodeState(sock); } catch (err) { missing.push({ node: n.metadata.name, error: String(err) }); return undefined; }
  }));
  const view = buildView(objs, states.filter((s): s is NodeTraceState => s !== undefined), src.externalIP);
  if (src.externalRoutes) view.externalRoutes = src.externalRoutes;
  return { view, objs, missing };
}
