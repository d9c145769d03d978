// The allocators inside a real apiserver (app.inject): concurrency, validation through
// the HTTP API, restart on the same SQLite file, and two apiservers on one store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../apiserver/storage/memory.js';
import { SqliteStorage } from '../../apiserver/storage/sqlite.js';
import { startHarness, type Harness } from '../testing/harness.js';

const svc = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: name }, ...spec },
});

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let clock = Date.parse('2026-01-01T00:00:00Z');
async function harness(storage = new MemoryStorage(), claims?: boolean) {
  const h = await startHarness(storage, { controllers: false, allocators: { claims, now: () => clock } });
  open.push(h);
  return h;
}

type SvcBody = { spec: { clusterIP: string; ports: Array<{ nodePort: number }> }; message?: string };

describe('service allocation through the API', { timeout: 30_000 }, () => {
  it('the kubernetes Service gets the first address and endpoints pointing at the apiserver', async () => {
    const h = await harness();
    const k = await h.req('GET', '/api/v1/namespaces/default/services/kubernetes');
    expect(k.status).toBe(200);
    expect((k.body as unknown as SvcBody).spec.clusterIP).toBe('10.96.0.1');
    const ep = await h.req('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    expect(ep.body.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
    const slice = await h.req('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    expect(slice.status).toBe(200);
  });

  it('200 concurrent creates get 200 distinct ClusterIPs and NodePorts', async () => {
    const h = await harness();
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => h.req('POST', '/api/v1/namespaces/default/services', svc(`s${i}`, { type: 'NodePort' }))));
    expect(rs.map((r) => r.status)).toEqual(Array(200).fill(201));
    const bodies = rs.map((r) => r.body as unknown as SvcBody);
    expect(new Set(bodies.map((b) => b.spec.clusterIP)).size).toBe(200);
    expect(bodies.map((b) => b.spec.clusterIP)).not.toContain('10.96.0.1');
    const ports = bodies.map((b) => b.spec.ports[0]!.nodePort);
    expect(new Set(ports).size).toBe(200);
    expect(ports.every((p) => p >= 30000 && p <= 32767)).toBe(true);
  });

  it('requested ClusterIP and NodePort: in range, free, or 422 with upstream messages', async () => {
    const h = await harness();
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('a', { clusterIP: '10.96.5.5', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).status).toBe(201);
    const dupIP = await h.req('POST', '/api/v1/namespaces/default/services', svc('b', { clusterIP: '10.96.5.5' }));
    expect(dupIP.status).toBe(422);
    expect(dupIP.body.message).toBe('Service "b" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.5.5": failed to allocate IP 10.96.5.5: provided IP is already allocated');
    const outside = await h.req('POST', '/api/v1/namespaces/default/services', svc('c', { clusterIP: '10.100.0.1' }));
    expect(outside.status).toBe(422);
    expect(outside.body.message).toContain('The range of valid IPs is 10.96.0.0/16');
    const dupPort = await h.req('POST', '/api/v1/namespaces/default/services', svc('d', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(dupPort.status).toBe(422);
    expect(dupPort.body.message).toContain('spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('e', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }))).status).toBe(422);
    // A rejected request keeps nothing: its valid ClusterIP is free for the next one.
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('f', { clusterIP: '10.96.6.6', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).status).toBe(422);
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('g', { clusterIP: '10.96.6.6' }))).status).toBe(201);
  });

  it('delete releases; headless and ExternalName allocate nothing; dryRun keeps nothing', async () => {
    const h = await harness();
    await h.req('POST', '/api/v1/namespaces/default/services', svc('a', { clusterIP: '10.96.7.7', type: 'NodePort', ports: [{ port: 80, nodePort: 30777 }] }));
    expect((await h.req('DELETE', '/api/v1/namespaces/default/services/a')).status).toBe(200);
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('b', { clusterIP: '10.96.7.7', type: 'NodePort', ports: [{ port: 80, nodePort: 30777 }] }))).status).toBe(201);
    const hl = await h.req('POST', '/api/v1/namespaces/default/services', svc('hl', { clusterIP: 'None' }));
    expect((hl.body as unknown as SvcBody).spec.clusterIP).toBe('None');
    const ext = await h.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(ext.status).toBe(201);
    expect((ext.body as unknown as SvcBody).spec.clusterIP).toBeUndefined();
    const dry = await h.req('POST', '/api/v1/namespaces/default/services?dryRun=All', svc('dry', { clusterIP: '10.96.8.8' }));
    expect(dry.status).toBe(201);
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('real', { clusterIP: '10.96.8.8' }))).status).toBe(201);
  });

  it('a create that loses on AlreadyExists gives its values back at the next repair', async () => {
    const h = await harness();
    await h.req('POST', '/api/v1/namespaces/default/services', svc('a'));
    const used = h.allocators.allocator.ips.get(4)!.used;
    expect((await h.req('POST', '/api/v1/namespaces/default/services', svc('a', { type: 'NodePort' }))).status).toBe(409);
    await h.allocators.repair.repair();
    expect(h.allocators.allocator.ips.get(4)!.used).toBe(used + 1); // still in its grace period
    clock += 61_000;
    await h.allocators.repair.repair();
    expect(h.allocators.allocator.ips.get(4)!.used).toBe(used);
    expect(h.allocators.allocator.nodePorts.used).toBe(0);
  });

  it('type change NodePort → ClusterIP releases the node port after the write', async () => {
    const h = await harness();
    const a = await h.req('POST', '/api/v1/namespaces/default/services', svc('a', { type: 'NodePort' }));
    const port = (a.body as unknown as SvcBody).spec.ports[0]!.nodePort;
    const p = await h.req('PATCH', '/api/v1/namespaces/default/services/a', { spec: { type: 'ClusterIP' } }, 'application/merge-patch+json');
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect((p.body as unknown as SvcBody).spec.ports[0]!.nodePort).toBeUndefined();
    expect(h.allocators.allocator.nodePorts.isAllocated(port)).toBe(false);
  });

  it('deleting a namespace (contents removed without admission) still releases', async () => {
    const h = await harness();
    await h.req('POST', '/api/v1/namespaces', { metadata: { name: 'tmp' } });
    await h.req('POST', '/api/v1/namespaces/tmp/services', svc('x', { clusterIP: '10.96.9.9' }));
    await h.req('DELETE', '/api/v1/namespaces/tmp');
    expect(h.allocators.allocator.ips.get(4)!.isAllocated('10.96.9.9')).toBe(false);
  });

  it('a restart on the same SQLite file keeps allocations distinct', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hawser-alloc-'));
    dirs.push(dir);
    const first = await startHarness(new SqliteStorage({ path: join(dir, 'state.db') }), { controllers: false, allocators: { serviceCidr: '10.96.0.0/26', nodePortRange: '30000-30059' } });
    const before = await Promise.all(Array.from({ length: 30 }, (_, i) => first.req('POST', '/api/v1/namespaces/default/services', svc(`s${i}`, { type: 'NodePort' }))));
    await first.close();
    const second = await startHarness(new SqliteStorage({ path: join(dir, 'state.db') }), { controllers: false, allocators: { serviceCidr: '10.96.0.0/26', nodePortRange: '30000-30059' } });
    open.push(second);
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => second.req('POST', '/api/v1/namespaces/default/services', svc(`t${i}`, { type: 'NodePort' }))));
    expect(after.map((r) => r.status)).toEqual(Array(30).fill(201));
    const all = [...before, ...after].map((r) => r.body as unknown as SvcBody);
    expect(new Set(all.map((b) => b.spec.clusterIP)).size).toBe(60);
    expect(new Set(all.map((b) => b.spec.ports[0]!.nodePort)).size).toBe(60);
    // The range (62 usable, 2 taken by kubernetes + …) is now nearly full: the 61st fails cleanly.
    const more = await Promise.all(Array.from({ length: 3 }, (_, i) => second.req('POST', '/api/v1/namespaces/default/services', svc(`u${i}`))));
    expect(more.map((r) => r.status).sort()).toEqual([201, 500, 500]);
  });

  it('two apiservers on one store with claim records never duplicate', async () => {
    const storage = new MemoryStorage();
    const a = await harness(storage, true);
    const b = await harness(storage, true);
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).req('POST', '/api/v1/namespaces/default/services', svc(`s${i}`, { type: 'NodePort' }))));
    expect(rs.map((r) => r.status)).toEqual(Array(100).fill(201));
    const bodies = rs.map((r) => r.body as unknown as SvcBody);
    expect(new Set(bodies.map((x) => x.spec.clusterIP)).size).toBe(100);
    expect(new Set(bodies.map((x) => x.spec.ports[0]!.nodePort)).size).toBe(100);
    const taken = bodies[1]!.spec.clusterIP; // created through `a`
    expect((await b.req('POST', '/api/v1/namespaces/default/services', svc('dup', { clusterIP: taken }))).status).toBe(422);
  });
});
