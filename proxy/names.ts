// Deterministic, bounded, recognisably-ours object names (DESIGN rule 4), in upstream
// kube-proxy's shape `svc-<hash>-ns/name/proto/port`: the hash makes a name unique even
// after the readable part is truncated; the readable part lets people (and the stale-object
// sweep) see which Service an object belongs to.
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePortName } from './types.js';

/** Object kinds and their prefixes. */
export type NameKind =
  | 'svc' // cluster-policy chain: picks among cluster-wide endpoints
  | 'svl' // local-policy chain: picks among this node's endpoints
  | 'ext' // external-traffic chain: NodePort / external IP / LB IP entry
  | 'fw' //  loadBalancerSourceRanges chain and its set
  | 'sep' // endpoint chain: hairpin mark + DNAT
  | 'aff' // ClientIP affinity set of one endpoint
  | 'mg' //  Maglev lookup map of the cluster-policy chain
  | 'mgl'; // Maglev lookup map of the local-policy chain

/** Longest readable part kept; names stay far below nft's 255-byte limit. */
export const MAX_READABLE = 96;

export function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Characters nft accepts unquoted in a name (format.ts IDENT) — everything else becomes `_`. */
const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9/_.-]/g, '_');

export function readablePort(id: ServicePortName): string {
  return `${id.namespace}/${id.name}/${id.protocol.toLowerCase()}/${id.port}`;
}

function bounded(kind: NameKind, identity: string, readable: string): string {
  return `${kind}-${hash8(`${kind}:${identity}`)}-${sanitize(readable).slice(0, MAX_READABLE)}`;
}

/** Name of a per-ServicePort object. */
export function portObjectName(kind: Exclude<NameKind, 'sep' | 'aff'>, id: ServicePortName): string {
  const r = readablePort(id);
  return bounded(kind, `${r}`, r);
}

/** Name of a per-endpoint object (endpoint chain, affinity set). */
export function endpointObjectName(kind: 'sep' | 'aff', id: ServicePortName, ep: Pick<Endpoint, 'ip' | 'port'>): string {
  const r = `${readablePort(id)}__${ep.ip}/${ep.port}`;
  return bounded(kind, r, r);
}

/** Every name hawser-proxy creates per Service starts with one of these. */
export const PER_SERVICE_PREFIX = /^(svc|svl|ext|fw|sep|aff|mgl?)-[0-9a-f]{8}-/;
