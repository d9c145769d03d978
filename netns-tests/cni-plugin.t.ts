// The hawser CNI plugin as a runtime calls it: the installed executable, CNI_* env and
// the config on stdin, run inside a "node" namespace of this test (so the bridge and host
// veths live there, never in the root namespace), pods in namespaces of their own.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World, ping, startEchoServer, tcpProbe, udpProbe } from './lib/index.js';
import { install } from '../cni/install.js';
import { getHairpin, getLink, listAddresses, listLinks, listRoutes, deleteAddress, deleteRoute } from '../src/kernel/link/index.js';
import { deleteNetns } from '../src/kernel/netns/namespace.js';
import { invoke, netconf, type Invocation } from '../bench/cni/invoke.js';
import { hostVethName } from '../cni/names.js';
import { sweepStaleReservations } from '../cni/sweep.js';

const VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
const POD_CIDR = '10.244.1.0/24';

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cni-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

const binDir = join(tmp, 'bin');
const dataDir = join(tmp, 'data');
const inst = await install({ binDir, confDir: join(tmp, 'conf'), podCIDR: POD_CIDR, dataDir, portmap: false });
const list = { cniVersion: inst.cniVersion, name: 'hawser', plugins: [{ type: 'hawser', bridge: 'hawser0', mtu: 1500, hairpinMode: true, dataDir, podCIDR: POD_CIDR }] };
const node = await w.addNetns('node');

let podSeq = 0;
async function newPod(): Promise<{ short: string; path: string }> {
  const short = `pod${++podSeq}`;
  await w.addNetns(short);
  return { short, path: w.path(short) };
}

const call = (command: Invocation['command'], o: Partial<Invocation> = {}) =>
  invoke({ plugin: inst.plugin, command, nodeNetns: node, ifname: 'eth0', config: netconf(list, 0, o.config as Record<string, unknown> ?? {}), ...o, ...(o.config ? { config: o.config } : {}) });

const confAt = (v: string, extra: Record<string, unknown> = {}) => netconf({ ...list, cniVersion: v }, 0, extra);

const reservations = (dir = join(dataDir, 'hawser')) =>
  existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f.:]+$/.test(n) && (n.includes('.') || n.includes(':'))) : [];
const hostVeths = async () => (await listLinks({ netns: node, kind: 'veth' })).map((l) => l.name);

t.test('VERSION answers the supported versions, echoing the asked one', async (t) => {
  for (const v of VERSIONS) {
    const r = await call('VERSION', { config: { cniVersion: v } });
    t.equal(r.exit, 0);
    t.same(r.json, { cniVersion: v, supportedVersions: VERSIONS }, v);
  }
});

for (const v of VERSIONS) {
  t.test(`ADD / CHECK / DEL at ${v}`, async (t) => {
    const pod = await newPod();
    const id = `ctr-${v.replaceAll('.', '')}`;
    const add = await call('ADD', { containerId: id, netns: pod.path, config: confAt(v) });
    t.equal(add.exit, 0, add.stdout + add.stderr);
    const res = add.json as { cniVersion: string; interfaces: { name: string; mac?: string; sandbox?: string }[]; ips: { address: string; gateway: string; interface: number; version?: string }[]; routes: { dst: string; gw: string }[] };
    t.equal(res.cniVersion, v);
    t.equal(res.ips.length, 1);
    const ip = res.ips[0]!;
    t.match(ip.address, /^10\.244\.1\.\d+\/24$/);
    t.equal(ip.gateway, '10.244.1.1');
    t.equal(ip.version, v.startsWith('0.') ? '4' : undefined, 'ips[].version only before 1.0.0');
    const iface = res.interfaces[ip.interface]!;
    t.match(iface, { name: 'eth0', sandbox: pod.path });
    t.same(res.routes, [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }]);

    const eth0 = await getLink('eth0', { netns: pod.path });
    t.equal(eth0?.mac, iface.mac, 'MAC in the result is the interface MAC');
    t.equal(eth0?.up, true);
    t.ok((await listAddresses('eth0', { netns: pod.path })).some((a) => a.cidr === ip.address), 'address on eth0');
    t.ok((await listRoutes({ netns: pod.path, family: 4 })).some((r) => r.dst === 'default' && r.via === '10.244.1.1'), 'default route');
    const host = await getLink(hostVethName(id, 'eth0'), { netns: node });
    t.match(host, { master: 'hawser0', up: true, mtu: 1500 });
    t.equal(await getHairpin(hostVethName(id, 'eth0'), { netns: node }), true, 'hairpin on');
    t.equal(res.interfaces.find((i) => i.name === host?.name)?.mac, host?.mac);
    t.ok(reservations().includes(ip.address.split('/')[0]!), 'reservation stored');

    if (v !== '0.3.0' && v !== '0.3.1') {
      const chk = await call('CHECK', { containerId: id, netns: pod.path, config: confAt(v, { prevResult: res }) });
      t.equal(chk.exit, 0, `CHECK ok: ${chk.stdout}`);
    } else {
      const chk = await call('CHECK', { containerId: id, netns: pod.path, config: confAt(v, { prevResult: res }) });
      t.equal(chk.json?.code, 1, 'CHECK refused before 0.4.0');
    }
    const del = await call('DEL', { containerId: id, netns: pod.path, config: confAt(v) });
    t.equal(del.exit, 0, del.stdout);
    t.equal(del.stdout, '');
    t.equal(await getLink('eth0', { netns: pod.path }), undefined, 'pod interface gone');
    t.equal(await getLink(hostVethName(id, 'eth0'), { netns: node }), undefined, 'host veth gone');
    t.notOk(reservations().includes(ip.address.split('/')[0]!), 'reservation released');
  });
}

t.test('two pods on one node: ICMP, TCP, UDP both ways; pod to gateway', async (t) => {
  const a = await newPod();
  const b = await newPod();
  const ra = await call('ADD', { containerId: 'reach-a', netns: a.path });
  const rb = await call('ADD', { containerId: 'reach-b', netns: b.path });
  t.equal(ra.exit + rb.exit, 0);
  const ipOf = (r: typeof ra) => ((r.json as { ips: { address: string }[] }).ips[0]!.address.split('/')[0]!);
  const [ipa, ipb] = [ipOf(ra), ipOf(rb)];
  t.not(ipa, ipb);
  t.ok((await ping(w, a.short, ipb)).ok, 'a pings b');
  t.ok((await ping(w, b.short, ipa)).ok, 'b pings a');
  t.ok((await ping(w, a.short, '10.244.1.1')).ok, 'a pings its gateway (the bridge)');
  const srv = await startEchoServer(w, b.short, { name: 'b', listen: [{ proto: 'tcp', port: 8080 }, { proto: 'udp', port: 8081 }] });
  const tcp = await tcpProbe(w, a.short, ipb, 8080);
  t.ok(tcp.ok && tcp.echo?.peer.startsWith(`${ipa}:`), 'TCP a→b, source address kept');
  const udp = await udpProbe(w, a.short, ipb, 8081);
  t.ok(udp.ok && udp.echo?.peer.startsWith(`${ipa}:`), 'UDP a→b');
  await srv.stop();
  const srvA = await startEchoServer(w, a.short, { name: 'a', listen: [{ proto: 'tcp', port: 8080 }] });
  t.ok((await tcpProbe(w, b.short, ipa, 8080)).ok, 'TCP b→a');
  await srvA.stop();
  for (const [id, p] of [['reach-a', a], ['reach-b', b]] as const) t.equal((await call('DEL', { containerId: id, netns: p.path })).exit, 0);
});

t.test('a repeated ADD returns the same address and keeps one reservation', async (t) => {
  const p = await newPod();
  const first = await call('ADD', { containerId: 'again', netns: p.path });
  const second = await call('ADD', { containerId: 'again', netns: p.path });
  t.equal(second.exit, 0, second.stdout);
  t.same(second.json, first.json, 'identical result');
  t.equal(reservations().length, 1);
  t.equal((await listAddresses('eth0', { netns: p.path })).filter((a) => a.family === 4).length, 1, 'one address on eth0');
  t.equal((await call('DEL', { containerId: 'again', netns: p.path })).exit, 0);
});

t.test('DEL is idempotent', async (t) => {
  const p = await newPod();
  const add = await call('ADD', { containerId: 'idem', netns: p.path });
  t.equal(add.exit, 0);
  t.equal((await call('DEL', { containerId: 'idem', netns: p.path })).exit, 0, 'first DEL');
  t.equal((await call('DEL', { containerId: 'idem', netns: p.path })).exit, 0, 'second DEL');
  t.equal((await call('DEL', { containerId: 'never-added', netns: p.path })).exit, 0, 'DEL of an unknown container');

  const q = await newPod();
  t.equal((await call('ADD', { containerId: 'empty-ns', netns: q.path })).exit, 0);
  const del = await call('DEL', { containerId: 'empty-ns', netns: '' });
  t.equal(del.exit, 0, `DEL with empty CNI_NETNS: ${del.stdout}`);
  t.equal(await getLink(hostVethName('empty-ns', 'eth0'), { netns: node }), undefined, 'veth removed anyway');

  const r = await newPod();
  t.equal((await call('ADD', { containerId: 'ns-gone', netns: r.path })).exit, 0);
  await deleteNetns(w.ns(r.short));
  const gone = await call('DEL', { containerId: 'ns-gone', netns: r.path });
  t.equal(gone.exit, 0, `DEL after the netns is gone: ${gone.stdout}`);
  t.same(reservations(), [], 'every reservation released');
  t.same(await hostVeths(), [], 'no host veth left');
});

t.test('CHECK names what differs', async (t) => {
  const p = await newPod();
  const add = await call('ADD', { containerId: 'chk', netns: p.path });
  const prev = add.json!;
  const check = () => call('CHECK', { containerId: 'chk', netns: p.path, config: confAt('1.1.0', { prevResult: prev }) });
  t.equal((await check()).exit, 0);
  const addr = (prev as { ips: { address: string }[] }).ips[0]!.address;

  await deleteRoute({ dst: 'default', via: '10.244.1.1', dev: 'eth0' }, { netns: p.path });
  let r = await check();
  t.match(r.json, { code: 100, msg: /route 0\.0\.0\.0\/0 via 10\.244\.1\.1 missing/ });
  await deleteAddress('eth0', addr, { netns: p.path });
  r = await check();
  t.match(r.json, { code: 100, msg: new RegExp(`address ${addr.replace(/\./g, '\\.')} not on eth0`) });
  t.match((await call('CHECK', { containerId: 'chk', netns: p.path })).json, { code: 7, msg: /prevResult/ }, 'no prevResult');
  t.equal((await call('ADD', { containerId: 'chk', netns: p.path })).exit, 0, 're-ADD repairs');
  t.equal((await check()).exit, 0, 'CHECK passes again');
  t.equal((await call('DEL', { containerId: 'chk', netns: p.path })).exit, 0);
  r = await check();
  t.match(r.json, { code: 100, msg: /interface eth0 not found/ }, 'after DEL');
});

t.test('STATUS and GC (spec 1.1)', async (t) => {
  t.equal((await call('STATUS', { config: confAt('1.1.0') })).exit, 0, 'STATUS with a pod CIDR');
  const cidrFile = join(tmp, 'pod-cidr');
  const noCidr = confAt('1.1.0', { podCIDR: undefined, podCIDRFile: cidrFile });
  t.match((await call('STATUS', { config: noCidr })).json, { code: 50 }, 'no pod CIDR yet: 50');
  const p0 = await newPod();
  const early = await call('ADD', { containerId: 'early', netns: p0.path, config: noCidr });
  t.match(early.json, { code: 11 }, 'ADD before the pod CIDR is known: try again later');
  t.same(await hostVeths(), []);
  writeFileSync(cidrFile, `${POD_CIDR}\n`);
  t.equal((await call('STATUS', { config: noCidr })).exit, 0, 'STATUS once the agent wrote the file');
  t.equal((await call('ADD', { containerId: 'early', netns: p0.path, config: noCidr })).exit, 0, 'ADD from the file');

  const p1 = await newPod();
  t.equal((await call('ADD', { containerId: 'keep', netns: p1.path })).exit, 0);
  for (const key of ['cni.dev/valid-attachments', 'cni.dev/attachments']) {
    const gc = await call('GC', { config: confAt('1.1.0', { [key]: [{ containerID: 'keep', ifname: 'eth0' }] }) });
    t.equal(gc.exit, 0, `${key}: ${gc.stdout}`);
    t.equal(reservations().length, 1, `${key}: one reservation left`);
    t.same(await hostVeths(), [hostVethName('keep', 'eth0')], `${key}: the stale veth is gone`);
  }
  t.match((await call('GC', { config: confAt('1.0.0', { 'cni.dev/valid-attachments': [] }) })).json, { code: 1 }, 'GC needs 1.1.0');
  t.equal((await call('DEL', { containerId: 'keep', netns: p1.path })).exit, 0);
});

t.test('bad input: the right code, nothing left behind', async (t) => {
  const p = await newPod();
  const ok = { containerId: 'bad', netns: p.path };
  const small = { ...confAt('1.0.0'), name: 'tiny', podCIDR: '10.245.0.0/30', bridge: 'hwtiny0' };
  const cases: [string, Partial<Invocation>, number][] = [
    ['malformed JSON', { ...ok, stdin: '{"cniVersion": "1.0.0", "name":' }, 6],
    ['missing network name', { ...ok, config: { cniVersion: '1.0.0', type: 'hawser', podCIDR: POD_CIDR, dataDir } }, 7],
    ['wrong type', { ...ok, config: confAt('1.0.0', { type: 'bridge' }) }, 7],
    ['invalid podCIDR', { ...ok, config: confAt('1.0.0', { podCIDR: '10.244.1.5/24' }) }, 7],
    ['unsupported cniVersion', { ...ok, config: confAt('0.2.0') }, 1],
    ['missing cniVersion', { ...ok, config: { ...confAt('1.0.0'), cniVersion: undefined } }, 1],
    ['nonexistent netns', { ...ok, netns: '/run/netns/hwt-does-not-exist' }, 3],
    ['missing CNI_COMMAND', { ...ok, env: { CNI_COMMAND: undefined } }, 4],
    ['missing CNI_NETNS', { ...ok, env: { CNI_NETNS: undefined } }, 4],
    ['missing CNI_IFNAME', { ...ok, env: { CNI_IFNAME: undefined } }, 4],
    ['missing CNI_PATH', { ...ok, env: { CNI_PATH: undefined } }, 4],
    ['missing CNI_CONTAINERID', { ...ok, env: { CNI_CONTAINERID: undefined } }, 3],
    ['interface name too long', { ...ok, ifname: 'eth0123456789abc' }, 4],
    ['bad CNI_ARGS', { ...ok, args: 'K8S_POD_NAME' }, 4],
    ['unknown CNI_ARGS key', { ...ok, args: 'FOO=bar' }, 2],
  ];
  for (const [name, o, code] of cases) {
    const r = await call('ADD', o);
    t.equal(r.exit, 1, `${name}: exit 1`);
    t.match(r.json, { code, msg: String }, `${name}: code ${code}`);
  }
  t.same(await hostVeths(), [], 'no veth');
  t.same(reservations(), [], 'no reservation');
  t.equal((await listLinks({ netns: p.path })).length, 1, 'only lo in the pod');

  // Subnet exhausted: a /30 leaves one pod address.
  const q = await newPod();
  t.equal((await call('ADD', { containerId: 'fill', netns: q.path, config: small })).exit, 0);
  const full = await call('ADD', { containerId: 'overflow', netns: p.path, config: small });
  t.match(full.json, { code: 11, msg: /no free address/ }, 'exhausted: 11');
  t.same(await hostVeths(), [hostVethName('fill', 'eth0')], 'no veth for the refused pod');
  t.equal(reservations(join(dataDir, 'tiny')).length, 1, 'no reservation for the refused pod');
  t.equal((await listLinks({ netns: p.path })).length, 1, 'refused pod untouched');
  t.equal((await call('DEL', { containerId: 'fill', netns: q.path, config: small })).exit, 0);
  t.equal((await call('ADD', { containerId: 'overflow', netns: p.path, config: small })).exit, 0, 'fits after a DEL');
  t.equal((await call('DEL', { containerId: 'overflow', netns: p.path, config: small })).exit, 0);
});

t.test('ADD of an ifname the pod already has (not ours) fails and keeps nothing', async (t) => {
  const p = await newPod();
  await w.exec(p.short, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other']);
  const r = await call('ADD', { containerId: 'clash', netns: p.path });
  t.equal(r.exit, 1);
  t.match(r.json, { code: 4, msg: /eth0 already exists/ });
  t.same(await hostVeths(), []);
  t.same(reservations(), []);
});

t.test('20 concurrent ADDs (20 plugin processes): no duplicate address, all DELs clean', async (t) => {
  const pods = await Promise.all(Array.from({ length: 20 }, () => newPod()));
  const adds = await Promise.all(pods.map((p, i) => call('ADD', { containerId: `conc-${i}`, netns: p.path })));
  t.same(adds.map((a) => a.exit), adds.map(() => 0), adds.find((a) => a.exit !== 0)?.stdout ?? 'all ok');
  const ips = adds.map((a) => (a.json as { ips: { address: string }[] }).ips[0]!.address);
  t.equal(new Set(ips).size, 20, 'distinct addresses');
  t.equal(reservations().length, 20);
  const dels = await Promise.all(pods.map((p, i) => call('DEL', { containerId: `conc-${i}`, netns: p.path })));
  t.same(dels.map((d) => d.exit), dels.map(() => 0));
  t.same(reservations(), []);
  t.same(await hostVeths(), []);
});

t.test('the node agent\'s sweep releases pods whose netns vanished without a DEL', async (t) => {
  const live = await newPod();
  const dead = await newPod();
  t.equal((await call('ADD', { containerId: 'sw-live', netns: live.path })).exit, 0);
  t.equal((await call('ADD', { containerId: 'sw-dead', netns: dead.path })).exit, 0);
  await deleteNetns(w.ns(dead.short));
  // The sweep runs where the node agent runs: in the node's namespace, as the plugin does.
  const released = await w.exec('node', [process.execPath, '--input-type=module', '-e',
    `import { sweepStaleReservations } from ${JSON.stringify(new URL('../cni/sweep.js', import.meta.url).href)};
     const r = await sweepStaleReservations(${JSON.stringify(dataDir)}, 'hawser');
     console.log(JSON.stringify(r.map((x) => x.containerId)));`]);
  t.same(JSON.parse(released.stdout), ['sw-dead']);
  t.equal(reservations().length, 1, 'the live pod keeps its address');
  t.same(await hostVeths(), [hostVethName('sw-live', 'eth0')]);
  t.same(await sweepStaleReservations(join(tmp, 'no-such-dir'), 'hawser'), [], 'no store: nothing to do');
  t.equal((await call('DEL', { containerId: 'sw-live', netns: live.path })).exit, 0);
});

t.test('an IPv6 pod CIDR: addresses, default route, pod-to-pod ICMPv6 and TCP', async (t) => {
  const v6 = confAt('1.1.0', { name: 'v6net', bridge: 'hwv6br0', podCIDR: 'fd00:10:244:1::/64' });
  const a = await newPod();
  const b = await newPod();
  const ra = await call('ADD', { containerId: 'v6-a', netns: a.path, config: v6 });
  const rb = await call('ADD', { containerId: 'v6-b', netns: b.path, config: v6 });
  t.equal(ra.exit + rb.exit, 0, ra.stdout + rb.stdout);
  const res = ra.json as { ips: { address: string; gateway: string }[]; routes: { dst: string; gw: string }[] };
  t.same(res.ips.map((i) => [i.address, i.gateway]), [['fd00:10:244:1::2/64', 'fd00:10:244:1::1']]);
  t.same(res.routes, [{ dst: '::/0', gw: 'fd00:10:244:1::1' }]);
  t.ok((await listRoutes({ netns: a.path, family: 6 })).some((r) => r.dst === 'default' && r.via === 'fd00:10:244:1::1'), 'IPv6 default route');
  const ipb = (rb.json as typeof res).ips[0]!.address.split('/')[0]!;
  t.ok((await ping(w, a.short, ipb)).ok, 'a pings b over IPv6');
  t.ok((await ping(w, a.short, 'fd00:10:244:1::1')).ok, 'a pings its IPv6 gateway');
  const srv = await startEchoServer(w, b.short, { name: 'b6', listen: [{ proto: 'tcp', port: 8080 }] });
  const tcp = await tcpProbe(w, a.short, ipb, 8080);
  t.ok(tcp.ok && tcp.echo?.peer.includes('fd00:10:244:1::2'), 'TCP over IPv6, source kept');
  await srv.stop();
  for (const [id, p] of [['v6-a', a], ['v6-b', b]] as const) t.equal((await call('DEL', { containerId: id, netns: p.path, config: v6 })).exit, 0);
  t.same(reservations(join(dataDir, 'v6net')), []);
});
