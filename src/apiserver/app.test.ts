// API semantics through app.inject(), against the memory and SQLite backends.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, type ApiServerApp } from './app.js';
import { MemoryStorage } from './storage/memory.js';
import { SqliteStorage } from './storage/sqlite.js';
import type { Storage } from './storage/types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const backends: [string, () => Storage][] = [
  ['memory', () => new MemoryStorage()],
  ['sqlite', () => {
    const d = mkdtempSync(join(tmpdir(), 'hawser-app-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return new SqliteStorage({ path: join(d, 'state.db') });
  }],
];

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function server(make: () => Storage): Promise<ApiServerApp> {
  const storage = make();
  const app = await createApiServer({ storage });
  cleanups.push(async () => { await app.close(); await storage.close(); });
  return app;
}

function client(app: ApiServerApp) {
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const r = await app.inject({ method: method as 'GET', url, payload, headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } });
    let json: J = {};
    try { json = JSON.parse(r.body) as J; } catch { /* not JSON */ }
    return { code: r.statusCode, body: json, raw: r.body, headers: r.headers };
  };
  return {
    call,
    get: (u: string, h?: Record<string, string>) => call('GET', u, undefined, h),
    post: (u: string, b: unknown, h?: Record<string, string>) => call('POST', u, b, h),
    put: (u: string, b: unknown) => call('PUT', u, b),
    patch: (u: string, b: unknown, type: string) => call('PATCH', u, b, { 'content-type': type }),
    del: (u: string, b?: unknown) => call('DELETE', u, b),
  };
}

const SVC = '/api/v1/namespaces/default/services';
const svc = (name: string, extra: J = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, ...(extra.metadata ?? {}) }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...(extra.spec ?? {}) } });

describe.each(backends)('apiserver on %s', (_n, make) => {
  it('creates with system metadata and defaults, gets, and answers 404/409 as Status objects', async () => {
    const c = client(await server(make));
    const r = await c.post(SVC, svc('web'));
    expect(r.code).toBe(201);
    expect(r.body.apiVersion).toBe('v1');
    expect(r.body.kind).toBe('Service');
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(r.body.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    expect(r.body.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    expect((await c.get(`${SVC}/web`)).body.metadata.uid).toBe(r.body.metadata.uid);
    const dup = await c.post(SVC, svc('web'));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, details: { name: 'web', kind: 'services' } });
    const nf = await c.get(`${SVC}/nope`);
    expect(nf.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: 'services "nope" not found' });
    const other = await c.get('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/x');
    expect(other.body.message).toBe('networkpolicies.networking.k8s.io "x" not found');
  });

  it('generateName, namespace checks, kind checks and malformed bodies', async () => {
    const c = client(await server(make));
    const g = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'cm-' } });
    expect(g.code).toBe(201);
    expect(g.body.metadata.name).toMatch(/^cm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect((await c.post('/api/v1/namespaces/nope/configmaps', { metadata: { name: 'a' } })).body).toMatchObject({ code: 404, message: 'namespaces "nope" not found' });
    expect((await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'a', namespace: 'other' } })).code).toBe(400);
    expect((await c.post('/api/v1/namespaces/default/configmaps', { kind: 'Secret', metadata: { name: 'a' } })).code).toBe(400);
    expect((await c.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v2', metadata: { name: 'a' } })).code).toBe(400);
    expect((await c.post('/api/v1/namespaces/default/configmaps', '{"metadata":')).body).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect((await c.post('/api/v1/namespaces/default/configmaps', '[1,2]')).code).toBe(400);
    expect((await c.post('/api/v1/namespaces/default/configmaps', 'x', { 'content-type': 'text/plain' })).body).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect((await c.post('/api/v1/namespaces/default/configmaps', { metadata: 'x' })).code).toBe(400);
    const bad = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'Bad_Name' } });
    expect(bad.body).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'metadata.name', reason: 'FieldValueInvalid' }] } });
    expect((await c.post('/api/v1/namespaces/default/configmaps', { metadata: {} })).body.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueRequired' });
    const yaml = await c.post('/api/v1/namespaces/default/configmaps', 'metadata:\n  name: fromyaml\ndata:\n  a: "1"\n', { 'content-type': 'application/yaml' });
    expect(yaml.code).toBe(201);
    expect((await c.get('/api/v1/foo')).code).toBe(404);
    expect((await c.post('/api/v1/namespaces/default/configmaps/x', {})).code).toBe(405);
  });

  it('update: optimistic concurrency, immutable clusterIP, allocated values kept, no-op writes', async () => {
    const c = client(await server(make));
    const created = (await c.post(SVC, svc('web', { spec: { clusterIP: '10.96.0.10' } }))).body;
    expect(created.spec.clusterIPs).toEqual(['10.96.0.10']);
    const upd = { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } };
    const ok = await c.put(`${SVC}/web`, upd);
    expect(ok.code).toBe(200);
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await c.put(`${SVC}/web`, upd);
    expect(stale.body).toMatchObject({ code: 409, reason: 'Conflict' });
    const moved = await c.put(`${SVC}/web`, { ...ok.body, spec: { ...ok.body.spec, clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] } });
    expect(moved.body).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(moved.body.message).toContain('may not change once set');
    // A PUT without clusterIP keeps the allocated one (upstream patchAllocatedValues).
    const { clusterIP: _ip, clusterIPs: _ips, ...specNoIp } = ok.body.spec;
    const kept = await c.put(`${SVC}/web`, { ...ok.body, metadata: { name: 'web' }, spec: specNoIp });
    expect(kept.code).toBe(200);
    expect(kept.body.spec.clusterIP).toBe('10.96.0.10');
    expect(kept.body.metadata.uid).toBe(created.metadata.uid);
    const again = await c.put(`${SVC}/web`, kept.body);
    expect(again.body.metadata.resourceVersion).toBe(kept.body.metadata.resourceVersion);
    expect((await c.put(`${SVC}/other`, { ...kept.body })).code).toBe(400);
    expect((await c.put(`${SVC}/missing`, svc('missing'))).code).toBe(404);
    // Endpoints allow create-on-update.
    expect((await c.put('/api/v1/namespaces/default/endpoints/e', { metadata: { name: 'e' }, subsets: [] })).code).toBe(201);
  });

  it('service validation: ports, names, types, protocols, traffic policies', async () => {
    const c = client(await server(make));
    const bad = async (spec: J) => (await c.post(SVC, { metadata: { name: 'x' }, spec })).body;
    expect((await bad({})).details.causes).toEqual([expect.objectContaining({ field: 'spec.ports', reason: 'FieldValueRequired' })]);
    expect((await bad({ ports: [{ port: 0 }] })).details.causes[0].field).toBe('spec.ports[0].port');
    expect((await bad({ ports: [{ port: 70000 }] })).details.causes[0].field).toBe('spec.ports[0].port');
    expect((await bad({ ports: [{ port: 80 }, { port: 81 }] })).details.causes.map((x: J) => x.field)).toEqual(['spec.ports[0].name', 'spec.ports[1].name']);
    expect((await bad({ ports: [{ port: 80, protocol: 'ICMP' }] })).details.causes[0].reason).toBe('FieldValueNotSupported');
    expect((await bad({ type: 'Magic', ports: [{ port: 80 }] })).details.causes[0].field).toBe('spec.type');
    expect((await bad({ ports: [{ port: 80, targetPort: 'Not_A_Name' }] })).details.causes[0].field).toBe('spec.ports[0].targetPort');
    expect((await bad({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' })).details.causes[0].field).toBe('spec.externalTrafficPolicy');
    expect((await c.post(SVC, { metadata: { name: '1abc' }, spec: { ports: [{ port: 80 }] } })).body.details.causes[0].field).toBe('metadata.name');
    const np = await c.post(SVC, { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] } });
    expect(np.code).toBe(201);
    expect(np.body.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const lb = await c.post(SVC, { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' } });
    expect(lb.body.spec).toMatchObject({ allocateLoadBalancerNodePorts: true, sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } });
    const headless = await c.post(SVC, { metadata: { name: 'hl' }, spec: { clusterIP: 'None' } });
    expect(headless.code).toBe(201);
    const ext = await c.post(SVC, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(ext.code).toBe(201);
    expect(ext.body.spec.ipFamilies).toBeUndefined();
  });

  it('namespaces carry the metadata.name label; deleting one removes its content', async () => {
    const c = client(await server(make));
    const ns = await c.post('/api/v1/namespaces', { metadata: { name: 'x', labels: { 'kubernetes.io/metadata.name': 'wrong' } } });
    expect(ns.body.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'x' });
    expect(ns.body.status).toEqual({ phase: 'Active' });
    await c.post('/api/v1/namespaces/x/configmaps', { metadata: { name: 'a' } });
    expect((await c.get('/api/v1/namespaces/x')).body.metadata.name).toBe('x');
    expect((await c.del('/api/v1/namespaces/x')).code).toBe(200);
    expect((await c.get('/api/v1/namespaces/x/configmaps/a')).code).toBe(404);
    expect((await c.get('/api/v1/namespaces/x')).code).toBe(404);
    expect((await c.post('/api/v1/namespaces/x/configmaps', { metadata: { name: 'b' } })).code).toBe(404);
  });

  it('lists with label and field selectors, limit/continue, across namespaces', async () => {
    const c = client(await server(make));
    await c.post('/api/v1/namespaces', { metadata: { name: 'other' } });
    for (let i = 0; i < 7; i++) {
      const ns = i % 2 ? 'default' : 'other';
      await c.post(`/api/v1/namespaces/${ns}/pods`, { metadata: { name: `p${i}`, labels: { i: String(i), parity: i % 2 ? 'odd' : 'even' } }, spec: { containers: [{ name: 'c', image: 'x' }], ...(i < 3 ? { nodeName: 'n1' } : {}) } });
    }
    const names = (r: { body: J }) => r.body.items.map((o: J) => o.metadata.name);
    expect(names(await c.get('/api/v1/pods?labelSelector=parity%3Dodd'))).toEqual(['p1', 'p3', 'p5']);
    expect(names(await c.get('/api/v1/pods?labelSelector=i%20in%20(1,2),parity!%3Dodd'))).toEqual(['p2']);
    expect(names(await c.get('/api/v1/pods?labelSelector=!parity'))).toEqual([]);
    expect(names(await c.get('/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1'))).toEqual(['p1']);
    expect(names(await c.get('/api/v1/pods?fieldSelector=metadata.namespace%3Dother,status.phase%3DPending'))).toEqual(['p0', 'p2', 'p4', 'p6']);
    expect((await c.get('/api/v1/pods?fieldSelector=spec.bogus%3D1')).code).toBe(400);
    expect((await c.get('/api/v1/pods?labelSelector=a%20in%20(')).code).toBe(400);
    const seen: string[] = [];
    let url = '/api/v1/pods?limit=3&labelSelector=i';
    let pages = 0;
    for (;;) {
      const r = await c.get(url);
      pages++;
      seen.push(...names(r));
      if (!r.body.metadata.continue) break;
      url = `/api/v1/pods?limit=3&labelSelector=i&continue=${encodeURIComponent(r.body.metadata.continue)}`;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect((await c.get('/api/v1/pods?continue=garbage')).code).toBe(400);
  });

  it('status, scale and binding subresources', async () => {
    const c = client(await server(make));
    const D = '/apis/apps/v1/namespaces/default/deployments';
    const dep = { metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } } }, status: { replicas: 99 } };
    const created = (await c.post(D, dep)).body;
    expect(created.status).toEqual({});
    expect(created.metadata.generation).toBe(1);
    expect(created.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    const st = await c.put(`${D}/d/status`, { ...created, spec: { ...created.spec, replicas: 5 }, status: { replicas: 2 } });
    expect(st.body.status).toEqual({ replicas: 2 });
    expect(st.body.spec.replicas).toBe(2);
    expect(st.body.metadata.generation).toBe(1);
    const main = await c.patch(`${D}/d`, { spec: { replicas: 3 }, status: { replicas: 7 } }, 'application/merge-patch+json');
    expect(main.body.status).toEqual({ replicas: 2 });
    expect(main.body.metadata.generation).toBe(2);
    const scale = await c.get(`${D}/d/scale`);
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=d' } });
    const scaled = await c.patch(`${D}/d/scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json');
    expect(scaled.body.spec.replicas).toBe(5);
    expect((await c.get(`${D}/d`)).body.spec.replicas).toBe(5);
    expect((await c.put(`${D}/d/scale`, { spec: { replicas: -1 } })).code).toBe(422);
    expect((await c.get(`${SVC}/x/scale`)).code).toBe(404);

    const P = '/api/v1/namespaces/default/pods';
    await c.post(P, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const b = await c.post(`${P}/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } });
    expect(b.code).toBe(201);
    const bound = (await c.get(`${P}/p`)).body;
    expect(bound.spec.nodeName).toBe('n1');
    expect(bound.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    expect((await c.post(`${P}/p/binding`, { target: { name: 'n2' } })).body).toMatchObject({ code: 409, reason: 'Conflict' });
    // Pod spec is immutable beyond images.
    const pu = await c.patch(`${P}/p`, { spec: { restartPolicy: 'Never' } }, 'application/strategic-merge-patch+json');
    expect(pu.code).toBe(422);
    const img = await c.patch(`${P}/p`, { spec: { containers: [{ name: 'c', image: 'y' }] } }, 'application/strategic-merge-patch+json');
    expect(img.body.spec.containers[0].image).toBe('y');
  });

  it('finalizers and graceful pod deletion', async () => {
    const c = client(await server(make));
    const CM = '/api/v1/namespaces/default/configmaps';
    await c.post(CM, { metadata: { name: 'f', finalizers: ['example.com/keep'] } });
    const d = await c.del(`${CM}/f`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    expect(d.code).toBe(202);
    expect(d.body.metadata.deletionTimestamp).toBeTruthy();
    expect((await c.get(`${CM}/f`)).code).toBe(200);
    const done = await c.patch(`${CM}/f`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(done.code).toBe(200);
    expect((await c.get(`${CM}/f`)).code).toBe(404);

    const P = '/api/v1/namespaces/default/pods';
    await c.post(P, { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } });
    const g = await c.del(`${P}/p`);
    expect(g.code).toBe(202);
    expect(g.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await c.del(`${P}/p`, { gracePeriodSeconds: 0 })).code).toBe(200);
    expect((await c.get(`${P}/p`)).code).toBe(404);

    await c.post(CM, { metadata: { name: 'pre' } });
    expect((await c.del(`${CM}/pre`, { preconditions: { uid: 'nope' } })).body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((await c.del(`${CM}/pre`, '{bad')).code).toBe(400);
    expect((await c.del(`${CM}/pre?dryRun=All`)).code).toBe(200);
    expect((await c.get(`${CM}/pre`)).code).toBe(200);
    expect((await c.del(`${CM}/pre`)).body).toMatchObject({ kind: 'Status', status: 'Success' });
  });

  it('patch types: json, merge, strategic, apply; bad patches are 4xx', async () => {
    const c = client(await server(make));
    await c.post(SVC, { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } });
    const sm = await c.patch(`${SVC}/web`, { spec: { ports: [{ port: 80, targetPort: 8080 }] } }, 'application/strategic-merge-patch+json');
    expect(sm.body.spec.ports.map((p: J) => [p.port, p.targetPort])).toEqual([[80, 8080], [443, 443]]);
    const mp = await c.patch(`${SVC}/web`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(mp.body.metadata.labels).toEqual({ a: 'b' });
    const jp = await c.patch(`${SVC}/web`, [{ op: 'replace', path: '/metadata/labels/a', value: 'c' }], 'application/json-patch+json');
    expect(jp.body.metadata.labels).toEqual({ a: 'c' });
    expect((await c.patch(`${SVC}/web`, [{ op: 'test', path: '/metadata/labels/a', value: 'zzz' }], 'application/json-patch+json')).code).toBe(422);
    expect((await c.patch(`${SVC}/web`, '{"spec":', 'application/merge-patch+json')).code).toBe(400);
    expect((await c.patch(`${SVC}/web`, { a: 1 }, 'application/json-patch+json')).code).toBe(400);
    expect((await c.patch(`${SVC}/web`, { a: 1 }, 'application/json')).code).toBe(415);
    expect((await c.patch(`${SVC}/nope`, { a: 1 }, 'application/merge-patch+json')).code).toBe(404);
    expect((await c.patch(`${SVC}/web`, { metadata: { resourceVersion: '1' }, spec: {} }, 'application/merge-patch+json')).code).toBe(409);
    // Server-side apply: create, then stop applying a field → it goes away.
    const CM = '/api/v1/namespaces/default/configmaps/ssa?fieldManager=me';
    const a1 = await c.patch(CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n  b: "2"\n', 'application/apply-patch+yaml');
    expect(a1.code).toBe(201);
    expect(a1.body.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'me', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } }));
    await c.patch('/api/v1/namespaces/default/configmaps/ssa', { data: { other: 'x' } }, 'application/merge-patch+json');
    const a2 = await c.patch(CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n', 'application/apply-patch+yaml');
    expect(a2.code).toBe(200);
    expect(a2.body.data).toEqual({ a: '1', other: 'x' });
    expect((await c.patch('/api/v1/namespaces/default/configmaps/ssa', 'data: {}', 'application/apply-patch+yaml')).code).toBe(400);
    // A second applier setting the same field to another value conflicts, unless forced.
    const other = '/api/v1/namespaces/default/configmaps/ssa?fieldManager=other';
    const clash = await c.patch(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "2"\n', 'application/apply-patch+yaml');
    expect(clash.body).toMatchObject({ code: 409, reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.data.a' }] } });
    expect(clash.body.message).toBe('Apply failed with 1 conflict: conflict with "me": .data.a');
    const same = await c.patch(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n', 'application/apply-patch+yaml');
    expect(same.code).toBe(200);
    const forced = await c.patch(`${other}&force=true`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "2"\n', 'application/apply-patch+yaml');
    expect(forced.body.data.a).toBe('2');
    const meEntry = forced.body.metadata.managedFields.find((e: J) => e.manager === 'me');
    expect(meEntry.fieldsV1).toEqual({ 'f:data': {} });
    expect((await c.patch(CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: 1, a: 2}\n', 'application/apply-patch+yaml')).code).toBe(400);
  });

  it('fieldValidation=Strict rejects unknown and duplicate fields; Warn warns', async () => {
    const c = client(await server(make));
    const s = await c.post(`${SVC}?fieldValidation=Strict`, { metadata: { name: 'a', bogus: 1 }, spec: { ports: [{ port: 80, prot: 'TCP' }] } });
    expect(s.body).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(s.body.message).toContain('unknown field "metadata.bogus"');
    expect(s.body.message).toContain('unknown field "spec.ports[0].prot"');
    const dupe = await c.post(`${SVC}?fieldValidation=Strict`, '{"metadata":{"name":"a","name":"b"},"spec":{"ports":[{"port":80}]}}');
    expect(dupe.body.message).toContain('duplicate field "metadata.name"');
    const w = await c.post(SVC, { metadata: { name: 'w' }, spec: { ports: [{ port: 80 }], bogus: true } });
    expect(w.code).toBe(201);
    expect(String(w.headers.warning)).toContain('unknown field \\"spec.bogus\\"');
    const np = await c.post('/apis/networking.k8s.io/v1/namespaces/default/networkpolicies?fieldValidation=Strict', { metadata: { name: 'n' }, spec: { podSelector: {}, ingress: [{ form: [] }] } });
    expect(np.body.message).toContain('unknown field "spec.ingress[0].form"');
    expect((await c.post(`${SVC}?fieldValidation=Bogus`, svc('z'))).code).toBe(400);
  });

  it('dryRun=All validates and defaults without storing', async () => {
    const c = client(await server(make));
    const r = await c.post(`${SVC}?dryRun=All`, svc('dry'));
    expect(r.code).toBe(201);
    expect(r.body.spec.type).toBe('ClusterIP');
    expect((await c.get(`${SVC}/dry`)).code).toBe(404);
  });

  it('serves Tables for kubectl get', async () => {
    const c = client(await server(make));
    await c.post(SVC, svc('web', { spec: { clusterIP: '10.96.0.5', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } }));
    const accept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const t = (await c.get(SVC, accept)).body;
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((x: J) => x.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(t.rows[0].cells.slice(0, 5)).toEqual(['web', 'NodePort', '10.96.0.5', '<none>', '80:30080/TCP']);
    expect(t.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web' } });
    await c.post('/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } });
    await c.patch('/api/v1/namespaces/default/pods/p/status', { status: { phase: 'Running', podIP: '10.244.1.5', containerStatuses: [{ name: 'a', ready: true, restartCount: 2 }, { name: 'b', ready: false, restartCount: 1 }] } }, 'application/merge-patch+json');
    const pt = (await c.get('/api/v1/namespaces/default/pods/p', accept)).body;
    expect(pt.columnDefinitions.map((x: J) => x.name).slice(0, 7)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node']);
    expect(pt.rows[0].cells.slice(0, 4)).toEqual(['p', '1/2', 'Running', 3]);
    expect(pt.rows[0].cells.slice(5, 7)).toEqual(['10.244.1.5', 'n1']);
    const generic = (await c.get('/api/v1/namespaces/default/configmaps', accept)).body;
    expect(generic.columnDefinitions.map((x: J) => x.name)).toEqual(['Name', 'Data', 'Age']);
  });

  it('discovery: /api, /apis, group versions, aggregated v2, /version, health', async () => {
    const c = client(await server(make));
    expect((await c.get('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await c.get('/apis')).body.groups.map((g: J) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['apps', 'discovery.k8s.io', 'networking.k8s.io', 'coordination.k8s.io', 'rbac.authorization.k8s.io']));
    const v1 = (await c.get('/api/v1')).body.resources;
    expect(v1.find((r: J) => r.name === 'services')).toMatchObject({ shortNames: ['svc'], namespaced: true, kind: 'Service' });
    expect(v1.map((r: J) => r.name)).toEqual(expect.arrayContaining(['pods/status', 'pods/binding', 'services/status', 'nodes/status']));
    const net = (await c.get('/apis/networking.k8s.io/v1')).body.resources;
    expect(net[0]).toMatchObject({ name: 'networkpolicies', shortNames: ['netpol'] });
    const apps = (await c.get('/apis/apps/v1')).body.resources;
    expect(apps.find((r: J) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const agg = await c.get('/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(agg.headers['content-type']).toContain('as=APIGroupDiscoveryList');
    expect(agg.body.kind).toBe('APIGroupDiscoveryList');
    const netAgg = agg.body.items.find((i: J) => i.metadata.name === 'networking.k8s.io');
    expect(netAgg.versions[0].resources[0]).toMatchObject({ resource: 'networkpolicies', scope: 'Namespaced', shortNames: ['netpol'] });
    const core = (await c.get('/api', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })).body;
    expect(core.items[0].versions[0].resources.map((r: J) => r.resource)).toEqual(expect.arrayContaining(['pods', 'services', 'endpoints', 'nodes']));
    const shorts = core.items[0].versions[0].resources.flatMap((r: J) => r.shortNames ?? []);
    expect(shorts).toEqual(expect.arrayContaining(['svc', 'ns', 'ep', 'po', 'no', 'cm', 'sa', 'ev']));
    expect((await c.get('/version')).body.major).toBe('1');
    for (const h of ['/healthz', '/livez', '/readyz']) expect((await c.get(h)).raw).toBe('ok');
    const oa = (await c.get('/openapi/v3')).body.paths;
    const gv = (await c.get(oa['apis/networking.k8s.io/v1'].serverRelativeURL)).body;
    const patchOp = gv.paths['/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}'].patch;
    expect(patchOp['x-kubernetes-group-version-kind']).toEqual({ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' });
    expect(patchOp.parameters.map((p: J) => p.name)).toContain('fieldValidation');
  });
});
