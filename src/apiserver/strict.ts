// Strict field validation (`fieldValidation=Strict`, which kubectl sends when the
// server's OpenAPI advertises the parameter): unknown and duplicate fields are errors. The
// schemas here cover every kind's top level and metadata, and go deep where a typo would
// silently change networking behaviour (Service spec and ports, NetworkPolicy rules).
import { isPlainObject } from '../k8s/types.js';
import type { ResourceDef } from './registry.js';

/** `true` = any value; an object = known fields; a one-element array = list of that. */
type Schema = true | { [field: string]: Schema } | [Schema];

const ANY = true as const;
const selector: Schema = { matchLabels: ANY, matchExpressions: [{ key: ANY, operator: ANY, values: ANY }] };

const metadata: Schema = Object.fromEntries(
  ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
    'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']
    .map((f) => [f, ANY]),
);

const servicePort: Schema = { name: ANY, protocol: ANY, appProtocol: ANY, port: ANY, targetPort: ANY, nodePort: ANY };
const serviceSpec: Schema = {
  ports: [servicePort], selector: ANY, clusterIP: ANY, clusterIPs: ANY, type: ANY, externalIPs: ANY, sessionAffinity: ANY,
  loadBalancerIP: ANY, loadBalancerSourceRanges: ANY, externalName: ANY, externalTrafficPolicy: ANY, healthCheckNodePort: ANY,
  publishNotReadyAddresses: ANY, sessionAffinityConfig: { clientIP: { timeoutSeconds: ANY } }, ipFamilies: ANY, ipFamilyPolicy: ANY,
  allocateLoadBalancerNodePorts: ANY, loadBalancerClass: ANY, internalTrafficPolicy: ANY, trafficDistribution: ANY,
};

const npPort: Schema = { protocol: ANY, port: ANY, endPort: ANY };
const npPeer: Schema = { podSelector: selector, namespaceSelector: selector, ipBlock: { cidr: ANY, except: ANY } };
const netpolSpec: Schema = {
  podSelector: selector,
  ingress: [{ ports: [npPort], from: [npPeer] }],
  egress: [{ ports: [npPort], to: [npPeer] }],
  policyTypes: ANY,
};

const top = (fields: Record<string, Schema>): Schema => ({ apiVersion: ANY, kind: ANY, metadata, ...fields });

const SCHEMAS: Record<string, Schema> = {
  '/namespaces': top({ spec: ANY, status: ANY }),
  '/nodes': top({ spec: ANY, status: ANY }),
  '/pods': top({ spec: ANY, status: ANY }),
  '/services': top({ spec: serviceSpec, status: ANY }),
  '/endpoints': top({ subsets: ANY }),
  '/configmaps': top({ data: ANY, binaryData: ANY, immutable: ANY }),
  '/secrets': top({ data: ANY, stringData: ANY, type: ANY, immutable: ANY }),
  '/serviceaccounts': top({ secrets: ANY, imagePullSecrets: ANY, automountServiceAccountToken: ANY }),
  '/events': top(Object.fromEntries(['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type',
    'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance'].map((f) => [f, ANY]))),
  'discovery.k8s.io/endpointslices': top({ addressType: ANY, endpoints: ANY, ports: ANY }),
  'networking.k8s.io/networkpolicies': top({ spec: netpolSpec, status: ANY }),
  'apps/deployments': top({ spec: ANY, status: ANY }),
  'apps/replicasets': top({ spec: ANY, status: ANY }),
  'apps/daemonsets': top({ spec: ANY, status: ANY }),
  'coordination.k8s.io/leases': top({ spec: ANY }),
  'rbac.authorization.k8s.io/roles': top({ rules: ANY }),
  'rbac.authorization.k8s.io/clusterroles': top({ rules: ANY, aggregationRule: ANY }),
  'rbac.authorization.k8s.io/rolebindings': top({ subjects: ANY, roleRef: ANY }),
  'rbac.authorization.k8s.io/clusterrolebindings': top({ subjects: ANY, roleRef: ANY }),
};

function walk(v: unknown, s: Schema, path: string, out: string[]): void {
  if (s === true) return;
  if (Array.isArray(s)) {
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, s[0], `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(v)) return;
  for (const [k, child] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    const cs = s[k];
    if (cs === undefined) out.push(p);
    else walk(child, cs, p, out);
  }
}

/** Paths of fields the kind does not have (e.g. "spec.ports[0].prot"). */
export function unknownFields(def: ResourceDef, obj: unknown): string[] {
  const s = SCHEMAS[`${def.group}/${def.resource}`];
  if (!s) return [];
  const out: string[] = [];
  walk(obj, s, '', out);
  return out;
}

/**
 * Paths of keys that occur twice in one JSON object (JSON.parse keeps the last silently;
 * upstream's strict decoder reports `duplicate field "x"`). Expects valid JSON.
 */
export function duplicateJsonFields(text: string): string[] {
  const out: string[] = [];
  type Frame = { keys: Set<string> | null; path: string; index: number; key?: string };
  const stack: Frame[] = [];
  let i = 0;
  const childPath = (f: Frame | undefined) => {
    if (!f) return '';
    if (f.keys) return f.path ? `${f.path}.${f.key}` : f.key ?? '';
    return `${f.path}[${f.index}]`;
  };
  let expectKey = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') { s += text.slice(j, j + 2); j += 2; } else { s += text[j]; j++; }
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        let key = s;
        try { key = JSON.parse(`"${s}"`) as string; } catch { /* keep raw */ }
        if (top.keys.has(key)) out.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === '{' ? new Set() : null, path: childPath(parent), index: 0 });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
    i++;
  }
  return out;
}
