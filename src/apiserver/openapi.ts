// OpenAPI v3 discovery for kubectl: /openapi/v3 lists one document per group-version, and
// each document has, per resource, the operations tagged with x-kubernetes-group-version-kind
// and the `fieldValidation` query parameter. kubectl's query-param verifier looks for
// exactly that on the PATCH operation; when found it sends fieldValidation=Strict and
// leaves validation to the server (strict.ts), so no full schemas are needed for apply.
// Schemas are minimal object schemas carrying the GVK (enough for `kubectl explain` to
// find the kind, not to describe every field).
import { createHash } from 'node:crypto';
import type { Registry, ResourceDef } from './registry.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function schemaName(d: ResourceDef): string {
  const g = d.group ? d.group.split('.').reverse().join('.') : 'core';
  return `io.k8s.api.${g === 'core' ? 'core' : g}.${d.version}.${d.kind}`;
}

const param = (name: string, desc: string) => ({ name, in: 'query', description: desc, schema: { type: 'string', uniqueItems: true } });
const COMMON_WRITE = [
  param('dryRun', 'When present, indicates that modifications should not be persisted.'),
  param('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  param('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.'),
];

export function openApiV3GroupVersion(registry: Registry, rel: string): Record<string, unknown> | undefined {
  const gv = registry.groups().flatMap((g) => g.versions.map((v) => ({ group: g.group, version: v }))).find((x) => gvPath(x.group, x.version) === rel);
  if (!gv) return undefined;
  const defs = registry.inGroupVersion(gv.group, gv.version);
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const d of defs) {
    const gvk = { group: d.group, version: d.version, kind: d.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(d)}` };
    const op = (action: string, extra: unknown[] = []) => ({
      operationId: `${action}${d.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: extra,
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
    });
    const base = `/${gvPath(d.group, d.version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.resource}`;
    paths[base] = { get: op('list'), post: op('post', COMMON_WRITE), delete: op('deletecollection') };
    paths[`${base}/{name}`] = {
      get: op('get'), put: op('put', COMMON_WRITE), patch: op('patch', [...COMMON_WRITE, param('force', 'Force is going to force Apply requests.')]), delete: op('delete'),
    };
    for (const sub of d.subresources.filter((s) => s !== 'binding')) {
      paths[`${base}/{name}/${sub}`] = { get: op('get'), put: op('put', COMMON_WRITE), patch: op('patch', COMMON_WRITE) };
    }
    schemas[schemaName(d)] = {
      type: 'object',
      description: `${d.kind} (${d.group || 'core'}/${d.version}) as served by hawser.`,
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: { type: 'object', description: "Standard object's metadata." },
      },
      'x-kubernetes-group-version-kind': [gvk],
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0-hawser' }, paths, components: { schemas } };
}

export function openApiV3Index(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of registry.groups()) {
    for (const v of g.versions) {
      const rel = gvPath(g.group, v);
      const hash = createHash('sha256').update(JSON.stringify(openApiV3GroupVersion(registry, rel))).digest('hex').slice(0, 32).toUpperCase();
      paths[rel] = { serverRelativeURL: `/openapi/v3/${rel}?hash=${hash}` };
    }
  }
  return { paths };
}
