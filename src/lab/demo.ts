// `hawser lab demo`: a short tour a person can read, on a running lab. Each step runs the
// real thing and prints its real output (the echo reply names the pod that answered and
// the source address it saw). A step whose component is not there is left out with a
// note saying which component it waits for — never simulated.
import { run } from '../kernel/exec.js';
import { sandboxNetnsName } from '../kubelet/container-spec.js';
import { ApiError, type Rest } from '../kubelet/rest.js';
import { labApi, openLab, table } from './ops.js';
import type { LabPlan } from './plan.js';
import { waitFor } from './wait.js';

export interface DemoOptions { name: string; keep: boolean; print: (s: string) => void; stateRoot?: string }

const NS = 'default';
const APP = 'hawser-demo';
const PORT = 8080;

interface Pod { metadata: { name: string; uid: string; labels?: Record<string, string>; ownerReferences?: unknown[] }; spec: { nodeName?: string }; status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] } }
interface Svc { spec: { clusterIP?: string; ports: { port: number; nodePort?: number }[] }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }

const echoContainer = { name: 'echo', image: 'hawser/echo', ports: [{ containerPort: PORT, protocol: 'TCP' }], readinessProbe: { httpGet: { path: '/healthz', port: PORT }, periodSeconds: 1 } };

/**
 * curl from a namespace; the echo reply told as a sentence, with the raw line under it.
 * `settle`: a Service just created reaches every node's proxy within a sync period or so
 * (watch → min-sync-interval → one nft transaction): retry for that long before calling
 * it a failure, and say that it took retries.
 */
async function curl(netns: string, url: string, settle = false): Promise<string> {
  const deadline = Date.now() + (settle ? 10_000 : 0);
  let tries = 0;
  for (;;) {
    tries++;
    const r = await run(['curl', '-sS', '--max-time', '3', url], { netns, allowFailure: true, timeoutMs: 10_000 });
    if (r.code !== 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 500));
      continue;
    }
    if (r.code !== 0) return `  (no answer: ${r.stderr.trim() || `curl exit ${r.code}`})`;
    const note = tries > 1 ? ` (after ${tries - 1} retr${tries > 2 ? 'ies' : 'y'} while the proxies synced)` : '';
    try {
      const j = JSON.parse(r.stdout) as { pod: string; podIP: string; node: string; local: string; peer: string };
      return `  answered by ${j.pod} (${j.podIP} on ${j.node}) at ${j.local}; it saw the client as ${j.peer}${note}\n  ${r.stdout.trim()}`;
    } catch {
      return `  ${r.stdout.trim()}${note}`;
    }
  }
}

/** Whether a component's nftables table exists on a node (any family): how the demo knows it runs. */
async function hasTable(netns: string, table: string): Promise<boolean> {
  const r = await run(['nft', 'list', 'tables'], { netns, allowFailure: true });
  return r.code === 0 && r.stdout.split('\n').some((l) => l.trim().split(/\s+/)[2] === table);
}

async function demoPods(api: Rest): Promise<Pod[]> {
  const l = await api.get<{ items: Pod[] }>(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${APP}`);
  return l.items;
}

const running = (p: Pod) => p.status?.phase === 'Running' && !!p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** A Deployment when something turns it into pods; otherwise three Pods, one per node. */
async function createEchoPods(api: Rest, plan: LabPlan, say: (s: string) => void): Promise<void> {
  const deploy = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: APP, labels: { app: APP } },
    spec: { replicas: 3, selector: { matchLabels: { app: APP } }, template: { metadata: { labels: { app: APP } }, spec: { containers: [echoContainer] } } },
  };
  try {
    await api.post(`/apis/apps/v1/namespaces/${NS}/deployments`, deploy);
    say(`created Deployment ${APP}: 3 replicas of hawser/echo, port ${PORT}`);
    const scheduled = async () => (await demoPods(api)).filter((p) => p.spec.nodeName).length >= 3;
    await waitFor('the Deployment\'s pods to be scheduled', scheduled, 15_000);
    return;
  } catch (err) {
    if (!(err instanceof ApiError) && !/timed out/.test(String(err))) throw err;
    await api.delete(`/apis/apps/v1/namespaces/${NS}/deployments/${APP}`).catch(() => {});
    for (const p of await demoPods(api)) await api.delete(`/api/v1/namespaces/${NS}/pods/${p.metadata.name}`).catch(() => {});
    say(`(no Deployment controller and scheduler answered: ${(err as Error).message.split('\n')[0]}; creating 3 Pods, one per node)`);
  }
  for (let i = 0; i < 3; i++) {
    const node = plan.nodes[i % plan.nodes.length]!;
    await api.post(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `${APP}-${i + 1}`, labels: { app: APP } },
      spec: { nodeName: node.nodeName, containers: [echoContainer] },
    });
    say(`created Pod ${APP}-${i + 1} (hawser/echo, port ${PORT}) bound to ${node.nodeName}`);
  }
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const { plan } = openLab(o.name, o.stateRoot);
  const api = labApi(plan);
  const say = o.print;
  const step = (n: number, title: string) => say(`\n── ${n}. ${title} ${'─'.repeat(Math.max(0, 60 - title.length))}`);
  const podNetns = (p: Pod) => sandboxNetnsName(plan.podNetnsPrefix, p.metadata.uid);
  const node1 = plan.nodes[0]!;
  let n = 0;
  try {
    step(++n, 'Three echo pods across the nodes');
    await createEchoPods(api, plan, say);
    await waitFor('3 Ready echo pods', async () => (await demoPods(api)).filter(running).length >= 3, 60_000);
    const pods = (await demoPods(api)).filter(running).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    say(table([['POD', 'IP', 'NODE'], ...pods.map((p) => [p.metadata.name, p.status!.podIP!, p.spec.nodeName ?? ''])]));

    step(++n, 'Pod to pod, across nodes (no NAT: the server sees the client pod\'s own IP)');
    const [a, b] = [pods[0]!, pods.find((p) => p.spec.nodeName !== pods[0]!.spec.nodeName) ?? pods[1]!];
    say(`$ hawser lab exec ${a.metadata.name} -- curl -s http://${b.status!.podIP}:${PORT}/`);
    say(await curl(podNetns(a), `http://${b.status!.podIP}:${PORT}/`));

    await api.post(`/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: APP },
      spec: { type: 'LoadBalancer', selector: { app: APP }, ports: [{ name: 'http', port: 80, targetPort: PORT, protocol: 'TCP' }] },
    });
    const svc = await api.get<Svc>(`/api/v1/namespaces/${NS}/services/${APP}`);
    const proxy = await hasTable(node1.netns, 'hawser-proxy');
    if (!svc.spec.clusterIP) {
      say(`\n(Service steps left out: no ClusterIP was allocated — the Service IP allocator is not running yet)`);
    } else if (!proxy) {
      say(`\n(Service ${APP} got ClusterIP ${svc.spec.clusterIP}; steps reaching it are left out: no service proxy (nft table hawser-proxy) on ${node1.nodeName} yet)`);
    } else {
      step(++n, `Service ${APP} (ClusterIP ${svc.spec.clusterIP}) from a pod: DNAT to one of the pods`);
      for (let i = 0; i < 3; i++) say(await curl(podNetns(a), `http://${svc.spec.clusterIP}/`, true));
      step(++n, 'The same ClusterIP from a node');
      say(await curl(node1.netns, `http://${svc.spec.clusterIP}/`, true));
      const nodePort = svc.spec.ports[0]?.nodePort;
      if (nodePort) {
        step(++n, `NodePort ${nodePort} from the external client (source NATed to the node)`);
        say(`$ hawser lab exec client -- curl -s http://${node1.ip}:${nodePort}/`);
        say(await curl(plan.client.netns, `http://${node1.ip}:${nodePort}/`, true));
      }
      await waitFor('a LoadBalancer IP', async () => !!(await api.get<Svc>(`/api/v1/namespaces/${NS}/services/${APP}`)).status?.loadBalancer?.ingress?.[0]?.ip, 5000).catch(() => {});
      const lb = (await api.get<Svc>(`/api/v1/namespaces/${NS}/services/${APP}`)).status?.loadBalancer?.ingress?.[0]?.ip;
      if (lb) {
        step(++n, `LoadBalancer ${lb} from the external client`);
        say(await curl(plan.client.netns, `http://${lb}/`, true));
      } else {
        say('\n(LoadBalancer step left out: no LoadBalancer IP was assigned)');
      }
    }

    if (await hasTable(node1.netns, 'hawser-policy')) {
      step(++n, `NetworkPolicy: only pods labelled role=friend may reach ${APP}`);
      await api.post(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${APP}-friends` },
        spec: { podSelector: { matchLabels: { app: APP } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }] }] },
      });
      await new Promise((r) => setTimeout(r, 2000));
      say(`pod ${a.metadata.name} (no role=friend) → ${b.metadata.name}: denied by the policy on ${b.spec.nodeName}`);
      say(await curl(podNetns(a), `http://${b.status!.podIP}:${PORT}/`));
      say(`$ kubectl label pod ${a.metadata.name} role=friend`);
      await api.patch(`/api/v1/namespaces/${NS}/pods/${a.metadata.name}`, { metadata: { labels: { role: 'friend' } } }, 'merge');
      await new Promise((r) => setTimeout(r, 2000));
      say(`pod ${a.metadata.name} (now role=friend) → ${b.metadata.name}: allowed, no restart needed`);
      say(await curl(podNetns(a), `http://${b.status!.podIP}:${PORT}/`, true));
    } else {
      say('\n(NetworkPolicy step left out: no policy enforcement (nft table hawser-policy) on the nodes yet)');
    }
    return 0;
  } catch (err) {
    say(`demo failed: ${(err as Error).message}`);
    return 1;
  } finally {
    if (!o.keep) {
      say(`\n(cleaning up the demo objects; --keep leaves them)`);
      await api.delete(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies/${APP}-friends`).catch(() => {});
      await api.delete(`/api/v1/namespaces/${NS}/services/${APP}`).catch(() => {});
      await api.delete(`/apis/apps/v1/namespaces/${NS}/deployments/${APP}`).catch(() => {});
      for (const p of await demoPods(api).catch(() => [])) await api.delete(`/api/v1/namespaces/${NS}/pods/${p.metadata.name}`).catch(() => {});
    }
  }
}
