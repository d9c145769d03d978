// hawser in a conflist as a runtime runs it: first in a chain followed by the reference
// portmap, tuning and bandwidth plugins (each gets the previous result as prevResult,
// libcni-style), hostPort through the chained portmap, masquerade of traffic leaving the
// cluster CIDR to an "underlay" address, and chaining input accepted by hawser itself.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World, startEchoServer, tcpProbe, ping } from './lib/index.js';
import { install } from '../cni/install.js';
import { invoke, netconf } from '../bench/cni/invoke.js';
import { run } from '../src/kernel/exec.js';
import { getLink, listLinks } from '../src/kernel/link/index.js';

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cnichain-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

// The node with an uplink to an external host on the underlay (DESIGN.md address plan).
const node = await w.addNetns('node');
await w.addNetns('ext');
await w.connect('node', 'up0', 'ext', 'eth0');
await w.addAddress('node', 'up0', '192.168.56.10/24');
await w.addAddress('ext', 'eth0', '192.168.56.2/24');

const binDir = join(tmp, 'bin');
// Our launcher in its own bin dir; CNI_PATH lists it and the reference plugins' dir.
const ours = await install({ binDir, confDir: join(tmp, 'conf'), podCIDR: '10.244.5.0/24', dataDir: join(tmp, 'data'), clusterCIDR: '10.244.0.0/16', portmap: false });

type Conflist = { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
const list: Conflist = {
  cniVersion: '1.0.0',
  name: 'hawser',
  plugins: [
    { type: 'hawser', podCIDR: '10.244.5.0/24', dataDir: join(tmp, 'data'), ipMasq: true, clusterCIDR: '10.244.0.0/16' },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    { type: 'tuning', sysctl: { 'net.core.somaxconn': '1234' } },
    { type: 'bandwidth', capabilities: { bandwidth: true } },
  ],
};
const runtimeConfig = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 100_000_000, ingressBurst: 1_000_000, egressRate: 100_000_000, egressBurst: 1_000_000 },
};
const pluginPath = (type: string) => (type === 'hawser' ? ours.plugin : `/usr/lib/cni/${type}`);

/** libcni's AddNetworkList / DelNetworkList: prevResult threads through the chain. */
async function chain(command: 'ADD' | 'DEL', containerId: string, netns: string, prev?: unknown) {
  const plugins = command === 'ADD' ? list.plugins.map((_, i) => i) : list.plugins.map((_, i) => i).reverse();
  let result: unknown = prev;
  const exits: number[] = [];
  for (const i of plugins) {
    const p = list.plugins[i]!;
    const caps = (p.capabilities ?? {}) as Record<string, boolean>;
    const rc = Object.fromEntries(Object.entries(runtimeConfig).filter(([k]) => caps[k]));
    const conf = netconf(list, i, {
      ...(Object.keys(rc).length ? { runtimeConfig: rc } : {}),
      ...(result !== undefined ? { prevResult: result } : {}),
    });
    delete conf.capabilities;
    const r = await invoke({ plugin: pluginPath(p.type as string), command, nodeNetns: node, containerId, netns, ifname: 'eth0', cniPath: `${binDir}:/usr/lib/cni`, config: conf });
    exits.push(r.exit);
    if (r.exit !== 0) return { exits, result, error: `${p.type as string}: ${r.stdout}${r.stderr}` };
    if (command === 'ADD') result = r.json;
  }
  return { exits, result, error: undefined };
}

t.test('hawser first in a chain with portmap, tuning, bandwidth; hostPort; masquerade to the underlay', async (t) => {
  await w.addNetns('pa');
  await w.addNetns('pb');
  const a = await chain('ADD', 'chain-a', w.path('pa'));
  t.same(a.exits, [0, 0, 0, 0], a.error ?? 'every plugin of the chain succeeded');
  const b = await chain('ADD', 'chain-b', w.path('pb'));
  t.same(b.exits, [0, 0, 0, 0], b.error ?? 'second pod too');
  const res = a.result as { cniVersion: string; interfaces: { name: string; sandbox?: string }[]; ips: { address: string }[] };
  t.equal(res.cniVersion, '1.0.0');
  t.match(res.ips[0]!.address, /^10\.244\.5\.\d+\/24$/, 'our address survived the chain');
  t.ok(res.interfaces.some((i) => i.name === 'eth0' && i.sandbox === w.path('pa')), 'our interfaces survived the chain');
  const ipa = res.ips[0]!.address.split('/')[0]!;
  const ipb = (b.result as typeof res).ips[0]!.address.split('/')[0]!;

  t.equal((await w.exec('pa', ['cat', '/proc/sys/net/core/somaxconn'])).stdout.trim(), '1234', 'tuning applied in the pod');
  const qdiscs = (await run(['tc', 'qdisc', 'show'], { netns: node })).stdout;
  t.match(qdiscs, /tbf/, 'bandwidth shaped the host side');

  const srv = await startEchoServer(w, 'pa', { name: 'pa', listen: [{ proto: 'tcp', port: 80 }] });
  const viaHostPort = await tcpProbe(w, 'ext', '192.168.56.10', 8080);
  t.ok(viaHostPort.ok && viaHostPort.echo?.name === 'pa', `hostPort 8080 on the node reaches pod a:80 (${viaHostPort.ok ? '' : viaHostPort.error})`);
  const podToPod = await tcpProbe(w, 'pb', ipa, 80);
  t.ok(podToPod.ok && podToPod.echo?.peer.startsWith(`${ipb}:`), 'pod to pod inside the cluster CIDR: not masqueraded');
  await srv.stop();

  const ext = await startEchoServer(w, 'ext', { name: 'ext', listen: [{ proto: 'tcp', port: 9000 }] });
  const out = await tcpProbe(w, 'pa', '192.168.56.2', 9000);
  t.ok(out.ok && out.echo?.peer.startsWith('192.168.56.10:'), `pod reaches the underlay, masqueraded to the node address (${out.ok ? out.echo?.peer : out.error})`);
  await ext.stop();
  t.ok((await ping(w, 'pa', '192.168.56.2')).ok, 'ICMP to the underlay');
  const table = (await run(['nft', 'list', 'table', 'ip', 'hawser-cni'], { netns: node })).stdout;
  t.match(table, /ip saddr 10\.244\.5\.0\/24 ip daddr != 10\.244\.0\.0\/16 masquerade/, 'one masquerade rule in hawser-cni');
  t.equal(table.match(/saddr .* masquerade/g)?.length, 1, 'still one rule after two ADDs');

  for (const [id, ns, r] of [['chain-a', 'pa', a.result], ['chain-b', 'pb', b.result]] as const) {
    const d = await chain('DEL', id, w.path(ns), r);
    t.same(d.exits, [0, 0, 0, 0], d.error ?? `DEL chain ${id}`);
  }
  t.same((await listLinks({ netns: node, kind: 'veth' })).map((l) => l.name), ['up0'], 'only the uplink veth is left on the node');
  t.equal(await getLink('eth0', { netns: w.path('pa') }), undefined);
});

t.test('hawser accepts chaining input: a prevResult is passed through, ours appended', async (t) => {
  await w.addNetns('pc');
  const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'lo', sandbox: w.path('pc') }], ips: [{ address: '127.0.0.1/8', interface: 0 }], dns: { nameservers: ['10.96.0.10'] } };
  const conf = netconf(list, 0, { prevResult: prev });
  const r = await invoke({ plugin: ours.plugin, command: 'ADD', nodeNetns: node, containerId: 'chain-c', netns: w.path('pc'), config: conf });
  t.equal(r.exit, 0, r.stdout);
  const res = r.json as { interfaces: { name: string }[]; ips: { address: string; interface: number }[]; dns: unknown };
  t.same(res.interfaces.map((i) => i.name).slice(0, 1), ['lo']);
  t.equal(res.interfaces.length, 4, 'lo + bridge + host veth + eth0');
  t.same(res.ips[0], { address: '127.0.0.1/8', interface: 0 });
  t.equal(res.interfaces[res.ips[1]!.interface]!.name, 'eth0', 'our ips index shifted past the previous interfaces');
  t.same(res.dns, { nameservers: ['10.96.0.10'] });
  t.equal((await invoke({ plugin: ours.plugin, command: 'DEL', nodeNetns: node, containerId: 'chain-c', netns: w.path('pc'), config: conf })).exit, 0);
});

t.test('install chains portmap at the highest version both speak', async (t) => {
  const dir = join(tmp, 'with-portmap');
  const { mkdirSync, symlinkSync, readFileSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  symlinkSync('/usr/lib/cni/portmap', join(dir, 'portmap'));
  const r = await install({ binDir: dir, confDir: join(tmp, 'conf-pm'), podCIDR: '10.244.6.0/24' });
  // Debian's portmap 1.1.1 speaks up to 1.0.0 (REFERENCE.md); ours up to 1.1.0.
  t.match(r, { portmap: true, cniVersion: '1.0.0' });
  const written = JSON.parse(readFileSync(r.conflist, 'utf8')) as Conflist;
  t.same(written.plugins.map((p) => p.type), ['hawser', 'portmap']);
  const alone = await install({ binDir: join(tmp, 'no-portmap'), confDir: join(tmp, 'conf-np') });
  t.match(alone, { portmap: false, cniVersion: '1.1.0' });
});
