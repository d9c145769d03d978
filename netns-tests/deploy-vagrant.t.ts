// The Vagrantfile and scripts/vagrant, without VMs (none can boot here): `vagrant validate`
// (with the libvirt provider installed, so its options are checked too; VirtualBox is not
// in Debian, its options are only parsed), the CA the Vagrantfile makes on the host being
// one `hawser apiserver` accepts and serves with, the state paths the shell scripts
// assume being the ones src/lab derives, api.sh working against an apiserver, and the
// systemd units carrying the lab's own argv. Debian's vagrant and vagrant-libvirt are
// installed when missing (≈ 12 s with the apt lists, ≈ 5 s for vagrant-libvirt).
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { planLab } from '../src/lab/plan.js';
import { labPaths, nodeComponents } from '../src/lab/components.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HAWSER = join(REPO, 'bin/hawser.js');
const dir = mkdtempSync(join(tmpdir(), 'hawser-vagrant-'));
let server: ChildProcess | undefined;
t.teardown(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr, stdout });
    });
  });
}

const hasPackages = async () => (await run(['dpkg-query', '-W', '-f=${Status}\n', 'vagrant', 'vagrant-libvirt'])).out.split('\n').filter((l) => l.endsWith('ok installed')).length === 2;
if (!(await hasPackages())) {
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', 'vagrant', 'vagrant-libvirt'];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const started = Date.now();
  // A new machine may have no package lists yet: update only when the install needs it.
  if ((await run(install, { env, timeoutMs: 300_000 })).code !== 0) {
    await run(['apt-get', 'update', '-qq'], { env, timeoutMs: 300_000 });
    const r = await run(install, { env, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`could not install vagrant: ${r.out}`);
  }
  t.comment(`installed vagrant and vagrant-libvirt in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The files the Vagrantfile reads, in a scratch copy: validating writes .vagrant/ next to it. */
function vagrantTree(name: string, edit: (vagrantfile: string) => string = (s) => s): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'src/lab'), { recursive: true });
  cpSync(join(REPO, 'scripts/vagrant'), join(root, 'scripts/vagrant'), { recursive: true });
  cpSync(join(REPO, 'src/lab/plan.ts'), join(root, 'src/lab/plan.ts'));
  writeFileSync(join(root, 'Vagrantfile'), edit(readFileSync(join(REPO, 'Vagrantfile'), 'utf8')));
  return root;
}
const vagrant = (root: string, args: string[]) =>
  run(['vagrant', ...args], { cwd: root, env: { VAGRANT_HOME: join(dir, 'vagrant.d'), VAGRANT_DEFAULT_PROVIDER: 'libvirt' }, timeoutMs: 120_000 });

const root = vagrantTree('ok');

t.test('vagrant validate passes, and fails on a wrong provider option', async (t) => {
  const r = await vagrant(root, ['validate']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Vagrantfile validated successfully/);
  const bad = vagrantTree('bad', (s) => s.replace('lv.cpus = CPUS', 'lv.cpus = CPUS\n    lv.cpu_count = CPUS'));
  const b = await vagrant(bad, ['validate']);
  t.not(b.code, 0);
  t.match(b.out, /cpu_count/);
  const many = await run(['vagrant', 'validate'], { cwd: root, env: { VAGRANT_HOME: join(dir, 'vagrant.d'), VAGRANT_DEFAULT_PROVIDER: 'libvirt', HAWSER_VM_NODES: '0' } });
  t.not(many.code, 0, 'HAWSER_VM_NODES=0 is refused');
});

t.test('the host-made secrets: a CA, one token per node, stable across reads, ignored by git', async (t) => {
  const s = join(root, '.vagrant/hawser');
  const text = (await run(['openssl', 'x509', '-in', join(s, 'ca.crt'), '-noout', '-text'])).out;
  t.match(text, /CA:TRUE/);
  t.match(text, /Certificate Sign/);
  const tokens = JSON.parse(readFileSync(join(s, 'node-tokens.json'), 'utf8')) as Record<string, string>;
  t.same(Object.keys(tokens), ['node1', 'node2']);
  const before = readFileSync(join(s, 'ca.crt'), 'utf8');
  await vagrant(root, ['validate']);
  t.equal(readFileSync(join(s, 'ca.crt'), 'utf8'), before, 'a second read keeps the CA');
  t.same(JSON.parse(readFileSync(join(s, 'node-tokens.json'), 'utf8')), tokens, 'and the tokens');
  t.equal(readFileSync(join(root, '.vagrant/.gitignore'), 'utf8'), '*\n');
});

t.test('hawser apiserver serves with that CA; api.sh talks to it with the admin kubeconfig', async (t) => {
  const data = join(dir, 'apiserver');
  mkdirSync(join(data, 'pki'), { recursive: true });
  for (const f of ['ca.crt', 'ca.key']) cpSync(join(root, '.vagrant/hawser', f), join(data, 'pki', f));
  await new Promise<void>((resolve, reject) => {
    server = spawn(process.execPath, [HAWSER, 'apiserver', '--data-dir', data, '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('hawser apiserver ready at')) resolve(); });
    server.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    server.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${out}`)));
  });
  t.equal(readFileSync(join(data, 'pki/ca.crt'), 'utf8'), readFileSync(join(root, '.vagrant/hawser/ca.crt'), 'utf8'), 'the apiserver kept the given CA');
  t.equal((await run(['openssl', 'verify', '-CAfile', join(data, 'pki/ca.crt'), join(data, 'pki/apiserver.crt')])).code, 0, 'its serving certificate chains to it');
  const kubeconfig = join(data, 'admin.kubeconfig');
  const url = new URL(/server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!);
  const status = await new Promise<number>((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path: '/livez', ca: readFileSync(join(root, '.vagrant/hawser/ca.crt')) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); })
      .on('error', reject).end();
  });
  t.equal(status, 200, 'a client trusting only the Vagrant CA connects (TLS verified)');
  const api = (...args: string[]) => run(['bash', join(REPO, 'scripts/vagrant/api.sh'), ...args], { env: { ADMIN_KUBECONFIG: kubeconfig } });
  const created = await api('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-api-sh"}}');
  t.equal(created.code, 0, created.code ? created.out : 'api.sh POST');
  t.match(JSON.parse((await api('GET', '/api/v1/namespaces/default/configmaps/from-api-sh')).out) as object, { metadata: { name: 'from-api-sh' } });
  t.not((await api('GET', '/api/v1/namespaces/default/configmaps/missing')).code, 0, 'an error status fails api.sh');
});

interface Setup {
  LAB_NAME: string; STATE_ROOT: string;
  vmComponents(lab: unknown, plan: unknown, role: string, index: number): { component: string; args: string[] }[];
  unitFile(spec: { component: string; args: string[] }, node?: string, hawser?: string): string;
  systemdWord(s: string): string;
}
const setup = await import(pathToFileURL(join(REPO, 'scripts/vagrant/setup.mjs')).href) as Setup;

t.test('the VMs run the lab\'s processes with the lab\'s flags, at the paths the shell scripts use', async (t) => {
  const plan = planLab({ name: setup.LAB_NAME, nodes: 2, stateRoot: setup.STATE_ROOT });
  const env = (await run(['bash', '-c', `. ${join(REPO, 'scripts/vagrant/env.sh')}; echo "$ADMIN_KUBECONFIG"; echo "$POD_NETNS_PREFIX"`])).out.trim().split('\n');
  t.same(env, [labPaths(plan).adminKubeconfig, plan.podNetnsPrefix]);
  const lab = await import('../src/lab/components.js');
  const cp = setup.vmComponents(lab, plan, 'control-plane', 0);
  t.same(cp.map((c) => c.component), ['apiserver'], 'the lab-only forwarders are left out');
  t.ok(cp[0]!.args.includes('--token-file'), 'nodes authenticate with their own tokens');
  const node2 = setup.vmComponents(lab, plan, 'node', 2);
  t.same(node2, nodeComponents(plan, plan.nodes[1]!, { cni: 'hawser', withAgent: true }));
  t.match(node2.find((c) => c.component === 'agent')!.args.join(' '), '--node-ip 192.168.56.11');
  const unit = setup.unitFile({ component: 'kubelet', args: ['kubelet', '--x', 'a b"$%\\'] }, '/usr/local/bin/node', '/opt/hawser/bin/hawser.js');
  t.match(unit, '\nExecStart="/usr/local/bin/node" "/opt/hawser/bin/hawser.js" "kubelet" "--x" "a b\\"$$%%\\\\"\n');
  t.match(unit, 'KillMode=process', 'stopping the kubelet leaves its pods running');
});

t.test('setup.mjs writes what each VM needs (under a scratch root)', async (t) => {
  const dest = join(dir, 'vm-root');
  const secrets = join(root, '.vagrant/hawser');
  const b64 = (f: string) => readFileSync(join(secrets, f)).toString('base64');
  const tokens = readFileSync(join(secrets, 'node-tokens.json'), 'utf8');
  const setupJs = join(REPO, 'scripts/vagrant/setup.mjs');
  const env = { HAWSER_VM_DESTDIR: dest, HAWSER_CA_CRT: b64('ca.crt') };
  const cpRun = await run([process.execPath, setupJs, 'control-plane', '2'], { env: { ...env, HAWSER_CA_KEY: b64('ca.key'), HAWSER_NODE_TOKENS: Buffer.from(tokens).toString('base64') } });
  t.equal(cpRun.code, 0, cpRun.out);
  t.equal(cpRun.stdout, 'hawser-apiserver.service\n', 'stdout: the units to start, nothing else');
  const plan = planLab({ name: setup.LAB_NAME, nodes: 2, stateRoot: `${dest}${setup.STATE_ROOT}` });
  const p = labPaths(plan);
  t.equal(readFileSync(join(p.apiserverDir, 'pki/ca.key'), 'utf8'), readFileSync(join(secrets, 'ca.key'), 'utf8'));
  const node1Token = (JSON.parse(tokens) as Record<string, string>).node1!;
  t.match(readFileSync(p.tokenFile, 'utf8'), `${node1Token},system:node:node1,node-node1,"system:nodes"`);

  const nodeRun = await run([process.execPath, setupJs, 'node', '2', '1'], { env: { ...env, HAWSER_NODE_TOKEN: node1Token } });
  t.equal(nodeRun.code, 0, nodeRun.out);
  t.equal(nodeRun.stdout, 'hawser-agent.service hawser-kubelet.service\n', 'the CNI install report goes to stderr');
  const kubeconfig = JSON.parse(readFileSync(join(plan.nodes[0]!.stateDir, 'kubeconfig'), 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
  t.equal(kubeconfig.clusters[0]!.cluster.server, 'https://192.168.56.5:6443');
  t.equal(kubeconfig.users[0]!.user.token, node1Token);
  const conf = JSON.parse(readFileSync(join(plan.nodes[0]!.stateDir, 'cni/net.d/10-hawser.conflist'), 'utf8')) as { plugins: { type: string }[] };
  t.equal(conf.plugins[0]!.type, 'hawser');
  t.ok(existsSync(join(plan.nodes[0]!.stateDir, 'cni/bin/hawser')), 'the plugin is in the kubelet\'s --cni-bin-dir');
  const unit = readFileSync(join(dest, 'etc/systemd/system/hawser-agent.service'), 'utf8');
  t.match(unit, `"--kubeconfig" "${plan.nodes[0]!.stateDir}/kubeconfig"`);
});

t.test('the provisioning scripts parse', async (t) => {
  for (const f of ['provision.sh', 'demo.sh', 'api.sh', 'env.sh']) {
    const r = await run(['bash', '-n', join(REPO, 'scripts/vagrant', f)]);
    t.equal(r.code, 0, `${f} ${r.out}`);
  }
  t.ok(existsSync(join(REPO, 'scripts/install-deps.sh')), 'provision.sh builds with the lab\'s install-deps.sh');
});
