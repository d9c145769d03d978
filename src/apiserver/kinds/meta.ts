// ObjectMeta validation (ValidateObjectMeta): name formats per kind, labels, annotations.
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { dns1123Label, dns1123Subdomain, qualifiedName } from '../../k8s/names.js';
import { invalidValue, required, type FieldError } from '../errors.js';
import type { ResourceDef } from '../registry.js';
import { validateLabels } from './selectors.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function dns1035Label(v: string): string[] {
  if (v.length > 63) return ['must be no more than 63 characters'];
  if (!DNS1035.test(v)) {
    return ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"];
  }
  return [];
}

function pathSegment(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  if (/[/%]/.test(v)) return ["may not contain '/' or '%'"];
  return [];
}

/** Upstream name rules: Services are DNS-1035 labels, Namespaces DNS-1123 labels, RBAC path segments. */
export function nameErrors(def: ResourceDef, name: string): string[] {
  if (def.resource === 'services') return dns1035Label(name);
  if (def.resource === 'namespaces') return dns1123Label(name);
  if (def.group === 'rbac.authorization.k8s.io') return pathSegment(name);
  return dns1123Subdomain(name);
}

export function validateObjectMeta(def: ResourceDef, obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const m = obj.metadata;
  if (typeof m.name !== 'string' || m.name === '') errs.push(required('metadata.name', 'name or generateName is required'));
  else for (const msg of nameErrors(def, m.name)) errs.push(invalidValue('metadata.name', m.name, msg));
  validateLabels(m.labels, 'metadata.labels', errs);
  if (m.annotations !== undefined && m.annotations !== null) {
    if (!isPlainObject(m.annotations)) errs.push(invalidValue('metadata.annotations', m.annotations, 'must be a map of strings'));
    else {
      let size = 0;
      for (const [k, v] of Object.entries(m.annotations)) {
        for (const msg of qualifiedName(k)) errs.push(invalidValue('metadata.annotations', k, msg));
        if (typeof v !== 'string') errs.push(invalidValue(`metadata.annotations[${k}]`, v, 'must be a string'));
        size += k.length + (typeof v === 'string' ? v.length : 0);
      }
      if (size > 256 * 1024) errs.push({ type: 'FieldValueTooLong', field: 'metadata.annotations', detail: 'must have at most 262144 bytes' });
    }
  }
  if (m.finalizers !== undefined && !(Array.isArray(m.finalizers) && m.finalizers.every((f) => typeof f === 'string'))) {
    errs.push(invalidValue('metadata.finalizers', m.finalizers, 'must be a list of strings'));
  }
  return errs;
}
