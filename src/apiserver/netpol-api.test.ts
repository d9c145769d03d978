// The upstream e2e "NetworkPolicy API" sequence (test/e2e/network/netpol/
// network_policy_api.go), through real HTTP, plus its endPort validation cases.
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createApiServer } from './app.js';
import { MemoryStorage } from './storage/memory.js';
import { SqliteStorage } from './storage/sqlite.js';
import type { Storage } from './storage/types.js';
import { openWatch as open } from './watch/test-client.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });
const openWatch = (base: string, path: string) => open(closers, base, path);

const backends: [string, () => Storage][] = [
  ['memory', () => new MemoryStorage()],
  ['sqlite', () => new SqliteStorage({ path: ':memory:' })],
];

describe.each(backends)('Netpol API on %s', (_n, make) => {
  it('discovery, create×3 with generateName, get, list/watch by label, patch+update as MODIFIED, delete, deletecollection', async () => {
    const storage = make();
    const app = await createApiServer({ storage });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(async () => { await app.close(); await storage.close(); });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
      const r = await fetch(base + path, { method, headers: body ? { 'content-type': type } : {}, body: body ? JSON.stringify(body) : undefined });
      return { code: r.status, body: (await r.json()) as J };
    };
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'netpol-1' } });
    const NS = '/apis/networking.k8s.io/v1/namespaces/netpol-1/networkpolicies';
    const label = 'special-label=netpol-1';

    const groups = (await call('GET', '/apis')).body.groups as J[];
    expect(groups.find((g) => g.name === 'networking.k8s.io')?.versions.map((v: J) => v.version)).toContain('v1');
    const res = (await call('GET', '/apis/networking.k8s.io/v1')).body.resources as J[];
    expect(res.map((r) => r.name)).toContain('networkpolicies');

    const np = {
      metadata: { generateName: 'e2e-example-netpol', labels: { 'special-label': 'netpol-1' } },
      spec: {
        podSelector: { matchLabels: { 'pod-name': 'test-pod' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'ns-name': 'netpol-1' } } }] }],
        egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
      },
    };
    const created: J[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', NS, np);
      expect(r.code).toBe(201);
      expect(r.body.metadata.name).toMatch(/^e2e-example-netpol.{5}$/);
      expect(r.body.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      created.push(r.body);
    }
    const got = await call('GET', `${NS}/${created[0]!.metadata.name}`);
    expect(got.body.metadata.uid).toBe(created[0]!.metadata.uid);

    const list = await call('GET', `${NS}?labelSelector=${encodeURIComponent(label)}`);
    expect(list.body.items).toHaveLength(3);
    const all = await call('GET', `/apis/networking.k8s.io/v1/networkpolicies?labelSelector=${encodeURIComponent(label)}`);
    expect(all.body.items).toHaveLength(3);

    const w = await openWatch(base, `${NS}?watch=true&labelSelector=${encodeURIComponent(label)}&resourceVersion=${list.body.metadata.resourceVersion}`);
    const cw = await openWatch(base, `/apis/networking.k8s.io/v1/networkpolicies?watch=true&labelSelector=${encodeURIComponent(label)}&resourceVersion=${all.body.metadata.resourceVersion}`);
    const name = created[0]!.metadata.name as string;
    const patched = await call('PATCH', `${NS}/${name}`, { metadata: { annotations: { patched: 'true' } } }, 'application/merge-patch+json');
    expect(patched.body.metadata.annotations).toEqual({ patched: 'true' });
    await w.count(1);
    expect(w.events[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { name, annotations: { patched: 'true' } } } });

    const upd = await call('PUT', `${NS}/${name}`, { ...patched.body, metadata: { ...patched.body.metadata, annotations: { updated: 'true' } } });
    expect(upd.code).toBe(200);
    await w.count(2);
    expect(w.events[1]).toMatchObject({ type: 'MODIFIED', object: { metadata: { annotations: { updated: 'true' } } } });

    expect((await call('DELETE', `${NS}/${name}`)).code).toBe(200);
    expect((await call('GET', `${NS}/${name}`)).code).toBe(404);
    await w.count(3);
    expect(w.events[2]).toMatchObject({ type: 'DELETED', object: { metadata: { name } } });

    const dc = await call('DELETE', `${NS}?labelSelector=${encodeURIComponent(label)}`);
    expect(dc.code).toBe(200);
    expect((await call('GET', `${NS}?labelSelector=${encodeURIComponent(label)}`)).body.items).toHaveLength(0);
    await w.count(5);
    await cw.count(5);
    expect(cw.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'DELETED', 'DELETED', 'DELETED']);

    // endPort: rejected without port, with a named port, and below port.
    const withPorts = (ports: J[]) => ({ metadata: { name: 'ep' }, spec: { podSelector: {}, egress: [{ ports }] } });
    const rejected = async (ports: J[], field: string) => {
      const r = await call('POST', NS, withPorts(ports));
      expect(r.body).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(r.body.details.causes.map((c: J) => c.field)).toContain(field);
    };
    await rejected([{ endPort: 30000 }], 'spec.egress[0].ports[0].port');
    await rejected([{ port: 'serve-80', endPort: 30000 }], 'spec.egress[0].ports[0].endPort');
    await rejected([{ port: 30000, endPort: 29999 }], 'spec.egress[0].ports[0].endPort');
    const ok = await call('POST', NS, withPorts([{ port: 30000, endPort: 32767 }]));
    expect(ok.code).toBe(201);
    expect(ok.body.spec.egress[0].ports[0]).toEqual({ port: 30000, endPort: 32767, protocol: 'TCP' });
    // policyTypes defaulting without egress rules: Ingress only.
    const ing = await call('POST', NS, { metadata: { name: 'ing' }, spec: { podSelector: {} } });
    expect(ing.body.spec.policyTypes).toEqual(['Ingress']);
  });
});
