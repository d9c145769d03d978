// deploy/ against a real `hawser apiserver` and the real kubectl: a server-side dry run of
// every manifest must pass (the apiserver defaults and validates each object, and strict
// field validation rejects unknown fields), then the RBAC objects are applied for real
// and the agent's ServiceAccount is asked, through the authorizer, what it may do.
// Like apiserver-kubectl.t.ts it needs no namespaces: the server listens on 127.0.0.1.
// hawser's apiserver checks the fields of DaemonSet and Pod specs and of RBAC rules not
// at all (strict.ts: `spec: ANY`) and serves no impersonation (`--as`), so deep field
// names are checked against client-node's models in deploy/manifests.test.ts, and the
// ServiceAccount's identity comes from a static token here.
import t, { type Test } from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HAWSER = fileURLToPath(new URL('../../bin/hawser.js', import.meta.url));
const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';
if (!existsSync(KUBECTL)) {
  t.plan(0, 'kubectl is not installed');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'hawser-deploy-'));
const SA_TOKEN = 'deploy-test-agent-token';
writeFileSync(join(dir, 'tokens.csv'), `${SA_TOKEN},system:serviceaccount:kube-system:hawser-agent,sa-hawser-agent,"system:serviceaccounts,system:serviceaccounts:kube-system"\n`);
let server: ChildProcess | undefined;
t.teardown(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

await new Promise<void>((resolve, reject) => {
  server = spawn(process.execPath, [HAWSER, 'apiserver', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--log-level', 'warn', '--token-file', join(dir, 'tokens.csv')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('hawser apiserver ready at')) resolve();
  });
  server.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  server.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${out}`)));
});
const kubeconfig = join(dir, 'data', 'admin.kubeconfig');

function kubectl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr });
    });
  });
}

async function ok(t: Test, args: string[]): Promise<string> {
  const r = await kubectl(args);
  t.equal(r.code, 0, `kubectl ${args.join(' ')}${r.code ? `:\n${r.out}` : ''}`);
  return r.out;
}

const KINDS = ['serviceaccount/hawser-agent', 'clusterrole.rbac.authorization.k8s.io/hawser-agent',
  'clusterrolebinding.rbac.authorization.k8s.io/hawser-agent', 'role.rbac.authorization.k8s.io/hawser-agent',
  'rolebinding.rbac.authorization.k8s.io/hawser-agent', 'configmap/hawser-agent', 'daemonset.apps/hawser-agent'];

t.test('kubectl apply --dry-run=server -f deploy/ accepts every object and creates none', async (t) => {
  const out = await ok(t, ['apply', '--dry-run=server', '-f', DEPLOY]);
  for (const k of KINDS) t.match(out, new RegExp(`${k.replace(/\./g, '\\.')} created \\(server dry run\\)`), k);
  t.match((await kubectl(['-n', 'kube-system', 'get', 'daemonset', 'hawser-agent'])).out, /NotFound/, 'a dry run stores nothing');
});

t.test('the same dry run rejects a manifest with a mistake (the check above can fail)', async (t) => {
  // A top-level field: the depth this apiserver validates DaemonSets to.
  const good = readFileSync(join(DEPLOY, 'daemonset.yaml'), 'utf8');
  const broken = good.replace(/^spec:$/m, 'spek:');
  t.not(broken, good, 'the mistake was made');
  writeFileSync(join(dir, 'broken.yaml'), broken);
  const r = await kubectl(['apply', '--dry-run=server', '-f', join(dir, 'broken.yaml')]);
  t.not(r.code, 0);
  t.match(r.out, /unknown field "spek"/);
});

t.test('applied for real, the ServiceAccount may do what the agent does, and no more', async (t) => {
  await ok(t, ['apply', '-f', join(DEPLOY, 'rbac.yaml')]);
  const can = async (verb: string, resource: string, ns?: string) => {
    const r = await kubectl(['auth', 'can-i', verb, resource, '--token', SA_TOKEN, ...(ns ? ['-n', ns] : [])]);
    return r.out.trim().split(/\s/)[0];
  };
  t.equal(await can('watch', 'endpointslices.discovery.k8s.io'), 'yes');
  t.equal(await can('list', 'pods'), 'yes');
  t.equal(await can('list', 'networkpolicies.networking.k8s.io'), 'yes');
  t.equal(await can('patch', 'leases.coordination.k8s.io', 'kube-node-lease'), 'yes');
  t.equal(await can('patch', 'leases.coordination.k8s.io', 'kube-system'), 'no', 'Leases only in kube-node-lease');
  t.equal(await can('get', 'secrets', 'kube-system'), 'no');
  t.equal(await can('update', 'nodes'), 'no');
});

// The shell the containers run, run here with the container paths moved under a temp dir
// (a container's root is not available): what matters is the argv and files it produces.
interface Container { name: string; args: string[]; env?: { name: string }[] }
const docs = parseAllDocuments(readFileSync(join(DEPLOY, 'daemonset.yaml'), 'utf8')).map((d) => d.toJS() as { spec: { template: { spec: { initContainers: Container[]; containers: Container[] } } } });
const pod = docs[0]!.spec.template.spec;
const cm = parseAllDocuments(readFileSync(join(DEPLOY, 'configmap.yaml'), 'utf8'))[0]!.toJS() as { data: Record<string, string> };
const root = join(dir, 'container');
const moved = (script: string) => script
  .replaceAll('/etc/hawser', `${root}/etc/hawser`).replaceAll('/opt/hawser', `${root}/opt/hawser`)
  .replaceAll('/usr/lib/hawser', `${root}/image`).replaceAll('/host/', `${root}/host/`);
mkdirSync(join(root, 'etc/hawser'), { recursive: true });
for (const [k, v] of Object.entries(cm.data)) writeFileSync(join(root, 'etc/hawser', k), v);

function sh(script: string, env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], { env: { PATH: `${root}/bin:${process.env.PATH}`, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? 1 : 0, out: stdout, err: stderr });
    });
  });
}

t.test('the agent container gets --node-name, --cluster-cidr and the ConfigMap flags as separate words, comments dropped', async (t) => {
  mkdirSync(join(root, 'bin'), { recursive: true });
  // A stand-in `hawser` that prints its argv, one word a line.
  writeFileSync(join(root, 'bin/hawser'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
  const agent = pod.containers.find((c) => c.name === 'agent')!;
  const r = await sh(moved(agent.args.join('\n')), { NODE_NAME: 'node7', CLUSTER_CIDR: cm.data['cluster-cidr']! });
  t.equal(r.code, 0, r.err);
  const argv = r.out.trim().split('\n');
  const flags = cm.data['agent-flags']!.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  t.same(argv, ['agent', '--node-name=node7', '--cluster-cidr=10.244.0.0/16', ...flags]);
  t.ok(flags.length >= 3 && !argv.some((a) => a.includes('#')), 'flags were read, comments were not');
});

t.test('install-cni copies Node and the package, and the plugin it installs runs that copy (what the host has)', async (t) => {
  // The image's package: an entry that runs this checkout's build.
  mkdirSync(join(root, 'image/bin'), { recursive: true });
  writeFileSync(join(root, 'image/bin/hawser.js'), `import ${JSON.stringify(join(HAWSER, '../../dist/src/cli/main.js'))};\n`);
  const init = pod.initContainers.find((c) => c.name === 'install-cni')!;
  for (let run = 1; run <= 2; run++) { // twice: a restarted init container replaces its copy
    const r = await sh(moved(init.args.join('\n')), { CLUSTER_CIDR: cm.data['cluster-cidr']! });
    t.equal(r.code, 0, `run ${run}: ${r.err}`);
    t.match(JSON.parse(r.out) as object, { plugin: `${root}/host/opt/cni/bin/hawser`, form: 'launcher' });
  }
  const launcher = readFileSync(join(root, 'host/opt/cni/bin/hawser'), 'utf8');
  t.match(launcher, `exec '${root}/opt/hawser/current/node' `, 'the launcher runs the copied node, not the image\'s');
  t.ok(existsSync(join(root, 'opt/hawser/current/node')) && !existsSync(join(root, 'opt/hawser/.new')) && !existsSync(join(root, 'opt/hawser/.old')));
  const conf = JSON.parse(readFileSync(join(root, 'host/etc/cni/net.d/10-hawser.conflist'), 'utf8')) as { plugins: Record<string, unknown>[] };
  t.match(conf.plugins[0], { type: 'hawser', podCIDRFile: '/run/hawser/pod-cidr', ipMasq: true, clusterCIDR: '10.244.0.0/16' });
});
