// Which allocated fields a Service needs, by type — pkg/registry/core/service/storage/alloc.go
// (needsClusterIP, needsNodePort, needsHCNodePort) — and the two update fix-ups the
// apiserver applies before allocating: patchAllocatedValues (a client that omits an
// allocated value on update keeps it) and dropTypeDependentFields (changing type away
// from NodePort/LoadBalancer/ClusterIP clears what the old type had allocated).
import type { Service } from '../types.js';

export const serviceType = (s: Service) => s.spec?.type ?? 'ClusterIP';

export const isHeadless = (s: Service) => s.spec?.clusterIP === 'None' || s.spec?.clusterIPs?.[0] === 'None';

export const needsClusterIP = (s: Service) => serviceType(s) !== 'ExternalName';

export const needsNodePort = (s: Service) => serviceType(s) === 'NodePort' || serviceType(s) === 'LoadBalancer';

/** LoadBalancer with allocateLoadBalancerNodePorts=false keeps only requested node ports. */
export const autoNodePorts = (s: Service) =>
  serviceType(s) === 'NodePort' || (serviceType(s) === 'LoadBalancer' && s.spec?.allocateLoadBalancerNodePorts !== false);

export const needsHealthCheckNodePort = (s: Service) =>
  serviceType(s) === 'LoadBalancer' && s.spec?.externalTrafficPolicy === 'Local';

/** The service's ClusterIPs as a list (clusterIPs wins; clusterIP is its first element). */
export function clusterIPsOf(s: Service): string[] {
  const list = s.spec?.clusterIPs;
  if (list && list.length > 0) return list;
  return s.spec?.clusterIP ? [s.spec.clusterIP] : [];
}

export function nodePortsOf(s: Service): number[] {
  return [...new Set((s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0))];
}

export function patchAllocatedValues(next: Service, old: Service): void {
  const spec = next.spec ?? (next.spec = {});
  if (needsClusterIP(old) && needsClusterIP(next)) {
    if (!spec.clusterIP && old.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if ((!spec.clusterIPs || spec.clusterIPs.length === 0) && old.spec?.clusterIPs?.length) spec.clusterIPs = [...old.spec.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(next)) {
    const inBoth = new Set(nodePortsOf(old).filter((p) => nodePortsOf(next).includes(p)));
    // Upstream maps old node ports by port *name*: the user may have changed other
    // properties of the port, and the name is what identifies it across updates.
    const byName = new Map((old.spec?.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const was = byName.get(p.name ?? '') ?? 0;
      if (was && !inBoth.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(next) && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = old.spec?.healthCheckNodePort;
  }
}

export function dropTypeDependentFields(next: Service, old: Service): void {
  const spec = next.spec ?? (next.spec = {});
  if (needsClusterIP(old) && !needsClusterIP(next)) {
    // Only cleared when the user left them as they were; a changed value is their
    // mistake to hear about from validation.
    if (sameList(clusterIPsOf(next), clusterIPsOf(old))) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
  }
  if (needsNodePort(old) && !needsNodePort(next)) {
    const oldPorts = new Set(nodePortsOf(old));
    for (const p of spec.ports ?? []) if (p.nodePort && oldPorts.has(p.nodePort)) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(next)) {
    if (spec.healthCheckNodePort === old.spec?.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  const needsETP = (x: Service) => serviceType(x) === 'NodePort' || serviceType(x) === 'LoadBalancer';
  if (needsETP(old) && !needsETP(next) && spec.externalTrafficPolicy === old.spec?.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (serviceType(old) === 'LoadBalancer' && serviceType(next) !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === old.spec?.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === old.spec?.loadBalancerClass) delete spec.loadBalancerClass;
  }
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
