// The single-file CNI plugin (issue 10): `npm run build:cni-static` builds one static
// executable; ONLY that file is copied into a fresh CNI bin dir and run — with an
// environment whose PATH has no node — against an agent-side CNI server in the node
// namespace. A pod gets its address and route and reaches its gateway; without the
// server the file answers CNI error 11 (and VERSION itself), never needing Node.
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { World, ping } from './lib/index.js';
import { run } from '../src/kernel/exec.js';
import { getLink, listAddresses, listLinks, listRoutes } from '../src/kernel/link/index.js';
import { isStaticElf } from '../cni/fastpath/cc.js';
import { SUPPORTED_VERSIONS } from '../cni/skel/version.js';

const POD_CIDR = '10.244.11.0/24';
const GATEWAY = '10.244.11.1';
const repo = fileURLToPath(new URL('../../', import.meta.url));

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cnisingle-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

// The npm script itself, writing outside dist/ so parallel runs do not share the file.
const built = join(tmp, 'build', 'hawser-static');
await promisify(execFile)('npm', ['run', '--silent', 'build:cni-static', '--', '--out', built], { cwd: repo, timeout: 120_000 });
const binDir = join(tmp, 'bin');
mkdirSync(binDir);
const plugin = join(binDir, 'hawser');
copyFileSync(built, plugin);

const socketPath = join(tmp, 'run', 'cni.sock');
const dataDir = join(tmp, 'data');
const node = await w.addNetns('node');
await w.addNetns('pod');
const podPath = w.path('pod');
const config = { cniVersion: '1.1.0', name: 'single', type: 'hawser', podCIDR: POD_CIDR, dataDir };

/**
 * As a runtime on a host without Node would: `env -i`, so the environment is exactly
 * PATH (the bin dir alone), the CNI_* variables and the socket override; in the node ns.
 */
async function call(command: string, o: { env?: Record<string, string>; config?: unknown } = {}) {
  const env: Record<string, string> = {
    PATH: binDir, CNI_COMMAND: command, CNI_CONTAINERID: 'single-1', CNI_NETNS: podPath, CNI_IFNAME: 'eth0',
    CNI_PATH: binDir, HAWSER_CNI_SOCKET: socketPath, ...o.env,
  };
  const argv = ['/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), plugin];
  const r = await run(argv, { netns: node, input: JSON.stringify(o.config ?? config), allowFailure: true, timeoutMs: 30_000 });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

const served: string[] = [];
let server: ChildProcess | undefined;
async function startServer(): Promise<void> {
  const entry = fileURLToPath(new URL('../cni/fastpath/serve.js', import.meta.url));
  server = w.spawn('node', [process.execPath, entry, '--socket', socketPath]);
  const lines = createInterface({ input: server.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server not ready')), 10_000);
    server!.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    lines.on('line', (l) => {
      if (l.startsWith('ready ')) { clearTimeout(timer); resolve(); }
      if (l.startsWith('served ')) served.push(l.slice(7));
    });
  });
}

t.test('one static file, alone in the bin dir, on a PATH without node', async (t) => {
  t.same(readdirSync(binDir), ['hawser'], 'the bin dir holds only the copied file');
  t.ok(isStaticElf(readFileSync(plugin)), 'no ELF interpreter, no dynamic section');
  const file = await run(['file', '-b', plugin], { allowFailure: true });
  if (file.code === 0) t.match(file.stdout, /statically linked/, `file: ${file.stdout.trim()}`);
  else t.comment('file(1) not installed: the ELF check above stands alone');
  const ldd = await run(['ldd', plugin], { allowFailure: true });
  t.not(ldd.code, 0, 'ldd finds nothing to load');
  t.match(ldd.stdout + ldd.stderr, /not a dynamic executable/);
  const which = await run(['/usr/bin/env', '-i', `PATH=${binDir}`, '/bin/sh', '-c', 'command -v node'], { netns: node, allowFailure: true });
  t.not(which.code, 0, 'no node on the PATH the plugin runs with');
  t.equal(which.stdout, '');
});

t.test('ADD / CHECK / DEL through the agent-side server', async (t) => {
  await startServer();
  const add = await call('ADD');
  t.equal(add.code, 0, add.stdout + add.stderr);
  t.equal(add.stderr, '', 'answered by the agent');
  const res = add.json as { cniVersion: string; ips: { address: string; gateway: string }[]; routes: { dst: string; gw: string }[] };
  t.equal(res.cniVersion, '1.1.0');
  t.match(res.ips, [{ address: /^10\.244\.11\.\d+\/24$/, gateway: GATEWAY }]);
  const address = res.ips[0]!.address;
  t.ok((await listAddresses('eth0', { netns: podPath })).some((a) => a.cidr === address), `${address} on the pod's eth0`);
  t.ok((await listRoutes({ netns: podPath, family: 4 })).some((r) => r.dst === 'default' && r.via === GATEWAY), 'default route via the gateway');
  const p = await ping(w, 'pod', GATEWAY, { count: 2, timeoutMs: 3000 });
  t.ok(p.ok, `the pod pings its gateway\n${p.output}`);

  // The socket from the config instead of the environment.
  const chk = await call('CHECK', { env: { HAWSER_CNI_SOCKET: '' }, config: { ...config, agentSocket: socketPath, prevResult: add.json } });
  t.equal(chk.code, 0, chk.stdout + chk.stderr);
  const del = await call('DEL');
  t.equal(del.code, 0, del.stdout + del.stderr);
  t.equal(await getLink('eth0', { netns: podPath }), undefined, 'pod interface gone');
  t.same((await listLinks({ netns: node, kind: 'veth' })).map((l) => l.name), [], 'no host veth left');
  t.same(served, ['ADD single-1', 'CHECK single-1', 'DEL single-1'], 'every call served by the agent');
});

t.test('the server stopped: error 11 naming the socket, exit 1; VERSION still answers', async (t) => {
  server!.kill('SIGTERM');
  await new Promise((r) => server!.once('exit', r));
  const add = await call('ADD', { env: { CNI_CONTAINERID: 'single-2' } });
  t.equal(add.code, 1);
  t.match(add.json, { cniVersion: '1.1.0', code: 11, msg: `no answer from the hawser node agent at ${socketPath}` });
  t.equal(await getLink('eth0', { netns: podPath }), undefined, 'nothing ran in its place');
  for (const v of SUPPORTED_VERSIONS) {
    const ver = await call('VERSION', { config: { cniVersion: v } });
    t.equal(ver.code, 0);
    t.same(ver.json, { cniVersion: v, supportedVersions: SUPPORTED_VERSIONS }, `VERSION at ${v}`);
  }
  t.same(served, ['ADD single-1', 'CHECK single-1', 'DEL single-1'], 'nothing served after the stop');
});
