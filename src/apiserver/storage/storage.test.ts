// The storage contract, run against every backend that needs no external process.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage } from './memory.js';
import { SqliteStorage } from './sqlite.js';
import { isStorageError, type Storage, type StoreEvent } from './types.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function sqliteAt(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'hawser-sqlite-'));
  if (!dir) dirs.push(d);
  return { dir: d, storage: new SqliteStorage({ path: join(d, 'state.db') }) };
}

const backends: [string, () => Storage][] = [
  ['memory', () => new MemoryStorage()],
  ['sqlite', () => sqliteAt().storage],
];

const obj = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, ...extra });

describe.each(backends)('%s storage', (_name, make) => {
  it('stamps one increasing revision across keys and kinds', async () => {
    const s = make();
    const a = await s.create('/registry/core/configmaps/ns/a', obj('a'));
    const b = await s.create('/registry/core/secrets/ns/b', obj('b'));
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(await s.revision()).toBe(Number(b.metadata.resourceVersion));
    await s.close();
  });

  it('create is create-only; update and delete check the expected revision', async () => {
    const s = make();
    const k = '/registry/core/configmaps/ns/a';
    const a = await s.create(k, obj('a'));
    await expect(s.create(k, obj('a'))).rejects.toSatisfy((e) => isStorageError(e, 'Exists'));
    const rv = Number(a.metadata.resourceVersion);
    const u = await s.update(k, obj('a', { data: { x: '1' } }), rv);
    await expect(s.update(k, obj('a'), rv)).rejects.toSatisfy((e) => isStorageError(e, 'Conflict'));
    await expect(s.update('/registry/core/configmaps/ns/nope', obj('nope'))).rejects.toSatisfy((e) => isStorageError(e, 'NotFound'));
    await expect(s.delete(k, rv)).rejects.toSatisfy((e) => isStorageError(e, 'Conflict'));
    const gone = await s.delete(k, Number(u.metadata.resourceVersion));
    expect(gone.data).toEqual({ x: '1' });
    expect(await s.get(k)).toBeUndefined();
    await s.close();
  });

  it('lists by prefix in key order, with limit and a continuation key', async () => {
    const s = make();
    for (const n of ['c', 'a', 'b', 'd']) await s.create(`/registry/core/configmaps/ns/${n}`, obj(n));
    await s.create('/registry/core/configmaps/ns2/z', obj('z'));
    await s.create('/registry/core/configmapsx/ns/y', obj('y'));
    const all = await s.list('/registry/core/configmaps/ns/');
    expect(all.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(all.nextKey).toBeUndefined();
    const p1 = await s.list('/registry/core/configmaps/', { limit: 3 });
    expect(p1.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    const p2 = await s.list('/registry/core/configmaps/', { limit: 3, after: p1.nextKey });
    expect(p2.items.map((o) => o.metadata.name)).toEqual(['d', 'z']);
    expect(p2.nextKey).toBeUndefined();
    await s.close();
  });

  it('tells subscribers every change in order, with the previous object', async () => {
    const s = make();
    const seen: StoreEvent[] = [];
    const stop = s.subscribe((e) => seen.push(e));
    const k = '/registry/core/configmaps/ns/a';
    const a = await s.create(k, obj('a'));
    const u = await s.update(k, obj('a', { data: { v: '2' } }));
    await s.delete(k);
    stop();
    await s.create('/registry/core/configmaps/ns/b', obj('b'));
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(seen[1]!.prev?.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(seen[2]!.prev?.metadata.resourceVersion).toBe(u.metadata.resourceVersion);
    expect(seen[2]!.rv).toBeGreaterThan(Number(u.metadata.resourceVersion));
    expect(seen.map((e) => e.rv)).toEqual([...seen.map((e) => e.rv)].sort((x, y) => x - y));
    await s.close();
  });
});

describe('sqlite durability', () => {
  it('keeps objects and the revision counter across reopen', async () => {
    const { dir, storage } = sqliteAt();
    await storage.create('/registry/core/configmaps/ns/a', obj('a'));
    const b = await storage.create('/registry/core/configmaps/ns/b', obj('b'));
    await storage.delete('/registry/core/configmaps/ns/a');
    await storage.close();
    const again = sqliteAt(dir).storage;
    expect((await again.list('/registry/')).items.map((o) => o.metadata.name)).toEqual(['b']);
    const c = await again.create('/registry/core/configmaps/ns/c', obj('c'));
    expect(Number(c.metadata.resourceVersion)).toBe(Number(b.metadata.resourceVersion) + 2);
    await again.close();
  });
});
