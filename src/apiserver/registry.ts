// The resource registry: which kinds this apiserver serves, and how each behaves
// (scope, verbs, subresources, field labels, strategy). Discovery, routing, storage keys,
// OpenAPI and tables all read from here, so adding a kind is one entry.
import type { KubeObject } from '../k8s/types.js';
import type { FieldError } from './errors.js';

export type Subresource = 'status' | 'scale' | 'binding';

/** Per-kind behaviour, as upstream's REST strategies (PrepareForCreate, Validate …). */
export interface Strategy {
  /** Reset what a client may not set at creation (e.g. most status). */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over what an update may not change or may leave out (allocated values). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Fill defaults (SetDefaults_* in upstream). Runs on create and update. */
  defaults?(obj: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  /** Extra checks on update (immutable fields); `validate` runs too. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
}

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: Subresource[];
  /** Field selector labels besides metadata.name / metadata.namespace. */
  fieldLabels: string[];
  /** PUT of a missing object creates it (upstream AllowCreateOnUpdate). */
  allowCreateOnUpdate: boolean;
  /** metadata.generation is bumped when anything but metadata/status changes. */
  tracksGeneration: boolean;
  strategy: Strategy;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOfDef(d: Pick<ResourceDef, 'group' | 'version'>): string {
  return d.group ? `${d.group}/${d.version}` : d.version;
}

export type ResourceInit = Pick<ResourceDef, 'group' | 'version' | 'resource' | 'kind' | 'namespaced'> & Partial<ResourceDef>;

export function defineResource(init: ResourceInit): ResourceDef {
  return {
    singular: init.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    fieldLabels: [],
    allowCreateOnUpdate: false,
    tracksGeneration: false,
    strategy: {},
    ...init,
  };
}

export class Registry {
  private byGvr = new Map<string, ResourceDef>();

  constructor(defs: ResourceDef[] = []) {
    for (const d of defs) this.add(d);
  }

  add(def: ResourceDef): void {
    this.byGvr.set(`${def.group}/${def.version}/${def.resource}`, def);
  }

  get(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.all().find((d) => apiVersionOfDef(d) === apiVersion && d.kind === kind);
  }

  all(): ResourceDef[] {
    return [...this.byGvr.values()];
  }

  /** Groups in a stable order: core first, then as registered. */
  groups(): { group: string; versions: string[] }[] {
    const out: { group: string; versions: string[] }[] = [];
    for (const d of this.all()) {
      let g = out.find((x) => x.group === d.group);
      if (!g) out.push((g = { group: d.group, versions: [] }));
      if (!g.versions.includes(d.version)) g.versions.push(d.version);
    }
    return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }
}

/** The storage key, as kube-apiserver lays out etcd: `/registry/<group>/<resource>/[ns/]name`. */
export function storageKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return `${collectionPrefix(def, namespace)}${name}`;
}

export function collectionPrefix(def: ResourceDef, namespace: string | undefined): string {
  const base = `/registry/${def.group || 'core'}/${def.resource}/`;
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}
