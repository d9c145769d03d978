// The agent's cross-node routing against the real kernel: two "nodes" on an underlay
// switch, each with a pod bridge holding its pod CIDR's gateway; the route sync programs
// host-gw or vxlan from Node objects, and a packet from node0's pod network reaches node1's.
import t from 'tap';
import type { V1Node } from '@kubernetes/client-node';
import { World } from './lib/index.js';
import { createBridge, listRoutes, setLinkUp, getLink } from '../src/kernel/link/index.js';
import { desiredNodeNetwork, VXLAN_DEVICE, type RoutingMode } from '../src/agent/node-routes.js';
import { syncNodeNetwork, type RouteSyncContext } from '../src/agent/route-sync.js';

const CLUSTER = '10.244.0.0/16';
const nodes: V1Node[] = [0, 1, 2].map((i) => ({
  metadata: { name: `node${i}` },
  spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
  status: { addresses: [{ type: 'InternalIP', address: `192.168.56.${10 + i}` }] },
}));

/** ping with a source address from the node's pod network (what a pod's packet carries). */
async function ping(w: World, ns: string, host: string, opts: { source: string }): Promise<{ ok: boolean; output: string }> {
  const r = await w.exec(ns, ['ping', '-n', '-c', '1', '-w', '2', '-I', opts.source, host], { allowFailure: true, timeoutMs: 5000 });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

async function buildNodes(w: World): Promise<void> {
  await w.addSwitch('under');
  for (const i of [0, 1]) {
    const ns = await w.addNetns(`node${i}`);
    await w.plug(`node${i}`, 'under', { addresses: [`192.168.56.${10 + i}/24`] });
    await w.enableForwarding(`node${i}`);
    await createBridge('hawser0', { netns: ns });
    await w.addAddress(`node${i}`, 'hawser0', `10.244.${i}.1/24`);
    await setLinkUp('hawser0', { netns: ns });
  }
}

async function syncBoth(w: World, mode: RoutingMode, list: V1Node[], ctxs: RouteSyncContext[]): Promise<void> {
  for (const i of [0, 1]) {
    ctxs[i] ??= { clusterCIDR: CLUSTER, nodeIP: `192.168.56.${10 + i}`, selfPodCIDR: `10.244.${i}.0/24`, netns: w.ns(`node${i}`) };
    const desired = desiredNodeNetwork(list, { name: `node${i}`, ip: `192.168.56.${10 + i}`, podCIDR: `10.244.${i}.0/24` }, mode);
    await syncNodeNetwork(ctxs[i]!, desired);
  }
}

for (const mode of ['host-gw', 'vxlan'] as const) {
  t.test(`${mode}: pod networks of two nodes reach each other`, async (t) => {
    const w = await World.create();
    t.teardown(() => w.close());
    await buildNodes(w);
    const before = await ping(w, 'node0', '10.244.1.1', { source: '10.244.0.1' });
    t.notOk(before.ok, 'no route before the sync');

    const ctxs: RouteSyncContext[] = [];
    await syncBoth(w, mode, nodes, ctxs);
    const r = await ping(w, 'node0', '10.244.1.1', { source: '10.244.0.1' });
    t.ok(r.ok, `node0 pod net → node1 pod gateway (${r.output.trim().split('\n').pop()})`);
    const back = await ping(w, 'node1', '10.244.0.1', { source: '10.244.1.1' });
    t.ok(back.ok, 'and back');

    const routes = await listRoutes({ netns: w.ns('node0'), family: 4 });
    const to2 = routes.find((x) => x.dst === '10.244.2.0/24');
    t.ok(to2, 'a route to node2 (registered, not wired in this test) is programmed too');
    if (mode === 'vxlan') {
      const dev = await getLink(VXLAN_DEVICE, { netns: w.ns('node0') });
      t.equal(dev?.kind, 'vxlan', 'overlay device exists');
      t.equal(dev?.mtu, 1450, 'overlay MTU leaves room for the 50-byte encapsulation');
    }

    // node2 leaves the cluster: its route goes, the others stay; syncing twice is a no-op.
    await syncBoth(w, mode, nodes.slice(0, 2), ctxs);
    await syncBoth(w, mode, nodes.slice(0, 2), ctxs);
    const after = await listRoutes({ netns: w.ns('node0'), family: 4 });
    t.notOk(after.find((x) => x.dst === '10.244.2.0/24'), 'route to the removed node is gone');
    t.ok(after.find((x) => x.dst === '10.244.1.0/24'), 'route to node1 stays');
    t.ok(after.find((x) => x.dst === '10.244.0.0/24'), 'own pod CIDR (connected route) untouched');
    t.ok((await ping(w, 'node0', '10.244.1.1', { source: '10.244.0.1' })).ok, 'still reachable after resync');
  });
}
