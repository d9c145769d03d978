// The apiserver on a real etcd (Debian etcd-server 3.4, started here on loopback with its
// own data directory): the storage contract, API semantics, and two apiservers sharing
// one etcd — a write through one reaches a watch on the other.
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStorage } from '../src/apiserver/storage/etcd.js';
import { createApiServer } from '../src/apiserver/app.js';
import { isStorageError } from '../src/apiserver/storage/types.js';
import { startTestEtcd } from './lib/etcd.js';

if (!existsSync('/usr/bin/etcd')) {
  t.plan(0, 'etcd is not installed');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'hawser-etcd-'));
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
t.teardown(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startEtcd(): Promise<string> {
  const etcd = await startTestEtcd('hawser-test', dir);
  children.push(etcd.child);
  return etcd.url;
}

const endpoint = await startEtcd();
const connect = async (prefix: string) => {
  const s = await EtcdStorage.connect({ endpoints: [endpoint], prefix });
  closers.push(() => s.close());
  return s;
};

t.test('storage contract on etcd', async (t) => {
  const s = await connect('/contract');
  const events: string[] = [];
  let wake: () => void = () => {};
  s.subscribe((e) => { events.push(`${e.type} ${e.object.metadata.name} ${e.rv}`); wake(); });
  const k = '/registry/core/configmaps/ns/a';
  const a = await s.create(k, { metadata: { name: 'a' } });
  t.ok(isStorageError(await s.create(k, { metadata: { name: 'a' } }).catch((e: unknown) => e), 'Exists'), 'create-only');
  const rv = Number(a.metadata.resourceVersion);
  const u = await s.update(k, { metadata: { name: 'a' }, data: { x: '1' } }, rv);
  t.ok(isStorageError(await s.update(k, { metadata: { name: 'a' } }, rv).catch((e: unknown) => e), 'Conflict'), 'stale revision');
  t.ok(isStorageError(await s.update('/registry/core/configmaps/ns/none', { metadata: { name: 'none' } }).catch((e: unknown) => e), 'NotFound'));
  for (const n of ['b', 'c', 'd']) await s.create(`/registry/core/configmaps/ns/${n}`, { metadata: { name: n } });
  const p1 = await s.list('/registry/core/configmaps/', { limit: 2 });
  const p2 = await s.list('/registry/core/configmaps/', { limit: 2, after: p1.nextKey });
  t.same([...p1.items, ...p2.items].map((o) => o.metadata.name), ['a', 'b', 'c', 'd']);
  t.equal(p2.nextKey, undefined);
  const gone = await s.delete(k);
  t.equal(gone.metadata.resourceVersion, u.metadata.resourceVersion, 'delete returns the last stored state');
  while (events.length < 6) await new Promise<void>((r) => { wake = r; });
  t.same(events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['ADDED a', 'MODIFIED a', 'ADDED b', 'ADDED c', 'ADDED d', 'DELETED a']);
  const rvs = events.map((e) => Number(e.split(' ')[2]));
  t.same(rvs, [...rvs].sort((x, y) => x - y), 'events in revision order');
});

t.test('API semantics on etcd through app.inject', async (t) => {
  const storage = await connect('/api');
  const app = await createApiServer({ storage });
  closers.push(() => app.close());
  const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const svc = await post('/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  t.equal(svc.statusCode, 201);
  const created = JSON.parse(svc.body) as { metadata: { resourceVersion: string } };
  t.equal((await post('/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } })).statusCode, 409);
  const put = (body: unknown) => app.inject({ method: 'PUT', url: '/api/v1/namespaces/default/services/web', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const cur = JSON.parse((await app.inject({ url: '/api/v1/namespaces/default/services/web' })).body) as Record<string, unknown> & { metadata: Record<string, unknown> };
  t.equal((await put({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } })).statusCode, 200);
  t.equal((await put({ ...cur, metadata: { ...cur.metadata, labels: { a: 'c' } } })).statusCode, 409, 'stale resourceVersion');
  const list = JSON.parse((await app.inject({ url: '/api/v1/namespaces?limit=2' })).body) as { items: unknown[]; metadata: { continue?: string; resourceVersion: string } };
  t.equal(list.items.length, 2);
  t.ok(list.metadata.continue);
  t.ok(Number(list.metadata.resourceVersion) >= Number(created.metadata.resourceVersion));
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/namespaces/default/services/web' })).statusCode, 200);
  t.equal((await app.inject({ url: '/api/v1/namespaces/default/services/web' })).statusCode, 404);
});

t.test('two apiservers on one etcd: a write through one reaches a watch on the other', async (t) => {
  const servers = [];
  for (let i = 0; i < 2; i++) {
    const storage = await connect('/shared');
    const app = await createApiServer({ storage });
    await app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => app.close());
    servers.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  }
  const [a, b] = servers as [string, string];
  const rv = ((await (await fetch(`${b}/api/v1/namespaces/default/configmaps`)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`${b}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, { signal: ac.signal });
  const created = await fetch(`${a}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'from-a' }, data: { k: 'v' } }) });
  t.equal(created.status, 201);
  const createdRv = ((await created.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += Buffer.from(chunk).toString();
    if (buf.includes('\n')) break;
  }
  const ev = JSON.parse(buf.split('\n')[0]!) as { type: string; object: { metadata: { name: string; resourceVersion: string } } };
  t.equal(ev.type, 'ADDED');
  t.equal(ev.object.metadata.name, 'from-a');
  t.equal(ev.object.metadata.resourceVersion, createdRv, 'same resourceVersion on both servers (etcd mod_revision)');
  const viaB = await fetch(`${b}/api/v1/namespaces/default/configmaps/from-a`);
  t.equal(viaB.status, 200);
  const dup = await fetch(`${b}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'from-a' } }) });
  t.equal(dup.status, 409, 'create-only across apiservers');
});
