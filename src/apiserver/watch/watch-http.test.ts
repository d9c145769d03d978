// Watch semantics through real HTTP (a listening server, streamed with fetch), the way
// client-go and kubectl consume them. Waits are on events, never on elapsed time.
import { afterEach, describe, expect, it } from 'vitest';
import { listening as listen, openWatch as open, type Closers } from './test-client.js';

const closers: Closers = [];
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c(); });
const listening = (extra?: Parameters<typeof listen>[1]) => listen(closers, extra);
const openWatch = (base: string, path: string, headers?: Record<string, string>) => open(closers, base, path, headers);

const CM = '/api/v1/namespaces/default/configmaps';

describe('watch over HTTP', () => {
  it('flushes headers at once, then streams ADDED/MODIFIED/DELETED from a list resourceVersion', async () => {
    const { base, call } = await listening();
    await call('POST', CM, { metadata: { name: 'before' } });
    const list = await call('GET', CM);
    const w = await openWatch(base, `${CM}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    expect(w.res.status).toBe(200);
    expect(w.res.headers.get('content-type')).toBe('application/json');
    expect(w.res.headers.get('transfer-encoding')).toBe('chunked');
    await call('POST', CM, { metadata: { name: 'a' } });
    await call('PATCH', `${CM}/a`, { data: { x: '1' } }, 'application/merge-patch+json');
    await call('DELETE', `${CM}/a`);
    await w.count(3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(new Set(rvs).size).toBe(3);
    expect(w.events[1]!.object.data).toEqual({ x: '1' });
  });

  it('without resourceVersion: synthetic ADDED for what exists, then live events', async () => {
    const { base, call } = await listening();
    await call('POST', CM, { metadata: { name: 'x' } });
    await call('POST', CM, { metadata: { name: 'y' } });
    const w = await openWatch(base, `${CM}?watch=1`);
    await w.count(2);
    await call('POST', CM, { metadata: { name: 'z' } });
    await w.count(3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED x', 'ADDED y', 'ADDED z']);
  });

  it('label selectors turn transitions into ADDED/DELETED', async () => {
    const { base, call } = await listening();
    const rv = (await call('GET', CM)).body.metadata.resourceVersion;
    const w = await openWatch(base, `/api/v1/configmaps?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb`);
    await call('POST', CM, { metadata: { name: 'a', labels: { app: 'db' } } });
    await call('PATCH', `${CM}/a`, { metadata: { labels: { app: 'web' } } }, 'application/merge-patch+json');
    await call('PATCH', `${CM}/a`, { data: { k: 'v' } }, 'application/merge-patch+json');
    await call('PATCH', `${CM}/a`, { metadata: { labels: { app: 'db' } } }, 'application/merge-patch+json');
    await call('POST', CM, { metadata: { name: 'b', labels: { app: 'web' } } });
    await w.count(4);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a', 'ADDED b']);
  });

  it('an expired resourceVersion gives an in-stream 410 ERROR, and the stream ends', async () => {
    const { base, call } = await listening({ watchCache: { capacity: 2 } });
    const first = await call('POST', CM, { metadata: { name: 'a' } });
    for (let i = 0; i < 4; i++) await call('PATCH', `${CM}/a`, { data: { i: String(i) } }, 'application/merge-patch+json');
    const w = await openWatch(base, `${CM}?watch=true&resourceVersion=${first.body.metadata.resourceVersion}`);
    await w.count(1);
    expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(await w.ended()).toBe(true);
  });

  it('timeoutSeconds ends the stream; bookmarks carry the current resourceVersion', async () => {
    const { base, call } = await listening({ bookmarkIntervalMs: 20 });
    const t = await openWatch(base, `${CM}?watch=true&timeoutSeconds=1`);
    expect(await t.ended()).toBe(true);
    const created = await call('POST', CM, { metadata: { name: 'a' } });
    const w = await openWatch(base, `${CM}?watch=true&allowWatchBookmarks=true&resourceVersion=${created.body.metadata.resourceVersion}`);
    await w.count(1);
    expect(w.events[0]).toMatchObject({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1' } });
    expect(Number(w.events[0]!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(created.body.metadata.resourceVersion));
    const init = await openWatch(base, `${CM}?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`);
    await init.count(2);
    expect(init.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    expect(init.events[1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  });

  it('watch with Accept as=Table streams Table rows (kubectl get -w)', async () => {
    const { base, call } = await listening();
    const rv = (await call('GET', CM)).body.metadata.resourceVersion;
    const w = await openWatch(base, `${CM}?watch=true&resourceVersion=${rv}`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    await call('POST', CM, { metadata: { name: 'a' }, data: { k: 'v' } });
    await w.count(1);
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Table', rows: [{ cells: ['a', 1, expect.any(String)] }] } });
  });
});
