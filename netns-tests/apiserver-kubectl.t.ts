// The real kubectl (/usr/bin/kubectl, 1.32) against a real `hawser apiserver` process on
// an ephemeral loopback port over TLS, with the admin kubeconfig it writes: the everyday
// commands of issue 3's acceptance, without --validate=false. No namespaces needed: the
// server only listens on 127.0.0.1.
import t, { type Test } from 'tap';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HAWSER = fileURLToPath(new URL('../../bin/hawser.js', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';
if (!existsSync(KUBECTL)) {
  t.plan(0, 'kubectl is not installed');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'hawser-kubectl-'));
const children: ChildProcess[] = [];
t.teardown(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `hawser apiserver` and resolves once it prints its ready line. */
function startServer(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HAWSER, 'apiserver', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('hawser apiserver ready at')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${err}${out}`)));
  });
}

await startServer();
const kubeconfig = join(dir, 'data', 'admin.kubeconfig');

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function ok(t: Test, args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  t.equal(r.code, 0, `kubectl ${args.join(' ')}${r.code ? `: ${r.stderr}` : ''}`);
  return r.stdout;
}

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const SVC = (secondPort: number) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: extra
    port: ${secondPort}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns-only
spec:
  podSelector: {}
  egress:
  - ports: [{port: 53, protocol: UDP}]
`;

t.test('discovery: version, get ns, api-resources with short names', async (t) => {
  await ok(t, ['version']);
  t.match(await ok(t, ['get', 'ns']), /default\s+Active/);
  const res = await ok(t, ['api-resources']);
  t.match(res, /services\s+svc\s+v1\s+true\s+Service/);
  t.match(res, /networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy/);
  // A fresh apiserver holds only the `kubernetes` Service its allocator creates.
  t.equal((await ok(t, ['get', 'svc,netpol', '-A', '-o', 'name'])).trim(), 'service/kubernetes');
});

t.test('apply -f twice (client-side, strategic merge), then server-side apply', async (t) => {
  t.match(await ok(t, ['apply', '-f', file('a1.yaml', SVC(443))]), /service\/web created/);
  t.match(await ok(t, ['apply', '-f', file('a2.yaml', SVC(8443))]), /service\/web configured/);
  t.equal(await ok(t, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[*].port}']), '80 8443');
  t.equal(await ok(t, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].targetPort}']), '8080');
  t.equal(await ok(t, ['get', 'netpol', 'dns-only', '-o', 'jsonpath={.spec.policyTypes}']), '["Ingress","Egress"]');
  const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {${data}}\n`;
  await ok(t, ['apply', '--server-side', '-f', file('s1.yaml', cm('a: "1", b: "2"'))]);
  await ok(t, ['apply', '--server-side', '-f', file('s2.yaml', cm('a: "1"'))]);
  t.equal(await ok(t, ['get', 'cm', 'ssa', '-o', 'jsonpath={.data}']), '{"a":"1"}');
  const bad = await kubectl(['apply', '-f', file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndatta: {a: "1"}\n')]);
  t.not(bad.code, 0, 'an unknown field is rejected (fieldValidation=Strict)');
  t.match(bad.stderr, /unknown field "datta"/);
});

t.test('typed create commands (protobuf bodies), get -o json/yaml/jsonpath/wide', async (t) => {
  await ok(t, ['create', 'namespace', 'hx']);
  await ok(t, ['create', 'configmap', 'cm1', '--from-literal=a=b', '-n', 'hx']);
  await ok(t, ['create', 'secret', 'generic', 's1', '--from-literal=x=y', '-n', 'hx']);
  await ok(t, ['create', 'service', 'clusterip', 's2', '--tcp=80:8080', '-n', 'hx']);
  const cm = JSON.parse(await ok(t, ['get', 'cm', 'cm1', '-n', 'hx', '-o', 'json'])) as { data: Record<string, string>; metadata: { namespace: string } };
  t.same(cm.data, { a: 'b' });
  t.equal(cm.metadata.namespace, 'hx');
  t.equal(await ok(t, ['get', 'secret', 's1', '-n', 'hx', '-o', 'jsonpath={.data.x}']), Buffer.from('y').toString('base64'));
  t.equal(await ok(t, ['get', 'secret', 's1', '-n', 'hx', '-o', 'jsonpath={.type}']), 'Opaque');
  t.equal(await ok(t, ['get', 'svc', 's2', '-n', 'hx', '-o', 'jsonpath={.spec.ports[0].port}/{.spec.ports[0].targetPort}/{.spec.type}/{.spec.sessionAffinity}']), '80/8080/ClusterIP/None');
  t.match(await ok(t, ['get', 'ns', 'hx', '-o', 'yaml']), /kubernetes\.io\/metadata\.name: hx/);
  t.match(await ok(t, ['get', 'svc', '-n', 'hx', '-o', 'wide']), /NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR/);
  t.match(await ok(t, ['get', 'svc', '-A']), /hx\s+s2\s+ClusterIP/);
  await ok(t, ['create', '-f', file('c.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fromfile, namespace: hx}\n')]);
  const dup = await kubectl(['create', '-f', join(dir, 'c.yaml')]);
  t.match(dup.stderr, /AlreadyExists/);
});

t.test('label, annotate, patch (strategic, merge, json), describe', async (t) => {
  await ok(t, ['label', 'svc', 'web', 'tier=fe']);
  await ok(t, ['annotate', 'svc', 'web', 'note=hello']);
  t.equal((await ok(t, ['get', 'svc', '-l', 'tier=fe', '-o', 'name'])).trim(), 'service/web');
  t.equal((await ok(t, ['get', 'svc', '-A', '-l', 'tier in (fe,be),app', '-o', 'name'])).trim(), 'service/web');
  await ok(t, ['patch', 'svc', 'web', '-p', '{"spec":{"ports":[{"port":80,"targetPort":9090}]}}']);
  t.equal(await ok(t, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[*].targetPort}']), '9090 8443');
  await ok(t, ['patch', 'svc', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
  await ok(t, ['patch', 'svc', 'web', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"}]']);
  t.equal(await ok(t, ['get', 'svc', 'web', '-o', 'jsonpath={.metadata.labels.m}{.metadata.labels.j}{.metadata.annotations.note}']), '12hello');
  const d = await ok(t, ['describe', 'svc', 'web']);
  t.match(d, /Name:\s+web/);
  t.match(d, /TargetPort:\s+9090\/TCP/);
});

t.test('get -w sees a change made while it watches', async (t) => {
  const w = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'cm', '-n', 'hx', '-w', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (w.exitCode === null) w.kill('SIGKILL'); });
  let out = '';
  const seen = (s: string) => new Promise<void>((resolve, reject) => {
    const check = () => { if (out.includes(s)) resolve(); };
    w.stdout!.on('data', (d: Buffer) => { out += d.toString(); check(); });
    w.on('exit', (c) => reject(new Error(`kubectl get -w exited ${c}: ${out}`)));
    check();
  });
  await seen('configmap/cm1');
  await ok(t, ['create', 'configmap', 'watched', '-n', 'hx']);
  await seen('configmap/watched');
  t.pass('the new ConfigMap arrived on the watch');
});

t.test('auth can-i, delete (object and namespace)', async (t) => {
  t.equal((await ok(t, ['auth', 'can-i', 'create', 'pods'])).trim(), 'yes');
  await ok(t, ['delete', 'cm', 'cm1', '-n', 'hx']);
  t.match((await kubectl(['get', 'cm', 'cm1', '-n', 'hx'])).stderr, /NotFound/);
  await ok(t, ['delete', 'ns', 'hx']);
  t.match((await kubectl(['get', 'ns', 'hx'])).stderr, /NotFound/);
  t.match((await kubectl(['get', 'svc', 's2', '-n', 'hx'])).stderr, /NotFound/);
});

// Issue 4's acceptance: the workload commands, with the controllers the apiserver starts by
// default. No kubelet runs here, so the test plays its part for readiness: it marks the
// pods Ready through pods/status, which is all a Deployment's rollout waits for.
const WL = ['-n', 'wl'];

async function podsOf(selector: string): Promise<{ name: string; image: string; ready: boolean }[]> {
  const r = await kubectl(['get', 'pods', ...WL, '-l', selector, '-o', 'json']);
  type Pod = { metadata: { name: string; deletionTimestamp?: string }; spec: { containers: { image: string }[] }; status?: { conditions?: { type: string; status: string }[] } };
  return (JSON.parse(r.stdout || '{"items":[]}') as { items: Pod[] }).items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({ name: p.metadata.name, image: p.spec.containers[0]!.image, ready: !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') }));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Marks every pod of the selector Ready, over and over, until stopped (the kubelet's job). */
function fakeKubelet(selector: string): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const p of (await podsOf(selector)).filter((x) => !x.ready)) {
        await kubectl(['patch', 'pod', p.name, ...WL, '--subresource=status', '--type=merge',
          '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}']);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => { running = false; await loop; };
}

t.test('create deployment (protobuf) and expose: pods appear, the Service selects them', async (t) => {
  await ok(t, ['create', 'namespace', 'wl']);
  t.match(await ok(t, ['create', 'deployment', 'web', '--image=hawser/echo', '--replicas=3', ...WL]), /deployment\.apps\/web created/);
  const d = JSON.parse(await ok(t, ['get', 'deploy', 'web', ...WL, '-o', 'json'])) as { metadata: { labels: Record<string, string> }; spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  t.same(d.metadata.labels, { app: 'web' });
  t.equal(d.spec.replicas, 3);
  t.same(d.spec.selector, { matchLabels: { app: 'web' } });
  t.same(d.spec.template.metadata.labels, { app: 'web' });
  t.match(d.spec.template.spec.containers, [{ name: 'echo', image: 'hawser/echo' }]);
  t.equal(d.spec.strategy.type, 'RollingUpdate', 'defaulted on the server, as upstream does');
  const pods = await until('3 pods', async () => { const p = await podsOf('app=web'); return p.length === 3 ? p : undefined; });
  t.ok(pods.every((p) => p.image === 'hawser/echo' && p.name.startsWith('web-')), 'the ReplicaSet made the pods from the template');

  t.match(await ok(t, ['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080', ...WL]), /service\/web exposed/);
  t.equal(await ok(t, ['get', 'svc', 'web', ...WL, '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.type}']), 'web 80 8080 ClusterIP');
  t.match(await ok(t, ['get', 'svc', 'web', ...WL, '-o', 'jsonpath={.spec.clusterIP}']), /^10\.96\.\d+\.\d+$/);
});

t.test('scale, rollout status, set image, rollout undo', async (t) => {
  const stop = fakeKubelet('app=web');
  t.teardown(stop);
  const rolledOut = async () => t.match(await ok(t, ['rollout', 'status', 'deployment/web', ...WL, '--timeout=90s']), /successfully rolled out/);
  await rolledOut();
  await ok(t, ['scale', 'deployment', 'web', '--replicas=5', ...WL]);
  await until('5 ready pods', async () => ((await podsOf('app=web')).filter((p) => p.ready).length === 5 ? true : undefined));
  await rolledOut();
  await ok(t, ['set', 'image', 'deployment/web', 'echo=hawser/echo:v2', ...WL]);
  await rolledOut();
  await until('all pods on v2', async () => { const p = await podsOf('app=web'); return p.length === 5 && p.every((x) => x.image === 'hawser/echo:v2') ? true : undefined; });
  t.pass('set image rolled every pod to v2');
  await ok(t, ['rollout', 'undo', 'deployment/web', ...WL]);
  await rolledOut();
  t.equal(await ok(t, ['get', 'deploy', 'web', ...WL, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'hawser/echo');
  await until('all pods back on the first image', async () => { const p = await podsOf('app=web'); return p.length === 5 && p.every((x) => x.image === 'hawser/echo') ? true : undefined; });
  t.pass('rollout undo went back to the first template');
});

t.test('create role, rolebinding, clusterrole, clusterrolebinding (protobuf)', async (t) => {
  await ok(t, ['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,deployments.apps', ...WL]);
  await ok(t, ['create', 'rolebinding', 'read-pods', '--role=pod-reader', '--user=alice', '--serviceaccount=wl:robot', ...WL]);
  await ok(t, ['create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes', '--non-resource-url=/healthz']);
  await ok(t, ['create', 'clusterrolebinding', 'read-nodes', '--clusterrole=node-reader', '--group=ops']);
  t.teardown(() => kubectl(['delete', 'clusterrolebinding/read-nodes', 'clusterrole/node-reader']).then(() => undefined));
  const json = async (args: string[]) => JSON.parse(await ok(t, ['get', ...args, '-o', 'json'])) as Record<string, unknown>;
  t.same((await json(['role', 'pod-reader', ...WL])).rules, [
    { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
    { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] },
  ]);
  const rb = await json(['rolebinding', 'read-pods', ...WL]);
  t.same(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
  t.same(rb.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }, { kind: 'ServiceAccount', name: 'robot', namespace: 'wl' }]);
  t.same((await json(['clusterrole', 'node-reader'])).rules, [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }]);
  const crb = await json(['clusterrolebinding', 'read-nodes']);
  t.same(crb.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ops' }]);
  t.same(crb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader' });
  await ok(t, ['delete', 'ns', 'wl']);
});
