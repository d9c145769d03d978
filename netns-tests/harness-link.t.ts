// The link primitives against the real kernel, each inside namespaces this test creates.
import t from 'tap';
import { World } from './lib/index.js';
import {
  addAddress, addFdb, addNeighbour, addRoute, createBridge, createVethPair, createVxlan, deleteAddress,
  deleteFdb, deleteLink, deleteNeighbour, deleteRoute, flushAddresses, getHairpin, getLink, ipBatch,
  isExists, isNetnsNotFound, isNotFound, listAddresses, listLinks, listRoutes, moveLink, renameLink,
  replaceRoute, setHairpin, setLinkDown, setLinkUp, setMaster, setMtu,
} from '../src/kernel/link/index.js';
import { getSysctl, setSysctl } from '../src/kernel/sysctl.js';
import { run } from '../src/kernel/exec.js';

// The World only provides the (crash-safe) namespaces; everything else below calls the
// kernel primitives directly with the full namespace names.
const w = await World.create();
t.teardown(() => w.close());
const A = await w.addNetns('a');
const B = await w.addNetns('b');
const p = w.prefix;

t.test('veth pair born in two namespaces, read back, moved, renamed, deleted', async (t) => {
  await createVethPair({ name: 'va', peerName: 'vb', netns: A, peerNetns: B, mtu: 1400, mac: '02:00:00:00:00:0a' });
  const a = await getLink('va', { netns: A });
  t.match(a, { name: 'va', kind: 'veth', mtu: 1400, mac: '02:00:00:00:00:0a', up: false });
  t.equal((await getLink('vb', { netns: B }))?.mtu, 1400);
  t.equal(await getLink('vb', { netns: A }), undefined, 'peer is not in A');

  const again = await createVethPair({ name: 'va', peerName: 'vc', netns: A }).catch((e: unknown) => e);
  t.ok(isExists(again), 'second create of the same name is isExists');

  await setLinkUp('va', { netns: A });
  await setMtu('va', 1300, { netns: A });
  t.match(await getLink('va', { netns: A }), { up: true, mtu: 1300 });
  await setLinkDown('va', { netns: A });
  t.equal((await getLink('va', { netns: A }))?.up, false);

  await renameLink('vb', 'vb2', { netns: B });
  t.ok(await getLink('vb2', { netns: B }));
  await moveLink('vb2', A, { netns: B });
  t.equal(await getLink('vb2', { netns: B }), undefined);
  t.equal((await getLink('va', { netns: A }))?.peer, 'vb2', 'both ends in A: peer name visible');
  t.same((await listLinks({ netns: A, kind: 'veth' })).map((l) => l.name).sort(), ['va', 'vb2']);

  await deleteLink('va', { netns: A });
  t.equal(await getLink('vb2', { netns: A }), undefined, 'deleting one end deletes the peer');
  await deleteLink('va', { netns: A }); // already gone: no error
  const moveMissing = await moveLink('nope', B, { netns: A }).catch((e: unknown) => e);
  t.ok(isNotFound(moveMissing), 'missing device is isNotFound');
});

t.test('an absolute namespace path works like a name', async (t) => {
  const path = `/run/netns/${B}`;
  await createVethPair({ name: 'pa', peerName: 'pb', netns: A, peerNetns: path });
  t.ok(await getLink('pb', { netns: path }));
  await deleteLink('pb', { netns: path });
  t.equal(await getLink('pa', { netns: A }), undefined);
  const missing = await getLink('lo', { netns: `/run/netns/${p}-none` }).catch((e: unknown) => e);
  t.ok(isNetnsNotFound(missing), 'missing namespace path is isNetnsNotFound');
  const missingName = await getLink('lo', { netns: `${p}-none` }).catch((e: unknown) => e);
  t.ok(isNetnsNotFound(missingName), 'missing namespace name is isNetnsNotFound');
});

t.test('bridge, ports, hairpin', async (t) => {
  await createBridge('br0', { netns: A, mtu: 1450 });
  await createVethPair({ name: 'p1', peerName: 'p1x', netns: A, peerNetns: B });
  await setMaster('p1', 'br0', { netns: A });
  const l = await getLink('p1', { netns: A });
  t.equal(l?.master, 'br0');
  t.equal(await getHairpin('p1', { netns: A }), false);
  await setHairpin('p1', true, { netns: A });
  t.equal(await getHairpin('p1', { netns: A }), true);
  t.equal(await getHairpin('br0', { netns: A }), undefined, 'bridge itself is not a port');
  await setMaster('p1', undefined, { netns: A });
  t.equal((await getLink('p1', { netns: A }))?.master, undefined);
  t.match(await getLink('br0', { netns: A }), { kind: 'bridge', up: true });
  await deleteLink('p1', { netns: A });
  await deleteLink('br0', { netns: A });
});

t.test('addresses and routes, both families', async (t) => {
  await createVethPair({ name: 'ra', peerName: 'rb', netns: A, peerNetns: B });
  await setLinkUp('ra', { netns: A });
  await addAddress('ra', '10.99.0.1/24', { netns: A });
  await addAddress('ra', 'fd99::1/64', { netns: A, nodad: true });
  const dup = await addAddress('ra', '10.99.0.1/24', { netns: A }).catch((e: unknown) => e);
  t.ok(isExists(dup), 'duplicate address is isExists');
  const addrs = await listAddresses('ra', { netns: A });
  t.same(addrs.filter((a) => a.scope === 'global').map((a) => a.cidr).sort(), ['10.99.0.1/24', 'fd99::1/64']);

  await addRoute({ dst: '10.98.0.0/16', via: '10.99.0.2', metric: 5 }, { netns: A });
  await addRoute({ dst: '10.97.0.1', via: '10.99.0.200', dev: 'ra', onlink: true }, { netns: A });
  await replaceRoute({ dst: '10.98.0.0/16', via: '10.99.0.3', metric: 5 }, { netns: A });
  await addRoute({ dst: 'fd98::/64', via: 'fd99::2' }, { netns: A });
  const routes = await listRoutes({ netns: A, dev: 'ra' });
  t.match(routes.find((r) => r.dst === '10.98.0.0/16'), { via: '10.99.0.3', dev: 'ra', metric: 5, family: 4 });
  t.match(routes.find((r) => r.dst === '10.97.0.1'), { via: '10.99.0.200', flags: ['onlink'] });
  t.match(routes.find((r) => r.dst === 'fd98::/64'), { via: 'fd99::2', family: 6 });

  await deleteRoute({ dst: '10.98.0.0/16', via: '10.99.0.3', metric: 5 }, { netns: A });
  await deleteRoute({ dst: '10.98.0.0/16', metric: 5 }, { netns: A }); // gone: no error
  t.notOk((await listRoutes({ netns: A, family: 4 })).some((r) => r.dst === '10.98.0.0/16'));

  await deleteAddress('ra', '10.99.0.1/24', { netns: A });
  await deleteAddress('ra', '10.99.0.1/24', { netns: A }); // gone: no error
  await flushAddresses('ra', { netns: A, family: 6 });
  t.same((await listAddresses('ra', { netns: A })).length, 0);
  await deleteLink('ra', { netns: A });
});

t.test('vxlan, fdb, neighbours', async (t) => {
  await createVethPair({ name: 'u0', peerName: 'u1', netns: A, peerNetns: B });
  await addAddress('u0', '192.168.99.1/24', { netns: A });
  await setLinkUp('u0', { netns: A });
  await createVxlan({ name: 'vx0', vni: 42, local: '192.168.99.1', dev: 'u0', dstPort: 4789, netns: A });
  t.match(await getLink('vx0', { netns: A }), { kind: 'vxlan' });
  const mac = '02:42:00:00:00:02';
  await addFdb({ dev: 'vx0', mac, dst: '192.168.99.2', netns: A });
  const fdb = (await run(['bridge', 'fdb', 'show', 'dev', 'vx0'], { netns: A })).stdout;
  t.match(fdb, new RegExp(`${mac} dst 192.168.99.2`));
  await addNeighbour({ dev: 'vx0', ip: '10.244.2.0', mac, netns: A });
  const neigh = (await run(['ip', 'neigh', 'show', 'dev', 'vx0'], { netns: A })).stdout;
  t.match(neigh, /10\.244\.2\.0 lladdr 02:42:00:00:00:02 PERMANENT/);
  await deleteNeighbour({ dev: 'vx0', ip: '10.244.2.0', netns: A });
  await deleteNeighbour({ dev: 'vx0', ip: '10.244.2.0', netns: A });
  await deleteFdb({ dev: 'vx0', mac, dst: '192.168.99.2', netns: A });
  await deleteFdb({ dev: 'vx0', mac, dst: '192.168.99.2', netns: A });
  t.notMatch((await run(['bridge', 'fdb', 'show', 'dev', 'vx0'], { netns: A })).stdout, mac);
  t.notMatch((await run(['ip', 'neigh', 'show', 'dev', 'vx0'], { netns: A })).stdout, '10.244.2.0');
  await deleteLink('vx0', { netns: A });
  await deleteLink('u0', { netns: A });
});

t.test('ip -batch runs many commands in one process and reports the failing line', async (t) => {
  await ipBatch([
    ['link', 'add', 'bx', 'type', 'veth', 'peer', 'name', 'by'],
    ['link', 'set', 'dev', 'bx', 'up'],
    ['addr', 'add', '10.77.0.1/24', 'dev', 'bx'],
  ], { netns: A });
  t.match(await getLink('bx', { netns: A }), { up: true });
  const err = await ipBatch([['link', 'set', 'dev', 'bx', 'mtu', '1400'], ['link', 'set', 'dev', 'nope', 'up']], { netns: A })
    .catch((e: unknown) => e);
  t.ok(isNotFound(err), 'failing line classified');
  t.match(String(err), /line 2: link set dev nope up/);
  await deleteLink('bx', { netns: A });
});

t.test('sysctls are per namespace', async (t) => {
  await setSysctl('net.ipv4.ip_forward', 1, { netns: A });
  t.equal(await getSysctl('net.ipv4.ip_forward', { netns: A }), '1');
  t.equal(await getSysctl('net.ipv4.ip_forward', { netns: B }), '0', 'B untouched');
});
