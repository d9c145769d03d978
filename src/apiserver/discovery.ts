// Discovery documents: /api, /apis, /api/v1, /apis/<g>/<v> (APIVersions, APIGroupList,
// APIResourceList) and aggregated discovery v2 (apidiscovery.k8s.io/v2
// APIGroupDiscoveryList), which kubectl 1.32 asks for first and uses when the response's
// Content-Type says it got it.
import type { Registry, ResourceDef, Subresource } from './registry.js';

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated discovery version an Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  const parts = accept.split(',').map((p) => p.replace(/\s+/g, ''));
  for (const p of parts) {
    if (!p.includes('as=APIGroupDiscoveryList') || !p.includes('g=apidiscovery.k8s.io')) continue;
    if (p.includes('v=v2beta1')) return 'v2beta1';
    if (p.includes('v=v2')) return 'v2';
  }
  return undefined;
}

function subresourceVerbs(sub: Subresource): string[] {
  if (sub === 'binding') return ['create'];
  return ['get', 'patch', 'update'];
}

function subresourceKind(def: ResourceDef, sub: Subresource): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (sub === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  return { group: def.group, version: def.version, kind: def.kind };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupList(registry: Registry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().filter((g) => g.group !== '').map((g) => {
      const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
      return { name: g.group, versions, preferredVersion: versions[0] };
    }),
  };
}

export function apiResourceList(registry: Registry, group: string, version: string) {
  const resources: Record<string, unknown>[] = [];
  for (const d of registry.inGroupVersion(group, version)) {
    const r: Record<string, unknown> = {
      name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs,
    };
    if (d.shortNames.length) r.shortNames = d.shortNames;
    if (d.categories.length) r.categories = d.categories;
    resources.push(r);
    for (const sub of d.subresources) {
      const k = subresourceKind(d, sub);
      const s: Record<string, unknown> = { name: `${d.resource}/${sub}`, singularName: '', namespaced: d.namespaced, kind: k.kind, verbs: subresourceVerbs(sub) };
      if (sub === 'scale') { s.group = k.group; s.version = k.version; }
      resources.push(s);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function discoveryResource(d: ResourceDef) {
  const r: Record<string, unknown> = {
    resource: d.resource,
    responseKind: { group: d.group, version: d.version, kind: d.kind },
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: d.verbs,
  };
  if (d.shortNames.length) r.shortNames = d.shortNames;
  if (d.categories.length) r.categories = d.categories;
  if (d.subresources.length) {
    r.subresources = d.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(d, sub), verbs: subresourceVerbs(sub) }));
  }
  return r;
}

/** `core` = the list for /api (only the legacy group), else for /apis. */
export function aggregatedDiscovery(registry: Registry, core: boolean, version: 'v2' | 'v2beta1') {
  const items = registry.groups().filter((g) => (g.group === '') === core).map((g) => ({
    metadata: { name: g.group, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      resources: registry.inGroupVersion(g.group, v).map(discoveryResource),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
