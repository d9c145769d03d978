// Strategies for core kinds whose defaults matter to networking or to kubectl's output:
// Namespace (the automatic kubernetes.io/metadata.name label NetworkPolicies select on),
// Pod (phase, container port protocol), Node.
import { isPlainObject } from '../../k8s/types.js';
import { dns1123Label } from '../../k8s/names.js';
import { duplicate, forbiddenField, invalidValue, notSupported, required, type FieldError } from '../errors.js';
import type { Strategy } from '../registry.js';
import { PROTOCOLS, child, isInt, objects, spec } from './util.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export const namespaceStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    spec(obj).finalizers ??= ['kubernetes'];
  },
  defaults(obj) {
    // Upstream always (re)sets this label, on create and on update.
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: obj.metadata.name ?? '' };
  },
};

/** SetDefaults_PodSpec subset, shared by pods and pod templates. */
export function defaultPodSpec(s: Record<string, unknown>): void {
  s.restartPolicy ??= 'Always';
  s.dnsPolicy ??= 'ClusterFirst';
  s.terminationGracePeriodSeconds ??= 30;
  s.schedulerName ??= 'default-scheduler';
  s.securityContext ??= {};
  s.enableServiceLinks ??= true;
  for (const key of ['containers', 'initContainers']) {
    for (const c of objects(s[key])) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
        c.imagePullPolicy = /:latest$/.test(c.image) || !/:[^/]+$/.test(c.image) ? 'Always' : 'IfNotPresent';
      }
      c.resources ??= {};
      for (const p of objects(c.ports)) p.protocol ??= 'TCP';
    }
  }
}

export function validatePodSpec(s: unknown, f: string, errs: FieldError[]): void {
  const ps = isPlainObject(s) ? s : {};
  const containers = objects(ps.containers);
  if (containers.length === 0) errs.push(required(`${f}.containers`));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cf = `${f}.containers[${i}]`;
    if (typeof c.name !== 'string' || c.name === '') errs.push(required(`${cf}.name`));
    else {
      for (const m of dns1123Label(c.name)) errs.push(invalidValue(`${cf}.name`, c.name, m));
      if (names.has(c.name)) errs.push(duplicate(`${cf}.name`, c.name));
      names.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') errs.push(required(`${cf}.image`));
    objects(c.ports).forEach((p, j) => {
      const pf = `${cf}.ports[${j}]`;
      if (!isInt(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
        errs.push(invalidValue(`${pf}.containerPort`, p.containerPort ?? 0, 'must be between 1 and 65535, inclusive'));
      }
      if (!PROTOCOLS.includes(p.protocol as string)) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
    });
  });
}

function withoutImages(s: unknown): string {
  const copy = JSON.parse(JSON.stringify(s ?? {})) as Record<string, unknown>;
  for (const key of ['containers', 'initContainers']) for (const c of objects(copy[key])) delete c.image;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  return JSON.stringify(copy);
}

export const podStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  defaults(obj) {
    defaultPodSpec(spec(obj));
    spec(obj).serviceAccountName ??= 'default';
  },
  validate(obj) {
    const errs: FieldError[] = [];
    validatePodSpec(obj.spec, 'spec', errs);
    return errs;
  },
  validateUpdate(obj, old) {
    // Pod specs are immutable apart from images, activeDeadlineSeconds and tolerations.
    if (withoutImages(obj.spec) !== withoutImages(old.spec)) {
      return [forbiddenField('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
    }
    return [];
  },
};

/** Deployments, ReplicaSets, DaemonSets: the template is a pod spec; the selector must match it. */
export function workloadStrategy(kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet'): Strategy {
  return {
    prepareForCreate(obj) {
      obj.status = {};
    },
    defaults(obj) {
      const s = spec(obj);
      if (kind !== 'DaemonSet') s.replicas ??= 1;
      s.revisionHistoryLimit ??= 10;
      if (kind === 'Deployment') {
        s.progressDeadlineSeconds ??= 600;
        const st = child(s, 'strategy');
        st.type ??= 'RollingUpdate';
        if (st.type === 'RollingUpdate') {
          const ru = child(st, 'rollingUpdate');
          ru.maxSurge ??= '25%';
          ru.maxUnavailable ??= '25%';
        }
      }
      if (kind === 'DaemonSet') {
        const st = child(s, 'updateStrategy');
        st.type ??= 'RollingUpdate';
        if (st.type === 'RollingUpdate') {
          const ru = child(st, 'rollingUpdate');
          ru.maxUnavailable ??= 1;
          ru.maxSurge ??= 0;
        }
      }
      const tpl = child(s, 'template');
      defaultPodSpec(child(tpl, 'spec'));
    },
    validate(obj) {
      const errs: FieldError[] = [];
      const s = isPlainObject(obj.spec) ? obj.spec : {};
      const sel = isPlainObject(s.selector) ? s.selector : undefined;
      if (!sel) errs.push(required('spec.selector'));
      const tpl = isPlainObject(s.template) ? s.template : {};
      const meta = isPlainObject(tpl.metadata) ? tpl.metadata : {};
      const labels = (isPlainObject(meta.labels) ? meta.labels : {}) as Record<string, string>;
      const ml = sel && isPlainObject(sel.matchLabels) ? (sel.matchLabels as Record<string, string>) : {};
      if (sel && Object.entries(ml).some(([k, v]) => labels[k] !== v)) {
        errs.push(invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
      }
      if (s.replicas !== undefined && (!isInt(s.replicas) || s.replicas < 0)) {
        errs.push(invalidValue('spec.replicas', s.replicas, 'must be greater than or equal to 0'));
      }
      validatePodSpec(tpl.spec, 'spec.template.spec', errs);
      return errs;
    },
    validateUpdate(obj, old) {
      const a = JSON.stringify((obj.spec as Record<string, unknown> | undefined)?.selector ?? null);
      const b = JSON.stringify((old.spec as Record<string, unknown> | undefined)?.selector ?? null);
      return a === b ? [] : [invalidValue('spec.selector', (obj.spec as Record<string, unknown>)?.selector, 'field is immutable')];
    },
  };
}

export const endpointSliceStrategy: Strategy = {
  defaults(obj) {
    for (const p of objects(obj.ports)) p.protocol ??= 'TCP';
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const types = ['IPv4', 'IPv6', 'FQDN'];
    if (!types.includes(obj.addressType as string)) errs.push(notSupported('addressType', obj.addressType, types));
    objects(obj.endpoints).forEach((e, i) => {
      if (!Array.isArray(e.addresses) || e.addresses.length === 0) errs.push(required(`endpoints[${i}].addresses`));
    });
    return errs;
  },
};

