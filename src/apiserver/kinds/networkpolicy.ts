// NetworkPolicy defaulting and validation (pkg/apis/networking/v1/defaults.go,
// pkg/apis/networking/validation). policyTypes defaulting is the classic trap: Ingress is
// always implied, Egress only when egress rules exist.
import ipaddr from 'ipaddr.js';
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { ianaServiceName } from '../../k8s/names.js';
import { forbiddenField, invalidValue, notSupported, required, type FieldError } from '../errors.js';
import type { Strategy } from '../registry.js';
import { validateLabelSelector } from './selectors.js';
import { PROTOCOLS, asArray, isInt, objects, spec } from './util.js';

export function defaultNetworkPolicy(obj: KubeObject): void {
  const s = spec(obj);
  if (!isPlainObject(s.podSelector)) s.podSelector = {};
  for (const dir of ['ingress', 'egress'] as const) {
    for (const rule of objects(s[dir])) for (const p of objects(rule.ports)) p.protocol ??= 'TCP';
  }
  if (!Array.isArray(s.policyTypes) || s.policyTypes.length === 0) {
    const types = ['Ingress'];
    if (asArray(s.egress).length > 0) types.push('Egress');
    s.policyTypes = types;
  }
}

function validatePort(p: Record<string, unknown>, f: string, errs: FieldError[]): void {
  if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol as string)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  const port = p.port;
  if (typeof port === 'number') {
    if (!isInt(port) || port < 1 || port > 65535) errs.push(invalidValue(`${f}.port`, port, 'must be between 1 and 65535, inclusive'));
  } else if (typeof port === 'string') {
    for (const m of ianaServiceName(port)) errs.push(invalidValue(`${f}.port`, port, m));
  }
  if (p.endPort !== undefined && p.endPort !== null) {
    const end = p.endPort;
    if (port === undefined || port === null) {
      errs.push(required(`${f}.port`, 'must specify port when endPort is specified'));
    } else if (typeof port === 'string') {
      errs.push(forbiddenField(`${f}.endPort`, 'may not be specified when `port` is non-numeric'));
    } else if (!isInt(end) || end < (port as number)) {
      errs.push(invalidValue(`${f}.endPort`, end, 'must be greater than or equal to `port`'));
    } else if (end > 65535) {
      errs.push(invalidValue(`${f}.endPort`, end, 'must be between 1 and 65535, inclusive'));
    }
  }
}

function parseCidr(c: unknown): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  if (typeof c !== 'string') return undefined;
  try {
    return ipaddr.parseCIDR(c);
  } catch {
    return undefined;
  }
}

function validatePeer(peer: Record<string, unknown>, f: string, errs: FieldError[]): void {
  const sels = ['podSelector', 'namespaceSelector'].filter((k) => peer[k] !== undefined && peer[k] !== null);
  const hasBlock = peer.ipBlock !== undefined && peer.ipBlock !== null;
  if (sels.length === 0 && !hasBlock) errs.push(required(f, 'must specify a peer'));
  if (hasBlock && sels.length > 0) errs.push(forbiddenField(f, 'may not specify more than 1 peer type'));
  for (const k of sels) validateLabelSelector(peer[k], `${f}.${k}`, errs);
  if (hasBlock) {
    const b = isPlainObject(peer.ipBlock) ? peer.ipBlock : {};
    const cidr = parseCidr(b.cidr);
    if (b.cidr === undefined || b.cidr === '') errs.push(required(`${f}.ipBlock.cidr`));
    else if (!cidr) errs.push(invalidValue(`${f}.ipBlock.cidr`, b.cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    asArray(b.except).forEach((e, i) => {
      const ex = parseCidr(e);
      const ef = `${f}.ipBlock.except[${i}]`;
      if (!ex) errs.push(invalidValue(ef, e, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
      else if (cidr && (ex[0].kind() !== cidr[0].kind() || ex[1] < cidr[1] || !ex[0].match(cidr))) {
        errs.push(invalidValue(ef, e, 'must be a strict subset of `cidr`'));
      }
    });
  }
}

export function validateNetworkPolicy(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = isPlainObject(obj.spec) ? obj.spec : {};
  validateLabelSelector(s.podSelector, 'spec.podSelector', errs);
  for (const [dir, peerKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
    objects(s[dir]).forEach((rule, i) => {
      objects(rule.ports).forEach((p, j) => validatePort(p, `spec.${dir}[${i}].ports[${j}]`, errs));
      objects(rule[peerKey]).forEach((peer, j) => validatePeer(peer, `spec.${dir}[${i}].${peerKey}[${j}]`, errs));
    });
  }
  const types = asArray(s.policyTypes);
  if (types.length > 2) errs.push(invalidValue('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}

export const networkPolicyStrategy: Strategy = {
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicy,
};
