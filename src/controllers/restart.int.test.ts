// Restart in the middle of the controllers' work, on the same SQLite file: the new
// process derives everything from stored objects, so no duplicates and no leaks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../apiserver/storage/sqlite.js';
import { eventually, nodeReadyStatus, readyNode, startHarness, type Harness } from './testing/harness.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const list = async (h: Harness, url: string): Promise<Obj[]> => (await h.req('GET', url)).body.items as Obj[];

describe('controllers across a restart', { timeout: 30_000 }, () => {
  it('resume without duplicating ReplicaSets, pods, slices, pod CIDRs or LB addresses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hawser-ctrl-'));
    dirs.push(dir);
    const db = join(dir, 'state.db');
    const cfg = { controllers: { lbPool: '192.168.56.200-192.168.56.203' } };
    const first = await startHarness(new SqliteStorage({ path: db }), cfg);
    for (const n of ['n1', 'n2']) {
      await first.req('POST', '/api/v1/nodes', readyNode(n));
      await first.req('PATCH', `/api/v1/nodes/${n}/status`, { status: nodeReadyStatus() }, 'application/merge-patch+json');
    }
    await first.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await first.req('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'web' },
      spec: { replicas: 6, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    // Stop while the controllers are (most likely) still at it.
    await first.close();

    const second = await startHarness(new SqliteStorage({ path: db }), cfg);
    open.push(second);
    for (const n of ['n3', 'n4']) {
      await second.req('POST', '/api/v1/nodes', readyNode(n));
      await second.req('PATCH', `/api/v1/nodes/${n}/status`, { status: nodeReadyStatus() }, 'application/merge-patch+json');
    }
    await second.req('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web2' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const pods = await eventually(async () => {
      const p = await list(second, '/api/v1/namespaces/default/pods?labelSelector=app=web');
      return p.length === 6 && p.every((x) => x.spec.nodeName) ? p : undefined;
    }, '6 bound pods');
    let ip = 2;
    for (const p of pods) {
      await second.req('PATCH', `/api/v1/namespaces/default/pods/${p.metadata.name}/status`, { status: { phase: 'Running', podIP: `10.244.9.${ip}`, podIPs: [{ ip: `10.244.9.${ip++}` }], conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json');
    }
    await eventually(async () => {
      const s = await list(second, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web');
      return s.length === 1 && s[0]!.endpoints?.length === 6 ? true : undefined;
    }, 'one slice with 6 endpoints');
    await second.controllers!.idle();
    expect(await list(second, '/apis/apps/v1/namespaces/default/replicasets')).toHaveLength(1);
    expect(await list(second, '/api/v1/namespaces/default/pods')).toHaveLength(6);
    const nodes = await eventually(async () => {
      const n = await list(second, '/api/v1/nodes');
      return n.every((x) => x.spec?.podCIDR) ? n : undefined;
    }, 'pod CIDRs');
    expect(new Set(nodes.map((n) => n.spec.podCIDR)).size).toBe(4);
    const lbs = await eventually(async () => {
      const s = await list(second, '/api/v1/namespaces/default/services');
      const ips = s.filter((x) => x.spec.type === 'LoadBalancer').map((x) => x.status?.loadBalancer?.ingress?.[0]?.ip);
      return ips.length === 2 && ips.every(Boolean) ? ips : undefined;
    }, 'LB addresses');
    expect(new Set(lbs).size).toBe(2);
  });
});
