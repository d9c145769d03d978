// Issue 9's `--live` trace in a real lab: a 2-node lab (`lab up`: apiserver, and on each
// node the agent programming hawser-proxy/hawser-policy and the lab kubelet), a Service
// whose one endpoint pod runs on node2, a client pod on node1. liveTrace sends one TCP
// connect from the client pod's namespace to the ClusterIP with nftrace on for that
// flow only and collects what both nodes' kernels did: node1 picks the endpoint in
// hawser-proxy's service/endpoint chains and DNATs, node2 forwards the packet to the
// endpoint pod, node1's conntrack entry names the endpoint in its reply tuple — and no
// `hawser-trace` table is left anywhere afterwards.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { run } from '../src/kernel/exec.js';
import { hasTraceTable, kernelLiveDeps } from '../src/kernel/nft-monitor.js';
import { sandboxNetnsName } from '../src/kubelet/container-spec.js';
import { Rest } from '../src/kubelet/rest.js';
import { hasCommand } from '../src/kubelet/self.js';
import { labPaths } from '../src/lab/components.js';
import { labDown } from '../src/lab/down.js';
import { labUp } from '../src/lab/up.js';
import { waitFor } from '../src/lab/wait.js';
import type { LabPlan } from '../src/lab/plan.js';
import { liveTrace, renderLive, type LiveResult } from '../src/trace/live.js';

const name = `tl${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;
const NS = '/api/v1/namespaces/default';

interface Pod { metadata: { name: string; uid: string }; status?: { podIP?: string; conditions?: { type: string; status: string }[] } }
interface Svc { spec: { clusterIP?: string } }

const echoPod = (podName: string, node: string, app: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, labels: { app } },
  spec: {
    nodeName: node, terminationGracePeriodSeconds: 1,
    containers: [{ name: 'echo', image: 'hawser/echo', ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
  },
});
const ready = (p: Pod) => !!p.status?.podIP && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

if (!hasCommand('apiserver') || !hasCommand('agent')) {
  t.plan(0, 'hawser apiserver/agent are not built');
} else {
  let plan!: LabPlan;
  let api!: Rest;
  let clusterIP = '';
  let endpoint!: Pod;
  let clientNetns = '';
  t.teardown(async () => { await labDown({ name }); });

  t.test('lab up: 2 nodes, endpoint pod on node2, client pod on node1, a ClusterIP Service', async (t) => {
    plan = (await labUp({ name, nodes: 2, progress: (m) => t.comment(m) })).plan;
    api = Rest.fromFile(labPaths(plan).hostKubeconfig);
    const [node1, node2] = plan.nodes;
    await api.post(`${NS}/pods`, echoPod('web', node2!.nodeName, 'web'));
    await api.post(`${NS}/pods`, echoPod('client', node1!.nodeName, 'client'));
    await api.post(`${NS}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    await waitFor('both pods Ready', async () => {
      const pods = (await api.get<{ items: Pod[] }>(`${NS}/pods`)).items;
      return pods.length === 2 && pods.every(ready);
    }, 40_000);
    endpoint = await api.get<Pod>(`${NS}/pods/web`);
    const client = await api.get<Pod>(`${NS}/pods/client`);
    clientNetns = sandboxNetnsName(plan.podNetnsPrefix, client.metadata.uid);
    clusterIP = (await api.get<Svc>(`${NS}/services/web`)).spec.clusterIP!;
    // The agents sync at most once a second: wait until the ClusterIP answers from the client.
    await waitFor(`${clusterIP}:80 answering the client pod`, async () =>
      (await run(['curl', '-sS', '--max-time', '1', `http://${clusterIP}/`], { netns: clientNetns, allowFailure: true, timeoutMs: 5000 })).code === 0, 30_000);
    t.ok(clusterIP, `Service web at ${clusterIP}, endpoint ${endpoint.status!.podIP} on ${node2!.nodeName}`);
  });

  t.test('liveTrace from the client pod to the ClusterIP', async (t) => {
    const [node1, node2] = plan.nodes.map((n) => n.nodeName) as [string, string];
    const podIP = endpoint.status!.podIP!;
    const r: LiveResult = await liveTrace({
      source: { netns: clientNetns }, dst: clusterIP, dport: 80, proto: 'tcp',
      nodes: plan.nodes.map((n) => ({ name: n.nodeName, netns: n.netns })),
    }, kernelLiveDeps);
    t.comment(renderLive(r));
    t.equal(r.probe.kind, 'connected', 'the probe connected');
    t.ok(r.probe.ok, 'probe ok');
    t.match(r.probe.reply ?? '', /"pod":"web"/, 'and was answered by the endpoint pod');

    const on1 = r.hops.filter((h) => h.node === node1 && h.table === 'hawser-proxy');
    t.ok(on1.some((h) => h.chain.startsWith('svc-')), `${node1}: hops through a service chain (svc-…)`);
    t.ok(on1.some((h) => h.chain.startsWith('sep-')), `${node1}: hops through an endpoint chain (sep-…)`);
    const dnat = on1.find((h) => /\bdnat\b/.test(h.rule ?? ''));
    t.ok(dnat, `${node1}: a DNAT rule: ${dnat?.rule}`);
    t.match(dnat?.rule ?? '', podIP, 'the DNAT names the endpoint pod');
    t.equal(dnat?.hook, 'prerouting', 'DNAT in prerouting');
    t.ok(r.hops.some((h) => h.node === node1 && h.packet?.dst === podIP && h.packet.sport === r.probe.srcPort),
      `${node1}: the packet leaves for ${podIP} after the DNAT`);

    const arriving = r.hops.filter((h) => h.node === node2 && h.packet?.dst === podIP && h.packet.dport === 8080);
    t.ok(arriving.length > 0, `${node2}: the packet arrives for the endpoint pod ${podIP}:8080`);
    t.ok(arriving.some((h) => h.hook === 'forward'), `${node2}: and is forwarded to it`);
    t.ok(r.hops.some((h) => h.node === node2 && h.packet?.src === podIP && h.packet.sport === 8080),
      `${node2}: the reply (SYN-ACK) is traced too`);

    const ct1 = r.conntrack.find((c) => c.node === node1)?.entries ?? [];
    t.ok(ct1.some((e) => e.original.dst === clusterIP && e.original.dport === 80 && e.reply.src === podIP && e.reply.sport === 8080),
      `${node1} conntrack: ${clusterIP}:80 DNAT'd to ${podIP}:8080`);
    t.same(r.delivered, { ip: podIP, port: 8080, node: node2 }, 'delivered to the endpoint pod on node2');

    for (const netns of [clientNetns, ...plan.nodes.map((n) => n.netns)]) {
      t.notOk(await hasTraceTable(netns), `no hawser-trace table left in ${netns}`);
    }
  });
}
