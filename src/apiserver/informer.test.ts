// @kubernetes/client-node 2.x informers against a real started apiserver (TLS, token,
// kubeconfig written by startApiServer): they stay in sync through 1,000 changes and
// re-list after a 410. Waits are on informer events, never on elapsed time.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from './start.js';
import type { KubeObject } from '../k8s/types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function start(extra: Parameters<typeof startApiServer>[0] extends infer O ? Partial<O> : never = {}): Promise<RunningApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hawser-informer-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await startApiServer({ dataDir: dir, listen: '127.0.0.1:0', storage: 'sqlite', ...extra });
  cleanups.push(() => srv.close());
  return srv;
}

function informerOn(srv: RunningApiServer) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(srv.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let lists = 0;
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => {
    lists++;
    return core.listNamespacedConfigMap({ namespace: 'default' });
  });
  let changed: () => void = () => {};
  const errors: unknown[] = [];
  for (const ev of ['add', 'update', 'delete'] as const) informer.on(ev, () => changed());
  informer.on('connect', () => changed());
  informer.on('error', (e) => { errors.push(e); changed(); });
  cleanups.push(() => informer.stop());
  const until = async (pred: () => boolean) => {
    while (!pred()) {
      if (errors.length) throw new Error(`informer error: ${String(errors[0])}`);
      await new Promise<void>((r) => { changed = r; });
    }
  };
  return { informer, core, until, lists: () => lists };
}

const snapshot = (objs: readonly { metadata?: { name?: string; resourceVersion?: string } }[]) =>
  objs.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();

describe('client-node informer', () => {
  it('stays in sync through 1,000 changes made by another client', async () => {
    const srv = await start();
    const { informer, core, until } = informerOn(srv);
    await informer.start();
    const rest = srv.app.hawser.rest;
    const def = srv.app.hawser.registry.get('', 'v1', 'configmaps')!;
    // create bodies without apiVersion/kind, as client-node sends them
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'via-client' }, data: { a: 'b' } } });
    let ops = 1;
    for (let i = 0; ops < 1000; i++) {
      const name = `cm-${i % 50}`;
      const cur = await rest.storage.get(`/registry/core/configmaps/default/${name}`);
      if (!cur) await rest.create(def, 'default', { metadata: { name }, data: { v: String(i) } });
      else if (i % 7 === 0) await rest.delete(def, 'default', name);
      else await rest.update(def, 'default', name, { ...cur, data: { v: String(i) } });
      ops++;
    }
    const want = snapshot((await rest.list(def, 'default')).items as KubeObject[]);
    await until(() => JSON.stringify(snapshot(informer.list('default'))) === JSON.stringify(want));
    expect(snapshot(informer.list('default'))).toEqual(want);
  }, 120_000);

  it('re-lists after its watch resourceVersion expired (410)', async () => {
    const srv = await start({ watchCache: { capacity: 20 } });
    const { informer, until, lists } = informerOn(srv);
    const rest = srv.app.hawser.rest;
    const def = srv.app.hawser.registry.get('', 'v1', 'configmaps')!;
    await rest.create(def, 'default', { metadata: { name: 'keep' } });
    await informer.start();
    await until(() => informer.list('default').length === 1);
    const before = lists();
    // Cut the watch, then push the history past the window before the informer can
    // re-watch: SQLite writes complete synchronously, so the 40 writes below all happen
    // in this tick, before the reconnect is even sent.
    const churn = await rest.create(def, 'default', { metadata: { name: 'churn' } });
    srv.app.hawser.endWatches();
    const key = '/registry/core/configmaps/default/churn';
    for (let i = 0; i < 40; i++) void rest.storage.update(key, { ...churn, data: { i: String(i) } });
    void rest.storage.delete('/registry/core/configmaps/default/keep');
    const want = snapshot((await rest.list(def, 'default')).items);
    await until(() => JSON.stringify(snapshot(informer.list('default'))) === JSON.stringify(want));
    expect(snapshot(informer.list('default'))).toEqual(want);
    expect(lists()).toBeGreaterThan(before);
  }, 120_000);
});
