// The lab end to end: `lab up` with 3 nodes (real apiserver, agents, kubelets, hawser CNI
// plugin), echo pods created through the API on every node, every pod reaching every
// other across nodes without NAT, kubectl on this machine through the lab kubeconfig,
// kill -9 and restart of a kubelet and an agent (pods keep IPs, traffic continues), pod
// deletion, and `lab down` leaving no namespace, process or file behind.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { run } from '../src/kernel/exec.js';
import { listNetns } from '../src/kernel/netns/namespace.js';
import { findProcesses } from '../src/kernel/spawn-in-netns.js';
import { sandboxNetnsName } from '../src/kubelet/container-spec.js';
import { Rest } from '../src/kubelet/rest.js';
import { hasCommand, hawserArgv } from '../src/kubelet/self.js';
import { labPaths } from '../src/lab/components.js';
import { labDown } from '../src/lab/down.js';
import { labRestart } from '../src/lab/ops.js';
import { readLabState } from '../src/lab/state.js';
import { labUp } from '../src/lab/up.js';
import { waitFor } from '../src/lab/wait.js';
import type { LabPlan } from '../src/lab/plan.js';

const name = `e${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;

interface Pod { metadata: { name: string; uid: string }; spec: { nodeName: string }; status?: { phase?: string; podIP?: string; containerStatuses?: { restartCount: number; ready: boolean }[] } }

if (!hasCommand('apiserver')) {
  t.plan(0, 'hawser apiserver is not built');
} else {
  let plan: LabPlan;
  let api: Rest;

  t.teardown(async () => { await labDown({ name }); });

  const pods = async () => (await api.get<{ items: Pod[] }>('/api/v1/namespaces/default/pods?labelSelector=app%3Decho')).items;
  const podNetns = (p: Pod) => sandboxNetnsName(plan.podNetnsPrefix, p.metadata.uid);
  const ask = async (netns: string, ip: string) => {
    const r = await run(['curl', '-sS', '--max-time', '3', `http://${ip}:8080/`], { netns, allowFailure: true, timeoutMs: 10_000 });
    return r.code === 0 ? JSON.parse(r.stdout) as { pod: string; peer: string; podIP: string } : { error: r.stderr.trim() };
  };

  t.test('lab up: 3 nodes Ready, kubeconfig for this machine', async (t) => {
    const r = await labUp({ name, nodes: 3, progress: (m) => t.comment(m) });
    plan = r.plan;
    api = Rest.fromFile(labPaths(plan).hostKubeconfig);
    const nodes = await api.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes');
    t.same(nodes.items.map((n) => n.metadata.name).sort(), ['node1', 'node2', 'node3']);
    t.ok(r.state.processes.every((p) => p.pid > 0), 'every process recorded');
  });

  t.test('one echo pod per node, created through the API, Running with an IP from its node', async (t) => {
    for (const node of plan.nodes) {
      await api.post('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `echo-${node.nodeName}`, labels: { app: 'echo' } },
        spec: {
          nodeName: node.nodeName, terminationGracePeriodSeconds: 2,
          containers: [{ name: 'echo', image: 'hawser/echo', ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
        },
      });
    }
    await waitFor('3 Running ready pods', async () => (await pods()).filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready).length === 3, 60_000);
    const nodes = (await api.get<{ items: { metadata: { name: string }; spec: { podCIDR?: string } }[] }>('/api/v1/nodes')).items;
    for (const p of await pods()) {
      const cidr = nodes.find((n) => n.metadata.name === p.spec.nodeName)?.spec.podCIDR ?? '';
      t.ok(p.status?.podIP?.startsWith(cidr.split('.').slice(0, 3).join('.') + '.'), `${p.metadata.name} ${p.status?.podIP} in ${cidr}`);
      t.ok((await listNetns()).includes(podNetns(p)), `${p.metadata.name} has its sandbox namespace`);
    }
  });

  t.test('every pod reaches every other pod across nodes, and sees its real source IP', async (t) => {
    const all = await pods();
    for (const from of all) {
      for (const to of all) {
        if (from === to) continue;
        const reply = await ask(podNetns(from), to.status!.podIP!);
        t.match(reply, { pod: to.metadata.name, peer: new RegExp(`^${from.status!.podIP!.replace(/\./g, '\\.')}:`) },
          `${from.metadata.name} → ${to.metadata.name}`);
      }
    }
  });

  t.test('kubectl on this machine through the lab kubeconfig shows the pod IPs', async (t) => {
    const r = await run(['kubectl', '--kubeconfig', labPaths(plan).hostKubeconfig, 'get', 'pods', '-o', 'wide'], { allowFailure: true, timeoutMs: 30_000 });
    t.equal(r.code, 0, r.stderr);
    for (const p of await pods()) t.match(r.stdout, new RegExp(`${p.metadata.name}\\s.*${p.status!.podIP!.replace(/\./g, '\\.')}\\s+${p.spec.nodeName}`), p.metadata.name);
  });

  t.test('the lab commands: kubeconfig, status, exec into node/pod/client, logs', async (t) => {
    // `--name` right after the subcommand: after `--` it would belong to the command run.
    const hawser = (cmd: string, sub: string, ...a: string[]) => run(hawserArgv(cmd, sub, '--name', name, ...a), { allowFailure: true, timeoutMs: 30_000 });
    t.equal((await hawser('lab', 'kubeconfig')).stdout.trim(), labPaths(plan).hostKubeconfig, 'kubeconfig path');
    const status = (await hawser('lab', 'status')).stdout;
    t.match(status, /kubelet\s+node3\s+\d+\s+\S+-n3\s+running/, 'status: kubelet health per node');
    t.match(status, /node2\s+True\s+192\.168\.56\.11/, 'status: nodes with Ready and IP');
    const p = (await pods())[0]!;
    t.match(status, new RegExp(`${p.metadata.name}\\s+Running\\s+${p.status!.podIP!.replace(/\./g, '\\.')}`), 'status: pods with IPs');
    t.match((await hawser('lab', 'exec', 'node2', '--', 'ip', '-4', 'addr', 'show', 'eth0')).stdout, /192\.168\.56\.11\/24/, 'exec on a node');
    t.match((await hawser('lab', 'exec', p.metadata.name, '--', 'ip', '-4', 'addr', 'show', 'eth0')).stdout, new RegExp(p.status!.podIP!.replace(/\./g, '\\.')), 'exec in a pod');
    t.match((await hawser('lab', 'exec', 'client', '--', 'ip', '-4', 'addr', 'show', 'eth0')).stdout, /192\.168\.56\.2\/24/, 'exec on the client');
    t.match((await hawser('lab', 'logs', 'kubelet', '--node', 'node1')).stdout, /node registered/, 'kubelet log');
    t.match((await hawser('lab', 'logs', `pod/${p.metadata.name}`)).stdout, /echo server listening/, 'a pod\'s container log');
    const bad = await hawser('lab', 'logs', 'nonesuch');
    t.not(bad.code, 0, 'unknown component is an error');
  });

  t.test('a second lab runs side by side with the same addresses, and goes without touching the first', async (t) => {
    const other = `${name}b`;
    try {
      const { plan: plan2 } = await labUp({ name: other, nodes: 1 });
      const api2 = Rest.fromFile(labPaths(plan2).hostKubeconfig);
      await api2.post('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', labels: { app: 'echo' } },
        spec: { nodeName: 'node1', containers: [{ name: 'echo', image: 'hawser/echo', readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
      });
      let solo: Pod | undefined;
      await waitFor('the second lab\'s pod', async () => {
        solo = (await api2.get<{ items: Pod[] }>('/api/v1/namespaces/default/pods')).items.find((p) => p.status?.containerStatuses?.[0]?.ready);
        return solo !== undefined;
      }, 60_000);
      const inOther = await ask(plan2.nodes[0]!.netns, solo!.status!.podIP!);
      t.match(inOther, { pod: 'solo' }, `second lab's pod answers at ${solo!.status!.podIP} inside its own namespaces`);
      t.equal((await pods()).length, 3, 'the first lab still sees only its own pods');
    } finally {
      await labDown({ name: other });
    }
    const [a, b] = await pods();
    t.match(await ask(podNetns(a!), b!.status!.podIP!), { pod: b!.metadata.name }, 'first lab unaffected by the second one\'s down');
  });

  t.test('kill -9 and restart of a kubelet and an agent: same pods, same IPs, traffic continues', async (t) => {
    const before = await pods();
    await labRestart(name, 'kubelet', 'node2');
    await labRestart(name, 'agent', 'node2');
    // The restarted kubelet renews its Lease: a sign it is back and has listed its pods.
    const lease = async () => (await api.get<{ spec: { renewTime: string } }>('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node2')).spec.renewTime;
    const renewed = await lease();
    await waitFor('node2 kubelet to renew its lease', async () => (await lease()) !== renewed, 30_000);
    const after = await pods();
    for (const p of before) {
      const q = after.find((x) => x.metadata.uid === p.metadata.uid);
      t.equal(q?.status?.podIP, p.status?.podIP, `${p.metadata.name} kept its IP`);
      t.equal(q?.status?.containerStatuses?.[0]?.restartCount, 0, `${p.metadata.name} container was adopted, not restarted`);
    }
    const n2 = after.find((p) => p.spec.nodeName === 'node2')!;
    const n1 = after.find((p) => p.spec.nodeName === 'node1')!;
    t.match(await ask(podNetns(n1), n2.status!.podIP!), { pod: n2.metadata.name }, 'node1 pod → node2 pod');
    t.match(await ask(podNetns(n2), n1.status!.podIP!), { pod: n1.metadata.name }, 'node2 pod → node1 pod');
  });

  t.test('deleting a pod stops it and removes its sandbox', async (t) => {
    const victim = (await pods()).find((p) => p.spec.nodeName === 'node3')!;
    await api.delete(`/api/v1/namespaces/default/pods/${victim.metadata.name}`);
    await waitFor('the pod object to go', async () => !(await pods()).some((p) => p.metadata.uid === victim.metadata.uid), 30_000);
    await waitFor('its sandbox to go', async () => !(await listNetns()).includes(podNetns(victim)), 30_000);
    t.pass(`${victim.metadata.name} deleted, namespace ${podNetns(victim)} gone`);
  });

  t.test('lab down leaves no namespace, process or file', async (t) => {
    const stateDir = plan.stateDir;
    t.ok(readLabState(name), 'the lab existed until now');
    await labDown({ name });
    t.same((await listNetns()).filter((n) => n.startsWith(plan.prefix)), [], 'no namespace');
    t.same(findProcesses((argv) => argv.some((a) => a.includes(stateDir))), [], 'no process mentions the lab state dir');
    t.notOk(existsSync(stateDir), 'state dir removed');
    const again = await labDown({ name });
    t.same(again, { processes: 0, namespaces: [], stateDir: false }, 'a second down finds nothing');
  });
}
