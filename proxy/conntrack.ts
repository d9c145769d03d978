// Which UDP conntrack entries a sync makes stale (upstream pkg/proxy/conntrack/cleanup.go).
// UDP has no connection end: a client that keeps sending to a VIP keeps its conntrack entry
// — and so its old DNAT — forever. So after a sync: (1) flows DNATed to an endpoint that is
// gone must be deleted, or the client keeps talking to a dead pod; (2) flows to a VIP that
// had no endpoints (entries created while packets were rejected) must be deleted when
// endpoints appear. Pure: returns filters; the kernel side (`conntrack -D`) applies them.
import type { Endpoint, ServicePort } from './types.js';

/** One `conntrack -D` filter: every given field must match. */
export interface ConntrackFilter {
  proto: 'udp';
  /** Original destination address (the VIP). */
  origDst?: string;
  /** Original destination port (the Service port, or the NodePort). */
  origDport?: number;
  /** The address the flow was DNATed to (the endpoint). */
  dstNat?: string;
}

/** The endpoints the rules DNAT to: cluster-policy and local-policy endpoints. */
function usedEndpoints(p: ServicePort): Map<string, Endpoint> {
  return new Map([...p.clusterEndpoints, ...p.localEndpoints].map((e) => [e.ip, e]));
}

const vips = (p: ServicePort): string[] => [...p.clusterIPs, ...p.externalIPs, ...p.loadBalancerIPs];

/** Flows of one ServicePort's entry points, optionally only those DNATed to `endpoint`. */
function flowsOf(p: ServicePort, endpoint?: string): ConntrackFilter[] {
  const nat = endpoint !== undefined ? { dstNat: endpoint } : {};
  const out: ConntrackFilter[] = vips(p).map((ip) => ({ proto: 'udp', origDst: ip, origDport: p.port, ...nat }));
  // A NodePort answers on every local address: match the port only.
  if (p.nodePort > 0) out.push({ proto: 'udp', origDport: p.nodePort, ...nat });
  return out;
}

/**
 * Filters for the UDP flows that the change from `before` to `after` (the ServicePorts of
 * the Services a sync touched) leaves pointing at the wrong place.
 */
export function staleUdpFlows(before: readonly ServicePort[], after: readonly ServicePort[]): ConntrackFilter[] {
  const out: ConntrackFilter[] = [];
  const next = new Map(after.map((p) => [p.key, p]));
  for (const old of before) {
    if (old.id.protocol !== 'UDP') continue;
    const cur = next.get(old.key);
    const keep = cur ? usedEndpoints(cur) : new Map<string, Endpoint>();
    for (const ip of usedEndpoints(old).keys()) {
      // Same endpoint address still used (e.g. only its target port changed) still needs
      // cleaning when the port moved: compare address and port.
      const still = keep.get(ip);
      if (!still || still.port !== usedEndpoints(old).get(ip)!.port) out.push(...flowsOf(old, ip));
    }
  }
  const prev = new Map(before.map((p) => [p.key, p]));
  for (const cur of after) {
    if (cur.id.protocol !== 'UDP' || usedEndpoints(cur).size === 0) continue;
    const old = prev.get(cur.key);
    if (!old || usedEndpoints(old).size === 0) out.push(...flowsOf(cur));
  }
  return dedupe(out);
}

function dedupe(fs: ConntrackFilter[]): ConntrackFilter[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = JSON.stringify([f.origDst ?? null, f.origDport ?? null, f.dstNat ?? null]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
