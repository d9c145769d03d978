// RBAC authorization over the stored rbac.authorization.k8s.io objects, following
// plugin/pkg/auth/authorizer/rbac: a request is allowed when any rule of any role bound
// to the user (ClusterRoleBindings everywhere, RoleBindings in their namespace) covers it.
// The bindings and roles are re-read from storage after any RBAC change (watch cache).
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import type { Storage } from '../storage/types.js';
import type { WatchCache } from '../watch/cache.js';
import type { Attributes, Authorizer, Decision, ResourceAttributes } from './authorizer.js';
import type { UserInfo } from './tokens.js';

const PREFIX = '/registry/rbac.authorization.k8s.io/';

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

interface Snapshot {
  roles: Map<string, Rule[]>; // "ns/name" for Roles, "/name" for ClusterRoles
  clusterBindings: KubeObject[];
  bindings: KubeObject[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function rulesOf(o: KubeObject): Rule[] {
  return (Array.isArray(o.rules) ? o.rules : []).filter(isPlainObject).map((r) => ({
    verbs: strings(r.verbs), apiGroups: strings(r.apiGroups), resources: strings(r.resources),
    resourceNames: strings(r.resourceNames), nonResourceURLs: strings(r.nonResourceURLs),
  }));
}

export function subjectMatches(subject: unknown, user: UserInfo, bindingNs?: string): boolean {
  if (!isPlainObject(subject)) return false;
  switch (subject.kind) {
    case 'User': return subject.name === user.name;
    case 'Group': return typeof subject.name === 'string' && user.groups.includes(subject.name);
    case 'ServiceAccount': return user.name === `system:serviceaccount:${String(subject.namespace ?? bindingNs ?? '')}:${String(subject.name)}`;
    default: return false;
  }
}

export function ruleAllows(r: Rule, a: Attributes): boolean {
  if (!r.verbs.includes('*') && !r.verbs.includes('resource' in a ? a.resource.verb : a.nonResource.verb)) return false;
  if ('nonResource' in a) {
    return r.nonResourceURLs.some((u) => u === '*' || u === a.nonResource.path || (u.endsWith('*') && a.nonResource.path.startsWith(u.slice(0, -1))));
  }
  const x: ResourceAttributes = a.resource;
  if (!r.apiGroups.includes('*') && !r.apiGroups.includes(x.group)) return false;
  const res = x.subresource ? `${x.resource}/${x.subresource}` : x.resource;
  const resOk = r.resources.some((v) => v === '*' || v === res || (x.subresource && (v === `${x.resource}/*` || v === `*/${x.subresource}`)));
  if (!resOk) return false;
  return r.resourceNames.length === 0 || (x.name !== undefined && r.resourceNames.includes(x.name));
}

export class RbacAuthorizer implements Authorizer {
  private snapshot: Snapshot | undefined;
  private unwatch: (() => void) | undefined;

  constructor(private storage: Storage, cache?: WatchCache) {
    this.unwatch = cache?.watch(cache.revision(), { prefix: PREFIX, onEvent: () => { this.snapshot = undefined; } });
  }

  private async load(): Promise<Snapshot> {
    if (this.snapshot) return this.snapshot;
    const list = async (r: string) => (await this.storage.list(`${PREFIX}${r}/`)).items;
    const roles = new Map<string, Rule[]>();
    for (const o of await list('clusterroles')) roles.set(`/${o.metadata.name}`, rulesOf(o));
    for (const o of await list('roles')) roles.set(`${o.metadata.namespace}/${o.metadata.name}`, rulesOf(o));
    const snap = { roles, clusterBindings: await list('clusterrolebindings'), bindings: await list('rolebindings') };
    this.snapshot = snap;
    return snap;
  }

  async authorize(user: UserInfo, attrs: Attributes): Promise<Decision> {
    const s = await this.load();
    const ref = (b: KubeObject) => (isPlainObject(b.roleRef) ? b.roleRef : {});
    const bound = (b: KubeObject) => (Array.isArray(b.subjects) ? b.subjects : []).some((sub) => subjectMatches(sub, user, b.metadata.namespace));
    for (const b of s.clusterBindings) {
      if (!bound(b) || ref(b).kind !== 'ClusterRole') continue;
      if ((s.roles.get(`/${String(ref(b).name)}`) ?? []).some((r) => ruleAllows(r, attrs))) return { allowed: true };
    }
    const ns = 'resource' in attrs ? attrs.resource.namespace : undefined;
    if (ns) {
      for (const b of s.bindings) {
        if (b.metadata.namespace !== ns || !bound(b)) continue;
        const key = ref(b).kind === 'ClusterRole' ? `/${String(ref(b).name)}` : `${ns}/${String(ref(b).name)}`;
        if ((s.roles.get(key) ?? []).some((r) => ruleAllows(r, attrs))) return { allowed: true };
      }
    }
    return { allowed: false, reason: 'no RBAC policy matched' };
  }

  close(): void {
    this.unwatch?.();
  }
}
