// Which endpoints a node may use for one ServicePort, following upstream kube-proxy's
// CategorizeEndpoints (pkg/proxy/topology.go): ready endpoints first; terminating-but-serving
// ones only when there is no ready one (KEP-1669, for both Cluster and Local policies).
// Topology hints are not honoured yet (every ready endpoint is a cluster endpoint).
import type { Endpoint } from './types.js';

export interface PolicyFlags {
  internalLocal: boolean;
  externalLocal: boolean;
  /** The Service has a NodePort, external IPs or LB ingress IPs. */
  externallyAccessible: boolean;
}

export interface Categorized {
  clusterEndpoints: Endpoint[];
  localEndpoints: Endpoint[];
  hasAnyEndpoints: boolean;
}

/** Upstream ServicePort.UsesClusterEndpoints: some traffic is subject to the Cluster policy. */
export function usesClusterEndpoints(p: PolicyFlags): boolean {
  return !p.internalLocal || (p.externallyAccessible && !p.externalLocal);
}

/** Upstream ServicePort.UsesLocalEndpoints: some traffic is subject to a Local policy. */
export function usesLocalEndpoints(p: PolicyFlags): boolean {
  return p.internalLocal || (p.externallyAccessible && p.externalLocal);
}

const servingTerminating = (e: Endpoint): boolean => e.serving && e.terminating;

export function categorizeEndpoints(endpoints: readonly Endpoint[], p: PolicyFlags): Categorized {
  let clusterEndpoints: Endpoint[] = [];
  let localEndpoints: Endpoint[] = [];
  let hasAnyEndpoints = false;
  if (usesClusterEndpoints(p)) {
    clusterEndpoints = endpoints.filter((e) => e.ready);
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter(servingTerminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (usesLocalEndpoints(p)) {
    // Upstream pre-scans all endpoints: a Local policy with no local endpoint still
    // "has endpoints" when some other node has one, which turns REJECT into DROP.
    if (endpoints.some((e) => e.ready || servingTerminating(e))) hasAnyEndpoints = true;
    localEndpoints = endpoints.filter((e) => e.local && e.ready);
    if (localEndpoints.length === 0) localEndpoints = endpoints.filter((e) => e.local && servingTerminating(e));
  }
  return { clusterEndpoints, localEndpoints, hasAnyEndpoints };
}
