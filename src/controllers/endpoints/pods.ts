// Per-pod facts both endpoint controllers need, as upstream computes them
// (pkg/api/v1/pod util, pkg/controller/util/endpoint): readiness, whether a pod belongs in
// endpoints at all, and named targetPort resolution (podutil.FindPort).
import type { Pod, Service, ServicePort } from '../types.js';

export const isPodReady = (p: Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const isTerminating = (p: Pod): boolean => !!p.metadata.deletionTimestamp;

export function podIPs(p: Pod): string[] {
  const list = (p.status?.podIPs ?? []).map((x) => x.ip).filter(Boolean);
  if (list.length > 0) return list;
  return p.status?.podIP ? [p.status.podIP] : [];
}

/**
 * ShouldPodBeInEndpoints: terminal pods (Succeeded/Failed) and pods without an IP never
 * are; terminating ones only when the caller includes them (EndpointSlices always do,
 * legacy Endpoints only with publishNotReadyAddresses).
 */
export function shouldBeInEndpoints(p: Pod, includeTerminating: boolean): boolean {
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIPs(p).length === 0) return false;
  if (!includeTerminating && isTerminating(p)) return false;
  return true;
}

/**
 * The container port a service port targets on this pod. A number is taken as is (even if
 * no container declares it); a name must match a container port of the same protocol —
 * otherwise the pod has no endpoint for that service port.
 */
export function findPort(p: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return undefined; // a digit string is a (bad) name, as in upstream
  const protocol = sp.protocol ?? 'TCP';
  const containers = [
    ...(p.spec?.containers ?? []),
    // Restartable init containers (sidecars) count too, since Kubernetes 1.29.
    ...((p.spec?.initContainers as Array<{ restartPolicy?: string; ports?: Array<{ name?: string; containerPort: number; protocol?: string }> }> | undefined) ?? [])
      .filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const cp of c.ports ?? []) if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
  }
  return undefined;
}

/** ShouldSetHostname: a pod's hostname is published when its subdomain names the Service. */
export const shouldSetHostname = (p: Pod, s: Service): boolean =>
  !!p.spec?.hostname && p.spec?.subdomain === s.metadata.name && p.metadata.namespace === s.metadata.namespace;

export const selectorOf = (s: Service): Record<string, string> | undefined => {
  const sel = s.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
};

export const matchesSelector = (sel: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(sel).every(([k, v]) => labels?.[k] === v);
