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
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
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
