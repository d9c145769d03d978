// The lab's network and a node's pod plumbing, without a control plane: the planned
// namespaces and underlay are built for real, members reach each other over the
// underlay bridge, the kubelet's libcni-like invoker wires a pod sandbox through the real
// hawser CNI plugin and the reference plugins, the hawser/echo server answers from
// inside the pod, and the sweep leaves nothing behind.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { run } from '../src/kernel/exec.js';
import { createNetns, deleteNetns, listNetns } from '../src/kernel/netns/namespace.js';
import { listAddresses } from '../src/kernel/link/index.js';
import { getSysctl } from '../src/kernel/sysctl.js';
import { netnsPids, pidAlive, spawnDetached } from '../src/kernel/spawn-in-netns.js';
import { CniInvoker, podCniArgs, resultIPs, type RuntimeConf } from '../src/kubelet/cni-invoke.js';
import { sandboxId, sandboxNetnsName } from '../src/kubelet/container-spec.js';
import { hawserArgv } from '../src/kubelet/self.js';
import { referenceConflist, REFERENCE_CNI_BIN_DIR } from '../src/lab/cni-config.js';
import { applyLabNetwork, labNamespaces, sweepLabNamespaces } from '../src/lab/network.js';
import { planLab } from '../src/lab/plan.js';

const name = `t${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;
const plan = planLab({ name, nodes: 2 });
const tmp = mkdtempSync(`${tmpdir()}/hawser-lab-net-`);
const [n1, n2] = [plan.nodes[0]!, plan.nodes[1]!];

t.teardown(async () => {
  await sweepLabNamespaces(name, 500);
  rmSync(tmp, { recursive: true, force: true });
});

/** Poll: a detached child is unref'd, so awaiting its exit alone would not keep us alive. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !pidAlive(pid);
}

/** Sends a datagram every 200 ms (the server may bind UDP after TCP) until one answer. */
const UDP_CLIENT = `
const s = require('dgram').createSocket('udp4');
const [ip, port] = process.argv.slice(1);
s.on('message', (m) => { process.stdout.write(m); process.exit(0); });
let n = 0;
const send = () => { if (n++ > 25) process.exit(1); s.send('hi', Number(port), ip); };
send(); setInterval(send, 200);
`;

const ping = async (netns: string, ip: string) =>
  (await run(['ping', '-c', '1', '-W', '2', ip], { netns, allowFailure: true })).code === 0;


t.test('the planned underlay is built inside the lab namespaces only', async (t) => {
  await applyLabNetwork(plan);
  t.same(await labNamespaces(name), [...plan.namespaces].sort(), 'exactly the planned namespaces');
  t.match(await listAddresses('eth0', { netns: n2.netns }), [{ cidr: '192.168.56.11/24' }]);
  t.equal(await getSysctl('net.ipv4.ip_forward', { netns: n1.netns }), '1', 'nodes forward');
  t.ok(await ping(n1.netns, n2.ip), 'node1 → node2');
  t.ok(await ping(n2.netns, plan.client.ip), 'node2 → client');
  t.ok(await ping(plan.client.netns, plan.controlPlane.ip), 'client → control plane');
  const ul = (await run(['ip', '-j', 'link', 'show', 'master', 'br0'], { netns: plan.underlay.netns })).stdout;
  t.same((JSON.parse(ul) as { ifname: string }[]).map((l) => l.ifname).sort(), ['cp', 'ext', 'n1', 'n2'], 'one bridge port per member');
});

/** A pod in node1 through a CNI config, as the kubelet wires it; echo from inside; DEL. */
async function podLifecycle(t: Test, invoker: CniInvoker, uid: string, subnet: string, gateway: string): Promise<void> {
  const netns = sandboxNetnsName(plan.podNetnsPrefix, uid);
  await createNetns(netns);
  const rt: RuntimeConf = {
    containerId: sandboxId(uid), netns: `/run/netns/${netns}`, ifName: 'eth0',
    args: podCniArgs({ namespace: 'default', name: `pod-${uid}`, uid, sandboxId: sandboxId(uid) }),
  };
  const { result } = await invoker.add(rt);
  const [ip] = resultIPs(result);
  t.ok(ip && ip.startsWith(subnet), `pod IP ${ip} from the configured pod CIDR`);
  t.match(await listAddresses('eth0', { netns }), [{ cidr: new RegExp(`^${ip!.replace(/\./g, '\\.')}/`) }], 'eth0 carries it');
  t.ok(invoker.cachedResult(rt), 'ADD result cached');
  await invoker.check(rt);
  t.pass('CHECK against the cached result passes');

  // The echo image inside the sandbox, asked from the node (the path probes take).
  const started = await spawnDetached({
    netns, argv: hawserArgv('echo-server', '--ports', '8080/TCP,9090/UDP', '--name', `pod-${uid}`),
    env: { ...process.env, POD_IP: ip!, NODE_NAME: n1.nodeName }, logFile: `${tmp}/echo-${uid}.log`,
  });
  let reply: Record<string, unknown> | undefined;
  for (let i = 0; i < 50 && !reply; i++) {
    const r = await run(['curl', '-sS', '--max-time', '2', `http://${ip}:8080/hello`], { netns: n1.netns, allowFailure: true });
    if (r.code === 0) reply = JSON.parse(r.stdout) as Record<string, unknown>;
    else await new Promise((res) => setTimeout(res, 100));
  }
  t.match(reply, { pod: `pod-${uid}`, podIP: ip, node: 'node1', proto: 'http', path: '/hello', local: `${ip}:8080` }, 'HTTP echo names the pod');
  t.match(String(reply?.peer), new RegExp(`^${gateway.replace(/\./g, '\\.')}:\\d+$`), 'and the source it saw: node1 via its bridge address');
  const raw = await run(['sh', '-c', `nc -w 3 ${ip} 8080 </dev/null`], { netns: n1.netns, allowFailure: true });
  t.match(JSON.parse(raw.stdout), { proto: 'tcp', pod: `pod-${uid}` }, 'plain TCP echo');
  const udp = await run([process.execPath, '-e', UDP_CLIENT, ip!, '9090'], { netns: n1.netns, allowFailure: true });
  t.match(JSON.parse(udp.stdout.split('\n')[0] || '{}'), { proto: 'udp', pod: `pod-${uid}` }, `UDP echo ${udp.stderr}`);

  t.same(await netnsPids(netns), [started.pid], 'the container is the only process in the sandbox');
  process.kill(started.pid, 'SIGTERM');
  t.ok(await gone(started.pid), 'echo server stopped on SIGTERM');
  await invoker.del(rt);
  t.notOk(invoker.cachedResult(rt), 'DEL drops the cache entry');
  await invoker.del(rt);
  t.pass('a second DEL succeeds');
  await deleteNetns(netns);
}

t.test('hawser CNI plugin through the kubelet\'s invoker', async (t) => {
  const dir = `${tmp}/hawser`;
  await run(hawserArgv('cni', 'install', '--bin-dir', `${dir}/bin`, '--conf-dir', `${dir}/net.d`, '--data-dir', `${dir}/data`, '--pod-cidr', n1.staticPodCIDR));
  t.ok(readdirSync(`${dir}/net.d`).length > 0, 'conflist installed');
  const invoker = new CniInvoker({ confDir: `${dir}/net.d`, binDirs: [`${dir}/bin`], cacheDir: `${dir}/cache`, netns: n1.netns });
  await podLifecycle(t, invoker, 'uid-hawser-1', '10.244.0.', '10.244.0.1');
});

t.test('reference plugins (bridge + host-local) through the same invoker', { skip: !existsSync(`${REFERENCE_CNI_BIN_DIR}/bridge`) && 'no containernetworking-plugins' }, async (t) => {
  const dir = `${tmp}/ref`;
  await run(['mkdir', '-p', `${dir}/net.d`]);
  const { writeFileSync } = await import('node:fs');
  // A different bridge from the hawser plugin's test above keeps the two independent.
  writeFileSync(`${dir}/net.d/10-lab.conflist`, referenceConflist('10.244.100.0/24', `${dir}/ipam`).replace('hawser0', 'refbr0'));
  const invoker = new CniInvoker({ confDir: `${dir}/net.d`, binDirs: [REFERENCE_CNI_BIN_DIR], cacheDir: `${dir}/cache`, netns: n1.netns });
  await podLifecycle(t, invoker, 'uid-ref-1', '10.244.100.', '10.244.100.1');
});

t.test('the sweep removes every namespace of the lab and the processes in them', async (t) => {
  // A stray pod sandbox with a process in it, as a crashed kubelet would leave.
  const stray = `${plan.podNetnsPrefix}stray`;
  await createNetns(stray);
  const sleeper = await spawnDetached({ netns: stray, argv: ['sleep', '300'], logFile: `${tmp}/sleep.log` });
  const removed = await sweepLabNamespaces(name, 500);
  t.ok(removed.includes(stray) && plan.namespaces.every((n) => removed.includes(n)), 'all namespaces swept');
  t.same((await listNetns()).filter((n) => n.startsWith(plan.prefix)), [], 'none left');
  t.ok(await gone(sleeper.pid), 'the stray process was stopped');
});
