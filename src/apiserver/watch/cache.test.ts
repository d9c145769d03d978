import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../storage/memory.js';
import type { StoreEvent } from '../storage/types.js';
import { TooOldError, WatchCache } from './cache.js';

const cm = (name: string) => ({ metadata: { name } });

describe('watch cache', () => {
  it('replays kept events after the requested revision, then follows live ones, by prefix', async () => {
    const s = new MemoryStorage();
    const cache = await WatchCache.create(s);
    const a = await s.create('/registry/core/configmaps/x/a', cm('a'));
    await s.create('/registry/core/secrets/x/s', cm('s'));
    await s.update('/registry/core/configmaps/x/a', { ...cm('a'), data: {} });
    const got: StoreEvent[] = [];
    const stop = cache.watch(Number(a.metadata.resourceVersion), { prefix: '/registry/core/configmaps/', onEvent: (e) => got.push(e) });
    await s.create('/registry/core/configmaps/y/b', cm('b'));
    stop();
    await s.create('/registry/core/configmaps/y/c', cm('c'));
    expect(got.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'ADDED b']);
  });

  it('fails with TooOld once the history no longer covers the revision (by count)', async () => {
    const s = new MemoryStorage();
    const cache = await WatchCache.create(s, { capacity: 3 });
    const first = await s.create('/k/a', cm('a'));
    for (let i = 0; i < 5; i++) await s.update('/k/a', { ...cm('a'), data: { i: String(i) } });
    expect(() => cache.watch(Number(first.metadata.resourceVersion), { prefix: '/', onEvent: () => {} })).toThrow(TooOldError);
    const ok: StoreEvent[] = [];
    cache.watch(cache.oldestWatchable(), { prefix: '/', onEvent: (e) => ok.push(e) });
    expect(ok).toHaveLength(3);
  });

  it('drops history older than maxAge', async () => {
    let now = 0;
    const s = new MemoryStorage();
    const cache = await WatchCache.create(s, { maxAgeMs: 1000, now: () => now });
    const a = await s.create('/k/a', cm('a'));
    now = 5000;
    await s.create('/k/b', cm('b'));
    expect(() => cache.watch(Number(a.metadata.resourceVersion) - 1, { prefix: '/', onEvent: () => {} })).toThrow(TooOldError);
    expect(() => cache.watch(Number(a.metadata.resourceVersion), { prefix: '/', onEvent: () => {} })).not.toThrow();
  });

  it('a cache over a store with history starts watchable at the current revision', async () => {
    const s = new MemoryStorage();
    await s.create('/k/a', cm('a'));
    await s.create('/k/b', cm('b'));
    const cache = await WatchCache.create(s);
    expect(cache.oldestWatchable()).toBe(2);
    expect(() => cache.watch(1, { prefix: '/', onEvent: () => {} })).toThrow(TooOldError);
  });
});
