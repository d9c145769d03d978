// EndpointSlices for one Service (pkg/controller/endpointslice and the shared
// k8s.io/endpointslice reconciler), as a pure function: (service, pods, existing slices)
// → creates, updates, deletes. Endpoints are grouped by address type and by their
// resolved port set (a named targetPort may resolve differently per pod); each group is
// packed into slices of at most 100 endpoints. Endpoints stay in the slice they are
// already in where possible, so a readiness change rewrites one slice, not all of them.
import type { Endpoint, EndpointPort, EndpointSlice, Node, OwnerReference, Pod, Service } from '../types.js';
import { findPort, isPodReady, isTerminating, matchesSelector, podIPs, selectorOf, shouldBeInEndpoints, shouldSetHostname } from './pods.js';
import { isHeadless } from '../allocators/service-fields.js';
import { parseAddress } from '../../net/address.js';

export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const MAX_ENDPOINTS_PER_SLICE = 100;

type AddressType = 'IPv4' | 'IPv6';

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export const isManagedSliceOf = (slice: EndpointSlice, svc: Service): boolean =>
  slice.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name && slice.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME;

function addressTypesOf(svc: Service): AddressType[] {
  const fams = svc.spec?.ipFamilies;
  if (fams && fams.length > 0) return [...new Set(fams)];
  // Services stored before ipFamilies existed: derive from the ClusterIP.
  const a = svc.spec?.clusterIP ? parseAddress(svc.spec.clusterIP) : undefined;
  return [a?.family === 6 ? 'IPv6' : 'IPv4'];
}

export function endpointPortsFor(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

export function podToEndpoint(pod: Pod, svc: Service, addressType: AddressType, nodes?: Map<string, Node>): Endpoint | undefined {
  const want = addressType === 'IPv4' ? 4 : 6;
  const ip = podIPs(pod).find((x) => parseAddress(x)?.family === want);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = isTerminating(pod);
  // Upstream: "ready" is never true for a terminating pod unless publishNotReadyAddresses.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  const nodeName = pod.spec?.nodeName;
  if (nodeName) {
    ep.nodeName = nodeName;
    const zone = nodes?.get(nodeName)?.metadata.labels?.['topology.kubernetes.io/zone'];
    if (zone) ep.zone = zone;
  }
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
  return ep;
}

const portsKey = (ports: EndpointPort[] | undefined): string =>
  JSON.stringify([...(ports ?? [])].map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? '']).sort());

const endpointKey = (e: Endpoint): string => e.targetRef?.uid || `${e.targetRef?.namespace}/${e.targetRef?.name}` || e.addresses.join(',');

function sliceLabels(svc: Service): Record<string, string> {
  // Service labels are copied (minus the reserved ones), as the upstream reconciler does.
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  delete labels[MANAGED_BY_LABEL];
  delete labels[SERVICE_NAME_LABEL];
  labels[SERVICE_NAME_LABEL] = svc.metadata.name!;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function ownerRefTo(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function newSlice(svc: Service, addressType: AddressType, ports: EndpointPort[] | undefined, endpoints: Endpoint[]): EndpointSlice {
  // Upstream truncates the service name so the generated name stays within 63 characters.
  const prefix = `${svc.metadata.name!.slice(0, 57)}-`;
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: prefix, namespace: svc.metadata.namespace, labels: sliceLabels(svc), ownerReferences: [ownerRefTo(svc)] },
    addressType,
    endpoints,
  };
  if (ports !== undefined) slice.ports = ports;
  return slice;
}

interface Group {
  addressType: AddressType;
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** Desired endpoints of a Service, grouped by (address type, port set). */
export function desiredGroups(svc: Service, pods: Pod[], nodes?: Map<string, Node>): Map<string, Group> {
  const groups = new Map<string, Group>();
  const sel = selectorOf(svc);
  if (!sel) return groups;
  // Select first, sort the few that match (sorting a namespace's every pod per reconcile
  // dominated the cost at thousands of pods).
  const selected = pods.filter((pod) => pod.metadata.namespace === svc.metadata.namespace && matchesSelector(sel, pod.metadata.labels) && shouldBeInEndpoints(pod, true));
  const sorted = selected.sort((a, b) => byString(a.metadata.name, b.metadata.name));
  for (const addressType of addressTypesOf(svc)) {
    for (const pod of sorted) {
      const ep = podToEndpoint(pod, svc, addressType, nodes);
      if (!ep) continue;
      const ports = endpointPortsFor(svc, pod);
      const key = `${addressType}|${portsKey(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType, ports, endpoints: new Map() }));
      g.endpoints.set(endpointKey(ep), ep);
    }
  }
  return groups;
}

/**
 * The plan for one Service. `existing` are the slices currently labelled as ours for it.
 * A Service with a selector and no endpoints keeps one empty "placeholder" slice, as
 * upstream does, so clients can tell "no endpoints" from "not processed yet".
 */
export function planSlices(svc: Service, pods: Pod[], existing: EndpointSlice[], nodes?: Map<string, Node>, maxPerSlice = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const mine = existing.filter((s) => isManagedSliceOf(s, svc));
  if (!selectorOf(svc) || svc.spec?.type === 'ExternalName') {
    plan.delete.push(...mine);
    return plan;
  }
  const groups = desiredGroups(svc, pods, nodes);
  const labels = sliceLabels(svc);
  const placed = new Set<string>();
  const keep = new Set<EndpointSlice>();

  for (const [key, g] of groups) {
    const candidates = mine.filter((s) => `${s.addressType}|${portsKey(s.ports)}` === key);
    const slots: Array<{ slice: EndpointSlice; endpoints: Endpoint[]; isNew: boolean }> = [];
    // 1. Each existing slice keeps the endpoints it holds that are still wanted (updated).
    for (const s of candidates) {
      const kept: Endpoint[] = [];
      for (const e of s.endpoints ?? []) {
        const k = endpointKey(e);
        const want = g.endpoints.get(k);
        if (want && !placed.has(k) && kept.length < maxPerSlice) {
          kept.push(want);
          placed.add(k);
        }
      }
      slots.push({ slice: s, endpoints: kept, isNew: false });
    }
    // 2. New endpoints fill the existing slices with room, then new slices.
    for (const [k, e] of g.endpoints) {
      if (placed.has(k)) continue;
      placed.add(k);
      let slot = slots.find((x) => x.endpoints.length < maxPerSlice);
      if (!slot) slots.push((slot = { slice: newSlice(svc, g.addressType, g.ports, []), endpoints: [], isNew: true }));
      slot.endpoints.push(e);
    }
    for (const slot of slots) {
      if (slot.endpoints.length === 0) continue; // emptied slices are deleted below
      if (slot.isNew) {
        slot.slice.endpoints = slot.endpoints;
        plan.create.push(slot.slice);
        continue;
      }
      keep.add(slot.slice);
      const next = withContent(slot.slice, labels, svc, g.ports, slot.endpoints);
      if (next) plan.update.push(next);
    }
  }

  if (groups.size === 0) {
    // The placeholder: reuse one of ours if any, else create it.
    const addressType = addressTypesOf(svc)[0]!;
    const reuse = mine.find((s) => s.addressType === addressType);
    if (reuse) {
      keep.add(reuse);
      const next = withContent(reuse, labels, svc, undefined, []);
      if (next) plan.update.push(next);
    } else {
      plan.create.push(newSlice(svc, addressType, undefined, []));
    }
  }
  for (const s of mine) if (!keep.has(s)) plan.delete.push(s);
  return plan;
}

/** The slice with the desired content, or undefined when it already has it. */
function withContent(s: EndpointSlice, labels: Record<string, string>, svc: Service, ports: EndpointPort[] | undefined, endpoints: Endpoint[]): EndpointSlice | undefined {
  const owner = ownerRefTo(svc);
  const sameOwner = (s.metadata.ownerReferences ?? []).some((o) => o.uid === owner.uid && o.controller);
  const same = sameOwner
    && JSON.stringify(sortedEntries(s.metadata.labels)) === JSON.stringify(sortedEntries(labels))
    && portsKey(s.ports) === portsKey(ports)
    && JSON.stringify(normalise(s.endpoints ?? [])) === JSON.stringify(normalise(endpoints));
  if (same) return undefined;
  const next: EndpointSlice = {
    ...s,
    metadata: { ...s.metadata, labels: { ...(s.metadata.labels ?? {}), ...labels }, ownerReferences: sameOwner ? s.metadata.ownerReferences : [owner] },
    endpoints,
  };
  if (ports !== undefined) next.ports = ports;
  else delete next.ports;
  return next;
}

const sortedEntries = (o: Record<string, string> | undefined) => Object.entries(o ?? {}).sort(([a], [b]) => byString(a, b));

/** Code-unit order: deterministic and far cheaper than localeCompare. */
export const byString = (a: string | undefined, b: string | undefined): number => {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Endpoints compared field by field in a fixed key order (stored JSON may order keys differently). */
function normalise(eps: Endpoint[]): unknown[] {
  return eps.map((e) => [
    e.addresses, !!e.conditions?.ready, !!e.conditions?.serving, !!e.conditions?.terminating,
    e.nodeName ?? '', e.zone ?? '', e.hostname ?? '', e.targetRef?.uid ?? '', e.targetRef?.name ?? '',
  ]);
}
