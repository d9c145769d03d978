// Side by side: the same scenario against the reference plugins (Debian
// containernetworking-plugins: bridge + host-local, /usr/lib/cni) and against hawser,
// each in its own node namespace of this test. The outcomes are compared field by field,
// and each is also checked against what is expected, so two equal failures cannot pass.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World, ping, startEchoServer, tcpProbe, udpProbe } from './lib/index.js';
import { install } from '../cni/install.js';
import { getHairpin, getLink, listAddresses, listLinks, listRoutes } from '../src/kernel/link/index.js';
import { invoke } from '../bench/cni/invoke.js';
import { parseCidr, cidrContains } from '../src/net/cidr.js';
import { parseAddress } from '../src/net/address.js';

const REF_BIN = '/usr/lib/cni';
if (!existsSync(join(REF_BIN, 'bridge')) || !existsSync(join(REF_BIN, 'host-local'))) {
  t.fail('reference plugins missing: install Debian containernetworking-plugins');
  process.exit(1);
}

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cniref-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

const inst = await install({ binDir: join(tmp, 'bin'), confDir: join(tmp, 'conf'), portmap: false });

interface Impl {
  label: string;
  plugin: string;
  node: string;
  subnet: string;
  gateway: string;
  bridge: string;
  config: Record<string, unknown>;
  storeDir: string;
}

const impls: Impl[] = [
  {
    label: 'reference bridge+host-local',
    plugin: join(REF_BIN, 'bridge'),
    node: await w.addNetns('refnode'),
    subnet: '10.244.2.0/24',
    gateway: '10.244.2.1',
    bridge: 'refbr0',
    storeDir: join(tmp, 'ref-ipam', 'refnet'),
    config: {
      cniVersion: '1.0.0', name: 'refnet', type: 'bridge', bridge: 'refbr0', isGateway: true, hairpinMode: true,
      ipam: { type: 'host-local', subnet: '10.244.2.0/24', dataDir: join(tmp, 'ref-ipam'), routes: [{ dst: '0.0.0.0/0' }] },
    },
  },
  {
    label: 'hawser',
    plugin: inst.plugin,
    node: await w.addNetns('hwnode'),
    subnet: '10.244.3.0/24',
    gateway: '10.244.3.1',
    bridge: 'hawser0',
    storeDir: join(tmp, 'hw-ipam', 'hwnet'),
    config: { cniVersion: '1.0.0', name: 'hwnet', type: 'hawser', podCIDR: '10.244.3.0/24', dataDir: join(tmp, 'hw-ipam') },
  },
];

const storeFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => parseAddress(n) !== undefined) : []);

async function scenario(impl: Impl) {
  const pods = ['a', 'b'].map((s) => `${impl.label.startsWith('hawser') ? 'h' : 'r'}${s}`);
  for (const p of pods) await w.addNetns(p);
  const call = (command: 'ADD' | 'DEL', pod: string, netns = w.path(pod)) =>
    invoke({ plugin: impl.plugin, command, nodeNetns: impl.node, containerId: `side-${pod}`, netns, ifname: 'eth0', config: impl.config });

  const adds = [];
  for (const p of pods) adds.push(await call('ADD', p));
  const subnet = parseCidr(impl.subnet)!;
  const ips: string[] = [];
  const perPod = [];
  for (const [i, p] of pods.entries()) {
    const res = adds[i]!.json as { ips?: { address: string; gateway?: string }[]; interfaces?: { name: string; sandbox?: string }[] };
    const ip = res.ips?.[0]?.address ?? '';
    ips.push(ip.split('/')[0]!);
    const eth0 = await getLink('eth0', { netns: w.path(p) });
    const addrs = (await listAddresses('eth0', { netns: w.path(p) }).catch(() => [])).filter((a) => a.family === 4);
    const routes = await listRoutes({ netns: w.path(p), family: 4 });
    perPod.push({
      addExit: adds[i]!.exit,
      resultHasSandboxIface: (res.interfaces ?? []).some((x) => x.name === 'eth0' && x.sandbox === w.path(p)),
      resultGatewayIsFirst: res.ips?.[0]?.gateway === impl.gateway,
      eth0Up: eth0?.up === true,
      oneAddressInSubnet: addrs.length === 1 && cidrContains(subnet, parseAddress(addrs[0]!.cidr.split('/')[0]!)!) && addrs[0]!.cidr === ip,
      defaultRouteViaGateway: routes.some((r) => r.dst === 'default' && r.via === impl.gateway && r.dev === 'eth0'),
    });
  }
  const hostVeths = (await listLinks({ netns: impl.node, kind: 'veth' })).map((l) => l.name);
  const hairpins = await Promise.all(hostVeths.map((v) => getHairpin(v, { netns: impl.node })));
  const bridge = await getLink(impl.bridge, { netns: impl.node });
  const bridgeAddrs = (await listAddresses(impl.bridge, { netns: impl.node })).filter((a) => a.family === 4).map((a) => a.cidr);
  const srv = await startEchoServer(w, pods[1]!, { name: 'b', listen: [{ proto: 'tcp', port: 7000 }, { proto: 'udp', port: 7001 }] });
  const tcp = await tcpProbe(w, pods[0]!, ips[1]!, 7000);
  const udp = await udpProbe(w, pods[0]!, ips[1]!, 7001);
  await srv.stop();
  const reach = {
    pingAB: (await ping(w, pods[0]!, ips[1]!)).ok,
    pingBA: (await ping(w, pods[1]!, ips[0]!)).ok,
    tcpAB: tcp.ok && tcp.echo?.peer.startsWith(`${ips[0]}:`) === true,
    udpAB: udp.ok && udp.echo?.peer.startsWith(`${ips[0]}:`) === true,
    nodeToPod: (await w.exec(impl.node.slice(w.prefix.length + 1), ['ping', '-c1', '-W2', ips[0]!], { allowFailure: true })).code === 0,
  };
  const node = {
    distinctAddresses: new Set(ips).size === 2,
    twoHostVethsOnBridge: hostVeths.length === 2,
    hairpinOn: hairpins.every((h) => h === true),
    bridgeUp: bridge?.up === true,
    bridgeHasGateway: bridgeAddrs.includes(`${impl.gateway}/24`),
    reservations: storeFiles(impl.storeDir).length,
  };
  const dels = [];
  for (const p of pods) dels.push((await call('DEL', p)).exit);
  const delAgain = (await call('DEL', pods[0]!)).exit;
  const after = {
    delExits: dels,
    secondDelExit: delAgain,
    podIfacesLeft: (await Promise.all(pods.map((p) => getLink('eth0', { netns: w.path(p) })))).filter(Boolean).length,
    hostVethsLeft: (await listLinks({ netns: impl.node, kind: 'veth' })).length,
    reservationsLeft: storeFiles(impl.storeDir).length,
  };
  return { perPod, reach, node, after };
}

const outcomes = [];
for (const impl of impls) outcomes.push(await scenario(impl));
const [ref, ours] = outcomes;

const expected = {
  perPod: [0, 1].map(() => ({
    addExit: 0, resultHasSandboxIface: true, resultGatewayIsFirst: true, eth0Up: true, oneAddressInSubnet: true, defaultRouteViaGateway: true,
  })),
  reach: { pingAB: true, pingBA: true, tcpAB: true, udpAB: true, nodeToPod: true },
  node: { distinctAddresses: true, twoHostVethsOnBridge: true, hairpinOn: true, bridgeUp: true, bridgeHasGateway: true, reservations: 2 },
  after: { delExits: [0, 0], secondDelExit: 0, podIfacesLeft: 0, hostVethsLeft: 0, reservationsLeft: 0 },
};

t.same(ref, expected, 'the reference plugins behave as expected here');
t.same(ours, expected, 'hawser behaves as expected');
t.same(ours, ref, 'hawser and the reference give equivalent outcomes');

t.test('documented difference: a repeated ADD', async (t) => {
  const results = [];
  for (const impl of impls) {
    const pod = `${impl.label.startsWith('hawser') ? 'h' : 'r'}re`;
    await w.addNetns(pod);
    const call = (command: 'ADD' | 'DEL') =>
      invoke({ plugin: impl.plugin, command, nodeNetns: impl.node, containerId: 'side-re', netns: w.path(pod), ifname: 'eth0', config: impl.config });
    await call('ADD');
    results.push((await call('ADD')).exit);
    await call('DEL');
  }
  t.same(results, [1, 0], 'the reference refuses it (REFERENCE.md: "duplicate allocation"); hawser returns the same address');
});
