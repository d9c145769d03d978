// Deterministic, bounded object names for table hawser-policy (DESIGN rule 4):
// `<kind>-<8 hex>-<readable>`. The hash is over the object's identity so two objects never
// share a name however the readable part is truncated; the readable part lets a person
// reading `nft list ruleset` (or a counter dump) find the policy or pod it belongs to.
import { createHash } from 'node:crypto';

export const TABLE = 'hawser-policy';

/** Bounds every name well under nft's 255-byte limit and keeps `nft list` lines readable. */
const READABLE_MAX = 48;

export function hash8(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 8);
}

/** nft's scanner reads unquoted names as [A-Za-z_.][A-Za-z0-9/_.-]*: anything else becomes `_`. */
export function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9/_.-]/g, '_').slice(0, READABLE_MAX);
}

export function objectName(kind: string, identity: string, readable: string): string {
  return `${kind}-${hash8(identity)}-${sanitize(readable)}`;
}

/** Kinds of objects, by prefix: a leftover sweep or the tracer can tell them apart. */
export const KIND = {
  /** Per-pod ingress chain (jumped to from map ingress-pods). */
  ingressChain: 'ing',
  /** Per-pod egress chain (jumped to from map egress-pods). */
  egressChain: 'egr',
  /** Addresses of the pods a rule's selector peers select. */
  peerPods: 'pp',
  /** A rule's ipBlock peers: cidr minus except, as an interval set. */
  peerCidrs: 'pc',
  /** A port list (protocol . port range), shared by every rule that resolves to it. */
  ports: 'pt',
  /** Egress named ports: (destination pod address . protocol . its resolved port). */
  namedPorts: 'pn',
} as const;

/** A comment is at most 128 bytes (NFT_USERDATA_MAXLEN) and cannot hold a quote. */
export function safeComment(s: string): string {
  return s.replace(/["\\\n\r]/g, '_').slice(0, 128);
}
