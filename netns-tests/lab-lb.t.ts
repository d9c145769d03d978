// LoadBalancer IPs on the lab underlay (the agents' L2 announcement): exactly one live node
// holds each IP (a labelled /32 on its underlay interface) and the external client reaches
// the Service through it; when that node dies (agent and kubelet killed, its underlay link
// down) another node takes the IP over and sends gratuitous ARP, so the client — whose ARP
// cache still names the dead node's MAC — reaches the Service again without flushing
// anything. With externalTrafficPolicy Local only a node with a local endpoint announces,
// and the endpoint sees the client's own address.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { run } from '../src/kernel/exec.js';
import { Rest } from '../src/kubelet/rest.js';
import { hasCommand } from '../src/kubelet/self.js';
import { labPaths } from '../src/lab/components.js';
import { labDown } from '../src/lab/down.js';
import { readLabState } from '../src/lab/state.js';
import { labUp } from '../src/lab/up.js';
import { waitFor } from '../src/lab/wait.js';
import { weight } from '../src/agent/lb-election.js';
import type { LabPlan } from '../src/lab/plan.js';

const name = `l${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;

interface Svc { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }
interface Reply { pod: string; node: string; peer: string }

if (!hasCommand('apiserver')) {
  t.plan(0, 'hawser apiserver is not built');
} else {
  let plan: LabPlan;
  let api: Rest;
  t.teardown(async () => { await labDown({ name }); });

  const echo = (n: string, node: string, app: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: n, labels: { app } },
    spec: {
      nodeName: node, terminationGracePeriodSeconds: 1,
      containers: [{ name: 'echo', image: 'hawser/echo', ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
    },
  });
  const lbService = (n: string, app: string, etp: 'Cluster' | 'Local') => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: n },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: etp, selector: { app }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
  const ingressIP = async (svc: string) => {
    let ip: string | undefined;
    await waitFor(`a LoadBalancer IP for ${svc}`, async () => {
      ip = (await api.get<Svc>(`/api/v1/namespaces/default/services/${svc}`)).status?.loadBalancer?.ingress?.[0]?.ip;
      return !!ip;
    }, 20_000);
    return ip!;
  };
  /** Nodes whose underlay interface carries `ip` as one of the announcer's labelled /32s. */
  const holders = async (ip: string, among = plan.nodes) => {
    const out: string[] = [];
    for (const n of among) {
      const r = await run(['ip', '-j', '-4', 'addr', 'show'], { netns: n.netns });
      const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number; label?: string }[] }[];
      if (links.some((l) => l.addr_info.some((a) => a.local === ip && a.prefixlen === 32 && a.label?.endsWith(':hlb')))) out.push(n.nodeName);
    }
    return out;
  };
  const fromClient = async (ip: string): Promise<Reply | { error: string }> => {
    const r = await run(['curl', '-sS', '--max-time', '2', `http://${ip}/`], { netns: plan.client.netns, allowFailure: true, timeoutMs: 10_000 });
    return r.code === 0 ? JSON.parse(r.stdout) as Reply : { error: r.stderr.trim() };
  };

  t.test('lab up with 3 nodes and echo pods on every node', async (t) => {
    const r = await labUp({ name, nodes: 3, progress: (m) => t.comment(m) });
    plan = r.plan;
    api = Rest.fromFile(labPaths(plan).hostKubeconfig);
    for (const n of plan.nodes) await api.post('/api/v1/namespaces/default/pods', echo(`web-${n.nodeName}`, n.nodeName, 'web'));
    await api.post('/api/v1/namespaces/default/pods', echo('local-node3', plan.nodes[2]!.nodeName, 'local'));
    await api.post('/api/v1/namespaces/default/services', lbService('web', 'web', 'Cluster'));
    await api.post('/api/v1/namespaces/default/services', lbService('local', 'local', 'Local'));
  });

  let webIP = '';
  let owner = '';
  let next = '';
  t.test('one node announces the IP and the external client reaches the Service through it', async (t) => {
    webIP = await ingressIP('web');
    // Every agent elects the node of highest rendezvous weight for the IP.
    const ranked = plan.nodes.map((n) => n.nodeName).sort((a, b) => (weight(b, webIP) > weight(a, webIP) ? 1 : -1));
    await waitFor(`${ranked[0]} alone announcing ${webIP}`, async () => (await holders(webIP)).join() === ranked[0], 30_000).catch(() => {});
    t.same(await holders(webIP), [ranked[0]], `${webIP} held by the elected node only`);
    owner = ranked[0]!;
    next = ranked[1]!;
    let reply: Reply | { error: string } = { error: 'no try' };
    await waitFor('an answer through the LoadBalancer IP', async () => 'pod' in (reply = await fromClient(webIP)), 30_000).catch(() => {});
    t.match(reply, { pod: /^web-node/ }, `client → ${webIP} answered by ${'pod' in reply ? reply.pod : reply.error}`);
    const neigh = await run(['ip', 'neigh', 'show', webIP], { netns: plan.client.netns });
    t.match(neigh.stdout, /lladdr/, `the client learnt a MAC for ${webIP}: ${neigh.stdout.trim()}`);
  });

  t.test('the owner dies: another node takes the IP over and the client reaches it again', async (t) => {
    const dead = plan.nodes.find((n) => n.nodeName === owner)!;
    const { state } = readLabState(name)!;
    for (const p of state.processes.filter((x) => x.node === owner && (x.component === 'agent' || x.component === 'kubelet'))) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    // Its underlay link down: as if the machine lost power (its address stays, unreachable).
    const links = JSON.parse((await run(['ip', '-j', '-4', 'addr', 'show'], { netns: dead.netns })).stdout) as { ifname: string; addr_info: { local: string }[] }[];
    const dev = links.find((l) => l.addr_info.some((a) => a.local === dead.ip))!.ifname;
    await run(['ip', 'link', 'set', dev, 'down'], { netns: dead.netns });
    const alive = plan.nodes.filter((n) => n.nodeName !== owner);
    await waitFor(`${next} taking ${webIP} over`, async () => (await holders(webIP, alive)).join() === next, 30_000).catch(() => {});
    t.same(await holders(webIP, alive), [next], `${webIP} moved from ${owner} to the next-ranked node ${next}`);
    let reply: Reply | { error: string } = { error: 'no try' };
    await waitFor('an answer after the takeover', async () => 'pod' in (reply = await fromClient(webIP)), 20_000).catch(() => {});
    t.ok('pod' in reply, `client → ${webIP} after the takeover: ${'pod' in reply ? `answered by ${reply.pod}` : reply.error}`);
    t.same(await holders(webIP, alive), [next], 'still exactly one live holder');
  });

  t.test('externalTrafficPolicy Local: the node with the endpoint announces, and the client source is kept', async (t) => {
    const ip = await ingressIP('local');
    const live = plan.nodes.filter((n) => n.nodeName !== owner);
    const node3 = plan.nodes[2]!.nodeName;
    if (owner === node3) {
      // node3 was the one we killed: no node has a local endpoint any more, so nobody may announce.
      await new Promise((r) => setTimeout(r, 3000));
      t.same(await holders(ip, live), [], 'no live node announces an IP whose only endpoint is on a dead node');
      return;
    }
    await waitFor('node3 holding the Local IP', async () => (await holders(ip)).join() === node3, 30_000);
    t.same(await holders(ip, live), [node3], `${ip} announced by ${node3} only`);
    let reply: Reply | { error: string } = { error: 'no try' };
    await waitFor('an answer from the Local service', async () => 'pod' in (reply = await fromClient(ip)), 20_000).catch(() => {});
    t.match(reply, { pod: 'local-node3', peer: new RegExp(`^${plan.client.ip.replace(/\./g, '\\.')}:`) }, 'answered by the local pod, which saw the client\'s own address');
  });
}
