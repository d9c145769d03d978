// The fast path: the installed thin client (C) hands calls to a CNI server running in the
// node namespace (as the node agent does), and falls back to the Node plugin when no
// server answers. Which path served a call is read from the server's own log.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { World } from './lib/index.js';
import { install } from '../cni/install.js';
import { getLink, listLinks } from '../src/kernel/link/index.js';
import { invoke, type Invocation } from '../bench/cni/invoke.js';

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cnifast-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

const socketPath = join(tmp, 'run', 'cni.sock');
const dataDir = join(tmp, 'data');
const inst = await install({ binDir: join(tmp, 'bin'), confDir: join(tmp, 'conf'), thin: true, socketPath, portmap: false });
if (inst.form !== 'thin') {
  t.fail('the thin client did not build (no cc?)');
  process.exit(1);
}
const node = await w.addNetns('node');
const config = { cniVersion: '1.1.0', name: 'fast', type: 'hawser', podCIDR: '10.244.9.0/24', dataDir };
const served: string[] = [];
let server: ChildProcess | undefined;

async function startServer(): Promise<void> {
  const entry = fileURLToPath(new URL('../cni/fastpath/serve.js', import.meta.url));
  server = w.spawn('node', [process.execPath, entry, '--socket', socketPath]);
  const lines = createInterface({ input: server.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server not ready')), 10_000);
    lines.on('line', (l) => {
      if (l.startsWith('ready ')) { clearTimeout(timer); resolve(); }
      if (l.startsWith('served ')) served.push(l.slice(7));
    });
  });
}

let seq = 0;
const call = async (command: Invocation['command'], o: Partial<Invocation> = {}) =>
  invoke({ plugin: inst.plugin, command, nodeNetns: node, ifname: 'eth0', config, ...o });
const pod = async () => {
  const short = `p${++seq}`;
  await w.addNetns(short);
  return w.path(short);
};
const reservations = () => (existsSync(join(dataDir, 'fast')) ? readdirSync(join(dataDir, 'fast')).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)) : []);

t.test('without a server the thin client runs the Node plugin', async (t) => {
  const p = await pod();
  const add = await call('ADD', { containerId: 'nosrv', netns: p });
  t.equal(add.exit, 0, add.stdout);
  t.match(add.json, { cniVersion: '1.1.0', ips: [{ address: /^10\.244\.9\./ }] });
  t.equal((await call('DEL', { containerId: 'nosrv', netns: p })).exit, 0);
  t.same(served, [], 'nothing went through a server');
  t.match(add.stderr, /running the plugin locally/, 'the client says it fell back');
});

t.test('with the server: calls are served by it, results identical in form', async (t) => {
  await startServer();
  const p = await pod();
  const add = await call('ADD', { containerId: 'fast-a', netns: p });
  t.equal(add.exit, 0, add.stdout);
  t.equal(add.stderr, '', 'answered by the agent, no fallback');
  t.match(add.json, { cniVersion: '1.1.0', ips: [{ address: /^10\.244\.9\.\d+\/24$/, gateway: '10.244.9.1' }] });
  t.ok(await getLink('eth0', { netns: p }), 'pod interface exists');
  const chk = await call('CHECK', { containerId: 'fast-a', netns: p, config: { ...config, prevResult: add.json } });
  t.equal(chk.exit, 0, chk.stdout);
  const ver = await call('VERSION', { config: { cniVersion: '0.4.0' } });
  t.match(ver.json, { cniVersion: '0.4.0' });
  t.equal(ver.stderr, '', 'VERSION answered by the agent');
  const bad = await call('ADD', { containerId: 'fast-bad', netns: '/run/netns/hwt-nonexistent' });
  t.match(bad.json, { code: 3 }, 'errors keep their codes through the socket');
  t.equal(bad.exit, 1);
  const noenv = await call('ADD', { containerId: 'fast-bad', netns: p, env: { CNI_IFNAME: undefined } });
  t.match(noenv.json, { code: 4 });
  t.equal((await call('DEL', { containerId: 'fast-a', netns: p })).exit, 0);
  // VERSION never reaches a handler, and the call without CNI_IFNAME fails in the skel.
  t.same(served, ['ADD fast-a', 'CHECK fast-a', 'ADD fast-bad', 'DEL fast-a'], 'served by the agent');
  t.same(reservations(), []);
});

t.test('20 concurrent ADDs through the server: no duplicates; DELs clean', async (t) => {
  const pods = await Promise.all(Array.from({ length: 20 }, () => pod()));
  const before = served.length;
  const adds = await Promise.all(pods.map((p, i) => call('ADD', { containerId: `fc-${i}`, netns: p })));
  t.same(adds.map((a) => a.exit), adds.map(() => 0));
  t.same(adds.filter((a) => a.stderr !== ''), [], 'no call fell back');
  t.equal(new Set(adds.map((a) => JSON.stringify((a.json as { ips: unknown[] }).ips))).size, 20, 'distinct addresses');
  t.equal(served.length - before, 20, 'all served by the agent');
  const dels = await Promise.all(pods.map((p, i) => call('DEL', { containerId: `fc-${i}`, netns: p })));
  t.same(dels.map((d) => d.exit), dels.map(() => 0));
  t.same(reservations(), []);
  t.same((await listLinks({ netns: node, kind: 'veth' })).map((l) => l.name), []);
});

t.test('the server killed: the next calls fall back and still work', async (t) => {
  const p = await pod();
  t.equal((await call('ADD', { containerId: 'kill', netns: p })).exit, 0);
  server!.kill('SIGKILL');
  await new Promise((r) => server!.once('exit', r));
  const count = served.length;
  const again = await call('ADD', { containerId: 'kill', netns: p });
  t.equal(again.exit, 0, 'repeated ADD via the fallback returns the same pod');
  t.match(again.stderr, /running the plugin locally/);
  const del = await call('DEL', { containerId: 'kill', netns: p });
  t.equal(del.exit, 0);
  t.equal(served.length, count, 'nothing served after the kill');
  t.same(reservations(), []);
});
