// Service defaulting and validation (pkg/apis/core/v1/defaults.go SetDefaults_Service,
// pkg/apis/core/validation ValidateService, pkg/registry/core/service strategy): the
// fields the proxy depends on must look exactly as a real apiserver would store them.
import ipaddr from 'ipaddr.js';
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { dns1123Label, dns1123Subdomain, ianaServiceName } from '../../k8s/names.js';
import { duplicate, forbiddenField, invalidValue, notSupported, required, type FieldError } from '../errors.js';
import type { Strategy } from '../registry.js';
import { PROTOCOLS, isInt, objects, spec } from './util.js';

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

function familyOf(ip: string): 'IPv4' | 'IPv6' | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  return ipaddr.parse(ip).kind() === 'ipv6' ? 'IPv6' : 'IPv4';
}

export function defaultService(obj: KubeObject): void {
  const s = spec(obj);
  s.type ??= 'ClusterIP';
  s.sessionAffinity ??= 'None';
  if (s.sessionAffinity === 'ClientIP') {
    const cfg = (s.sessionAffinityConfig ??= {}) as Record<string, unknown>;
    const cip = (cfg.clientIP ??= {}) as Record<string, unknown>;
    cip.timeoutSeconds ??= 10800;
  }
  for (const p of objects(s.ports)) {
    p.protocol ??= 'TCP';
    // Upstream: a zero/empty targetPort means "same as port".
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (s.type === 'ExternalName') return;
  s.internalTrafficPolicy ??= 'Cluster';
  if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ??= 'Cluster';
  if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
  if (typeof s.clusterIP === 'string' && s.clusterIP !== '' && !Array.isArray(s.clusterIPs)) s.clusterIPs = [s.clusterIP];
  if (Array.isArray(s.clusterIPs) && s.clusterIPs.length > 0 && (s.clusterIP === undefined || s.clusterIP === '')) s.clusterIP = s.clusterIPs[0];
  s.ipFamilyPolicy ??= 'SingleStack';
  if (!Array.isArray(s.ipFamilies) || s.ipFamilies.length === 0) {
    const ips = Array.isArray(s.clusterIPs) ? (s.clusterIPs as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    const fams = ips.map(familyOf).filter((f): f is 'IPv4' | 'IPv6' => !!f);
    // Headless services without IPs take the cluster's primary family (IPv4 here).
    s.ipFamilies = fams.length ? fams : ['IPv4'];
  }
}

function validatePorts(s: Record<string, unknown>, errs: FieldError[]): void {
  const ports = objects(s.ports);
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && (p.name === undefined || p.name === '')) errs.push(required(`${f}.name`));
    if (typeof p.name === 'string' && p.name !== '') {
      for (const m of dns1123Label(p.name)) errs.push(invalidValue(`${f}.name`, p.name, m));
      if (names.has(p.name)) errs.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (!isInt(p.port) || p.port < 1 || p.port > 65535) errs.push(invalidValue(`${f}.port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
    if (!PROTOCOLS.includes(p.protocol as string)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
    const tp = p.targetPort;
    if (typeof tp === 'number') {
      if (!isInt(tp) || tp < 1 || tp > 65535) errs.push(invalidValue(`${f}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
    } else if (typeof tp === 'string') {
      for (const m of ianaServiceName(tp)) errs.push(invalidValue(`${f}.targetPort`, tp, m));
    } else if (tp !== undefined) {
      errs.push(invalidValue(`${f}.targetPort`, tp, 'must be an integer or a port name'));
    }
    if (p.nodePort !== undefined && (!isInt(p.nodePort) || p.nodePort < 0 || p.nodePort > 65535)) {
      errs.push(invalidValue(`${f}.nodePort`, p.nodePort, 'must be between 1 and 65535, inclusive'));
    }
    if (p.nodePort !== undefined && p.nodePort !== 0 && s.type !== 'NodePort' && s.type !== 'LoadBalancer') {
      errs.push(forbiddenField(`${f}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
    }
    const key = `${p.port}/${p.protocol}`;
    if (keys.has(key)) errs.push(duplicate(f, { port: p.port, protocol: p.protocol }));
    keys.add(key);
  });
}

export function validateService(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = isPlainObject(obj.spec) ? obj.spec : {};
  if (!TYPES.includes(s.type as string)) errs.push(notSupported('spec.type', s.type, TYPES));
  if (!['None', 'ClientIP'].includes(s.sessionAffinity as string)) errs.push(notSupported('spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']));
  const headless = s.clusterIP === 'None';
  if (s.type === 'ExternalName') {
    if (typeof s.externalName !== 'string' || s.externalName === '') errs.push(required('spec.externalName'));
    else for (const m of dns1123Subdomain(s.externalName.replace(/\.$/, ''))) errs.push(invalidValue('spec.externalName', s.externalName, m));
  } else {
    if (!headless && objects(s.ports).length === 0) errs.push(required('spec.ports'));
    if (headless && (s.type === 'NodePort' || s.type === 'LoadBalancer')) {
      errs.push(invalidValue('spec.clusterIPs[0]', 'None', 'may not be set to \'None\' for LoadBalancer services or NodePort services'));
    }
  }
  validatePorts(s, errs);
  if (typeof s.clusterIP === 'string' && s.clusterIP !== '' && s.clusterIP !== 'None' && !familyOf(s.clusterIP)) {
    errs.push(invalidValue('spec.clusterIPs[0]', s.clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  if (Array.isArray(s.clusterIPs) && s.clusterIPs.length > 0 && s.clusterIP !== undefined && s.clusterIPs[0] !== s.clusterIP) {
    errs.push(invalidValue('spec.clusterIPs', s.clusterIPs, 'first value must match `clusterIP`'));
  }
  if (s.externalTrafficPolicy !== undefined && s.type !== 'NodePort' && s.type !== 'LoadBalancer') {
    errs.push(invalidValue('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''));
  } else if (s.externalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(s.externalTrafficPolicy as string)) {
    errs.push(notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.internalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(s.internalTrafficPolicy as string)) {
    errs.push(notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (Array.isArray(s.externalIPs)) {
    s.externalIPs.forEach((ip, i) => {
      if (typeof ip !== 'string' || !familyOf(ip)) errs.push(invalidValue(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    });
  }
  return errs;
}

/** Allocated values survive an update that leaves them empty (upstream patchAllocatedValues). */
function keepAllocated(obj: KubeObject, old: KubeObject): void {
  const s = spec(obj);
  const o = isPlainObject(old.spec) ? old.spec : {};
  const needsIP = (t: unknown) => t !== 'ExternalName';
  if (needsIP(s.type) && needsIP(o.type) && (s.clusterIP === undefined || s.clusterIP === '') && typeof o.clusterIP === 'string' && o.clusterIP !== '') {
    s.clusterIP = o.clusterIP;
    s.clusterIPs = o.clusterIPs;
  }
  const oldPorts = objects(o.ports);
  for (const p of objects(s.ports)) {
    if (p.nodePort === undefined || p.nodePort === 0) {
      const prev = oldPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (prev && isInt(prev.nodePort) && prev.nodePort > 0 && (s.type === 'NodePort' || s.type === 'LoadBalancer')) p.nodePort = prev.nodePort;
    }
  }
  if (s.healthCheckNodePort === undefined && o.healthCheckNodePort !== undefined && s.type === 'LoadBalancer') s.healthCheckNodePort = o.healthCheckNodePort;
}

export function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const s = isPlainObject(obj.spec) ? obj.spec : {};
  const o = isPlainObject(old.spec) ? old.spec : {};
  const errs: FieldError[] = [];
  // ClusterIP is immutable once set, except when the type changes to/from ExternalName.
  if (s.type !== 'ExternalName' && o.type !== 'ExternalName' && typeof o.clusterIP === 'string' && o.clusterIP !== '' && s.clusterIP !== o.clusterIP) {
    errs.push(invalidValue('spec.clusterIPs[0]', s.clusterIP ?? '', 'may not change once set'));
  }
  return errs;
}

export const serviceStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  defaults: defaultService,
  validate: validateService,
  prepareForUpdate: keepAllocated,
  validateUpdate: validateServiceUpdate,
};
