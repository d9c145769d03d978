// The core/v1 Endpoints object of a Service (pkg/controller/endpoint), kept so that
// `kubectl describe svc` and older clients see endpoints. Addresses are grouped into
// subsets by identical port sets (endpoints.RepackSubsets); ready pods go to `addresses`,
// others to `notReadyAddresses`; terminating pods are left out unless
// publishNotReadyAddresses. Upstream caps an Endpoints object at 1000 addresses and marks
// it with the over-capacity annotation.
import type { Endpoints, EndpointsSubset, Pod, Service } from '../types.js';
import { isHeadless } from '../allocators/service-fields.js';
import { findPort, isPodReady, matchesSelector, podIPs, selectorOf, shouldBeInEndpoints, shouldSetHostname } from './pods.js';
import { HEADLESS_LABEL, byString } from './slices.js';

export const MAX_ENDPOINTS_ADDRESSES = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

type Address = NonNullable<EndpointsSubset['addresses']>[number];
type Port = NonNullable<EndpointsSubset['ports']>[number];

export function desiredEndpoints(svc: Service, pods: Pod[]): Endpoints | undefined {
  if (!selectorOf(svc) || svc.spec?.type === 'ExternalName') return undefined;
  const sel = selectorOf(svc)!;
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const bySubset = new Map<string, { ports: Port[]; ready: Address[]; notReady: Address[] }>();
  let total = 0;
  const sorted = pods
    .filter((pod) => pod.metadata.namespace === svc.metadata.namespace && matchesSelector(sel, pod.metadata.labels) && shouldBeInEndpoints(pod, publishNotReady))
    .sort((a, b) => byString(a.metadata.name, b.metadata.name));
  for (const pod of sorted) {
    const ip = podIPs(pod)[0]!;
    const addr: Address = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid } };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname;
    const ports: Port[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const p: Port = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    // A pod that resolves none of several ports has nothing to offer (upstream skips it);
    // a Service without ports (headless) still lists its pods.
    if (ports.length === 0 && (svc.spec?.ports ?? []).length > 0) continue;
    if (total >= MAX_ENDPOINTS_ADDRESSES) {
      total++;
      continue;
    }
    total++;
    const key = JSON.stringify(ports.map((p) => [p.name, p.port, p.protocol]).sort());
    let s = bySubset.get(key);
    if (!s) bySubset.set(key, (s = { ports, ready: [], notReady: [] }));
    (publishNotReady || isPodReady(pod) ? s.ready : s.notReady).push(addr);
  }
  const subsets: EndpointsSubset[] = [];
  for (const s of bySubset.values()) {
    const sub: EndpointsSubset = {};
    if (s.ready.length) sub.addresses = s.ready.sort((a, b) => byString(a.ip, b.ip));
    if (s.notReady.length) sub.notReadyAddresses = s.notReady.sort((a, b) => byString(a.ip, b.ip));
    if (s.ports.length) sub.ports = s.ports;
    subsets.push(sub);
  }
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  const ep: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels },
    subsets,
  };
  if (total > MAX_ENDPOINTS_ADDRESSES) ep.metadata.annotations = { [OVER_CAPACITY_ANNOTATION]: 'truncated' };
  return ep;
}

/** True when `current` already holds what `desired` says (ignoring server-set metadata). */
export function endpointsEqual(current: Endpoints, desired: Endpoints): boolean {
  const norm = (e: Endpoints) => JSON.stringify([
    Object.entries(e.metadata.labels ?? {}).sort(),
    e.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] ?? '',
    (e.subsets ?? []).map((s) => [
      (s.addresses ?? []).map((a) => [a.ip, a.nodeName ?? '', a.hostname ?? '', a.targetRef?.uid ?? '']),
      (s.notReadyAddresses ?? []).map((a) => [a.ip, a.nodeName ?? '', a.hostname ?? '', a.targetRef?.uid ?? '']),
      (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']),
    ]),
  ]);
  return norm(current) === norm(desired);
}
