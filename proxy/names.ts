// Deterministic, bounded, recognisably-ours object names (DESIGN rule 4), in upstream
// kube-proxy's shape `svc-<hash>-ns/name/proto/port`: the hash makes a name unique even
// after the readable part is truncated; the readable part lets people (and the stale-object
// sweep) see which Service an object belongs to.
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

/**
 * FNV-1a, 32 bits, as 8 hex digits. Not cryptographic: it only has to be stable and spread
 * names; a full sync names ~13 objects per Service and sha256 cost 1.6 s for 10k Services.
 */
export function hash8(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Characters nft accepts unquoted in a name (format.ts IDENT) — everything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9/_.-]/;
const sanitize = (s: string): string => (UNSAFE.test(s) ? s.replace(/[^A-Za-z0-9/_.-]/g, '_') : s);

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
