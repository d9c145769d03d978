// Issue 8's acceptance: the upstream NetworkPolicy truth table in a real 3-node lab
// (apiserver with its controllers, `hawser agent` and the lab kubelet on every node).
// Namespaces x, y, z; pods a, b, c (label pod=<name>) spread over the nodes, each serving
// every probed port on TCP and UDP (hawser/echo) and SCTP (the harness's raw SCTP server
// as a second container: this kernel has no SCTP stack and hawser/echo no SCTP); one
// Service s-<ns>-<pod> per pod. Every case of proxy/policy/e2e/cases.ts becomes real
// NetworkPolicy objects and label PATCHes through the API, and every ordered pod pair is
// probed THROUGH THE SERVICE CLUSTERIP from the client pod's netns, so the backend's
// policy decides after the service proxy's DNAT — as upstream's suite does.
//
// No sync signal is awaited: as upstream, a probe whose outcome disagrees with the
// expected matrix is retried for up to 10 s (propagation: watch → agent sync → nft).
// Deny is a drop here, so an expected-deny probe costs its (short) timeout once.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { run, type RunOptions } from '../src/kernel/exec.js';
import { KernelNft } from '../src/kernel/nft/kernel.js';
import { sandboxNetnsName } from '../src/kubelet/container-spec.js';
import { ApiError, Rest } from '../src/kubelet/rest.js';
import { hasCommand } from '../src/kubelet/self.js';
import { labPaths } from '../src/lab/components.js';
import { labDown } from '../src/lab/down.js';
import { labUp } from '../src/lab/up.js';
import { waitFor } from '../src/lab/wait.js';
import type { LabPlan } from '../src/lab/plan.js';
import { LabTraffic } from './lib/lab-probe.js';
import { StaticTracer, staticAllows, type Observed } from './lib/trace-agreement.js';
import { clusterVerdict } from '../src/trace/cluster.js';
import { sctpProbe, splitHostPort, type ProbeResult, type World } from './lib/index.js';
import { TABLE, readCounters, type NetworkPolicy } from '../proxy/policy/index.js';
import { EXTRA_CASES, UPSTREAM_CASES } from '../proxy/policy/e2e/cases.js';
import {
  ALL_PODS, Cluster, NAMESPACES, makePod, pairs, usePodAddresses, type Probe, type TruthCase,
} from '../proxy/policy/e2e/world.js';
import type { Pod as ModelPod, Protocol } from '../proxy/policy/types.js';

const started = Date.now();
const name = `pl${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;
/** First try of a probe expected to connect, and of one expected to be dropped. */
const ALLOW_MS = 2000;
const DENY_MS = 1000;
/** upstream probes each pair until it matches, for up to 10 s. */
const RETRY_FOR_MS = 10_000;
const SCTP_RAW = fileURLToPath(new URL('../../netns-tests/lib/sctp-raw.py', import.meta.url));

// HAWSER_POLICY_CASES=<regexp> runs only the matching cases (debugging one case).
const only = process.env.HAWSER_POLICY_CASES ? new RegExp(process.env.HAWSER_POLICY_CASES) : undefined;
const ALL_CASES = [...UPSTREAM_CASES, ...EXTRA_CASES];
const cases: TruthCase[] = ALL_CASES.filter((c) => !only || only.test(c.name));
// Pods serve every port any case probes, also when only some cases run.
const probed = (proto: Protocol) => [...new Set(ALL_CASES.flatMap((c) => c.steps.flatMap((s) => s.probes.filter((p) => p.proto === proto).map((p) => p.port))))].sort((a, b) => a - b);
const PORTS: Record<Protocol, number[]> = { TCP: probed('TCP'), UDP: probed('UDP'), SCTP: probed('SCTP') };
/** upstream's container port names for 80/81; other probed ports get names of the same shape. */
const portName = (port: number, proto: Protocol, kind = port === 80 || port === 81 ? 'serve' : 'p') => `${kind}-${port}-${proto.toLowerCase()}`;
const declared = (proto: Protocol) => PORTS[proto].map((port) => ({ name: portName(port, proto), containerPort: port, protocol: proto }));

type ModelContainer = NonNullable<NonNullable<ModelPod['spec']>['containers']>[number];

interface Pod { metadata: { name: string; namespace: string; uid: string }; spec: { nodeName?: string }; status?: { phase?: string; podIP?: string } }

/** The probe helpers take a World; LabTraffic stands in for it, plus the exec() sctpProbe needs. */
class PolicyLabTraffic extends LabTraffic {
  exec(ns: string, argv: string[], opts: Omit<RunOptions, 'netns'> = {}) {
    return run(argv, { ...opts, netns: this.ns(ns) });
  }
}

if (!hasCommand('apiserver')) {
  t.plan(0, 'hawser apiserver is not built');
} else {
  let plan: LabPlan;
  let api: Rest;
  let traffic: PolicyLabTraffic;
  let tracer: StaticTracer;
  const netnsOf = new Map<string, string>();
  const podIP = new Map<string, string>();
  const clusterIP = new Map<string, string>();

  t.teardown(async () => {
    traffic?.close();
    await labDown({ name });
    if (tracer) t.comment(`tracer agreement: ${tracer.counts.compared} probes compared with the static trace, ${tracer.counts.disagreed} disagreed`);
    t.comment(`${sent.checks} pair checks, ${sent.probes} probes; wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const [nsOf, podOf] = [(key: string) => key.split('/')[0]!, (key: string) => key.split('/')[1]!];

  /** Reported at the end: pair checks, and probes sent (retries included). */
  const sent = { checks: 0, probes: 0 };

  async function probeOnce(from: string, to: string, proto: Protocol, port: number, timeoutMs: number): Promise<ProbeResult> {
    sent.probes++;
    const ns = netnsOf.get(from)!;
    const ip = clusterIP.get(to)!;
    if (proto === 'TCP') return traffic.tcp(ns, ip, port, { timeoutMs });
    if (proto === 'UDP') return traffic.udp(ns, ip, port, { timeoutMs });
    return sctpProbe(traffic as unknown as World, ns, ip, port, { timeoutMs });
  }

  /** true: the right pod answered (its address is where the DNAT'd packet arrived); false: silence; else what happened. */
  async function connects(from: string, to: string, proto: Protocol, port: number, expect: boolean): Promise<boolean | string> {
    const deadline = Date.now() + RETRY_FOR_MS;
    sent.checks++;
    for (;;) {
      const r = await probeOnce(from, to, proto, port, expect ? ALLOW_MS : DENY_MS);
      const got = r.ok
        ? (splitHostPort(r.echo?.local ?? '').ip === podIP.get(to) ? true : `answered by ${r.echo?.local ?? r.reply}`)
        : (r.kind === 'timeout' ? false : `${r.kind}: ${r.error}`);
      if (got === expect || Date.now() >= deadline) return got;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
    let i = 0;
    await Promise.all(Array.from({ length: limit }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }));
  }

  /** Every ordered pair but the diagonal through the ClusterIP; the pairs that disagree. */
  async function mismatches(p: Probe): Promise<string[]> {
    const wrong: string[] = [];
    const seen = new Map<string, boolean | string>();
    // An SCTP probe is three processes (python raw sockets): fewer at once on 2 cores.
    await pool(pairs(), p.proto === 'SCTP' ? 6 : 24, async ([f, to]) => {
      const want = p.expect.get(f, to);
      const got = await connects(f, to, p.proto, p.port, want);
      seen.set(`${f}|${to}`, got);
      if (got !== want) wrong.push(`${f} -> ${to}: got ${got}, expected ${want}`);
    });
    // Issue 9's agreement: the static tracer over the same live state must predict what
    // every one of these probes saw (the state settled: the probes matched or timed out).
    await tracer.refresh();
    for (const [f, to] of pairs()) {
      const got = seen.get(`${f}|${to}`)!;
      const observed: Observed = got === true ? { delivered: podIP.get(to)! } : got === false ? 'DROP' : /^refused/.test(got) ? 'REJECT' : { other: got };
      const target = { ip: clusterIP.get(to)!, port: p.port, proto: p.proto.toLowerCase() as 'tcp' };
      const src = { kind: 'podKey' as const, namespace: nsOf(f), name: podOf(f) };
      const trace = tracer.trace(src, target);
      const verdict = clusterVerdict(trace);
      const bad = tracer.compare(`tracer disagrees on ${p.proto}/${p.port} ${f} -> ${to}: kernel ${JSON.stringify(observed)}, tracer ${JSON.stringify(verdict)}`,
        staticAllows(verdict, observed), trace);
      if (bad) wrong.push(bad);
    }
    return wrong.sort();
  }

  // What the API holds, as the test last wrote it: each step writes only the difference.
  const applied = new Map<string, string>();
  const nsLabels = new Map<string, Record<string, string>>();
  const podLabels = new Map<string, Record<string, string>>();
  /** The model containers each lab pod was created from. */
  const deployed = new Map<string, string>();
  const NP = (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`;

  /** A label merge patch: new values, and null for every key to drop. */
  const labelPatch = (from: Record<string, string>, to: Record<string, string>) =>
    ({ metadata: { labels: { ...Object.fromEntries(Object.keys(from).filter((k) => !(k in to)).map((k) => [k, null])), ...to } } });

  async function reconcile(c: Cluster): Promise<void> {
    for (const [key, pod] of c.pods) {
      const model = pod.spec!.containers!;
      if (deployed.get(key) !== JSON.stringify(model)) await recreatePod(key, model);
    }
    const want = new Map<string, NetworkPolicy>([...c.policies.values()].map((p) => [`${p.metadata!.namespace}/${p.metadata!.name}`, p]));
    for (const [key] of applied) {
      if (want.has(key)) continue;
      await api.delete(`${NP(nsOf(key))}/${podOf(key)}`);
      applied.delete(key);
    }
    for (const [key, p] of want) {
      const spec = JSON.stringify(p.spec);
      if (applied.get(key) === spec) continue;
      const body = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: nsOf(key), name: podOf(key) }, spec: p.spec };
      if (applied.has(key)) {
        // An update, as upstream's UpdatePolicy: same object, new spec.
        const cur = await api.get<{ metadata: { resourceVersion: string } }>(`${NP(nsOf(key))}/${podOf(key)}`);
        await api.put(`${NP(nsOf(key))}/${podOf(key)}`, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
      } else {
        await api.post(NP(nsOf(key)), body);
      }
      applied.set(key, spec);
    }
    for (const [ns, n] of c.namespaces) {
      const to = n.metadata!.labels!;
      if (JSON.stringify(nsLabels.get(ns)) === JSON.stringify(to)) continue;
      await api.patch(`/api/v1/namespaces/${ns}`, labelPatch(nsLabels.get(ns)!, to), 'merge');
      nsLabels.set(ns, to);
    }
    for (const [key, pod] of c.pods) {
      const to = pod.metadata!.labels!;
      if (JSON.stringify(podLabels.get(key)) === JSON.stringify(to)) continue;
      await api.patch(`/api/v1/namespaces/${nsOf(key)}/pods/${podOf(key)}`, labelPatch(podLabels.get(key)!, to), 'merge');
      podLabels.set(key, to);
    }
  }

  /**
   * The lab pod's ports: every probed port on each protocol, named as the model pod names
   * them (a model name on another port moves there; the port it leaves keeps a p- name).
   */
  function labPorts(model: ModelContainer[]) {
    let ports = (['TCP', 'UDP', 'SCTP'] as const).flatMap(declared);
    for (const mp of model.flatMap((c) => c.ports ?? [])) {
      const proto = mp.protocol ?? 'TCP';
      if (!mp.name) continue;
      ports = ports.map((p) => (p.name === mp.name && p.containerPort !== mp.containerPort ? { ...p, name: portName(p.containerPort, p.protocol, 'p') } : p))
        .map((p) => (p.containerPort === mp.containerPort && p.protocol === proto ? { ...p, name: mp.name! } : p));
    }
    return ports;
  }

  /** Pods on the nodes in turn, so every case has same-node and cross-node pairs. */
  async function createPod(key: string, model: ModelContainer[]): Promise<void> {
    const [ns, pod] = [nsOf(key), podOf(key)];
    const ports = labPorts(model);
    const sctp = { name: 'sctp', image: 'hawser/sctp-raw', command: ['python3', SCTP_RAW, 'server', JSON.stringify({ name: key, ports: PORTS.SCTP })], ports: ports.filter((p) => p.protocol === 'SCTP') };
    await api.post(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels: podLabels.get(key) ?? { pod } },
      spec: {
        nodeName: plan.nodes[ALL_PODS.indexOf(key) % plan.nodes.length]!.nodeName, terminationGracePeriodSeconds: 1,
        containers: [{ name: 'echo', image: 'hawser/echo', ports: ports.filter((p) => p.protocol !== 'SCTP') }, sctp],
      },
    });
    podLabels.set(key, podLabels.get(key) ?? { pod });
    deployed.set(key, JSON.stringify(model));
  }

  async function waitRunning(keys: string[]): Promise<void> {
    await waitFor(`${keys.join(' ')} Running with IPs`, async () => {
      const all = await Promise.all(NAMESPACES.map((ns) => api.get<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods`)));
      const running = all.flatMap((l) => l.items).filter((p) => p.status?.phase === 'Running' && p.status.podIP && keys.includes(`${p.metadata.namespace}/${p.metadata.name}`));
      for (const p of running) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`;
        podIP.set(key, p.status!.podIP!);
        netnsOf.set(key, sandboxNetnsName(plan.podNetnsPrefix, p.metadata.uid));
      }
      return running.length === keys.length;
    }, 120_000);
  }

  /** Container ports cannot be updated on a running pod: the pod is replaced (new UID, new IP). */
  async function recreatePod(key: string, model: ModelContainer[]): Promise<void> {
    const path = `/api/v1/namespaces/${nsOf(key)}/pods/${podOf(key)}`;
    await api.delete(path);
    await waitFor(`${key} to go`, () => api.get(path).then(() => false, (e: unknown) => e instanceof ApiError && e.status === 404), 60_000);
    await createPod(key, model);
    await waitRunning([key]);
  }

  t.test('lab up, namespaces x y z, pods a b c across 3 nodes, one Service each', async (t) => {
    const r = await labUp({ name, nodes: 3, progress: (m) => t.comment(m) });
    plan = r.plan;
    api = Rest.fromFile(labPaths(plan).hostKubeconfig);
    traffic = new PolicyLabTraffic(plan.prefix);
    tracer = new StaticTracer(plan, api);
    for (const ns of NAMESPACES) {
      await api.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const got = await api.get<{ metadata: { labels?: Record<string, string> } }>(`/api/v1/namespaces/${ns}`);
      t.equal(got.metadata.labels?.['kubernetes.io/metadata.name'], ns, `namespace ${ns} carries the automatic name label`);
      nsLabels.set(ns, got.metadata.labels ?? {});
    }
    for (const key of ALL_PODS) {
      const [ns, pod] = [nsOf(key), podOf(key)];
      await createPod(key, makePod(ns, pod).spec!.containers!);
      await api.post(`/api/v1/namespaces/${ns}/services`, {
        apiVersion: 'v1', kind: 'Service', metadata: { name: `s-${ns}-${pod}` },
        spec: {
          selector: { pod },
          ports: (['TCP', 'UDP', 'SCTP'] as const).flatMap((proto) => PORTS[proto].map((port) => ({ name: `${proto.toLowerCase()}-${port}`, port, targetPort: port, protocol: proto }))),
        },
      });
    }
    await waitRunning(ALL_PODS);
    for (const key of ALL_PODS) {
      const s = await api.get<{ spec: { clusterIP?: string } }>(`/api/v1/namespaces/${nsOf(key)}/services/s-${key.replace('/', '-')}`);
      t.ok(s.spec.clusterIP, `s-${key.replace('/', '-')} has ClusterIP ${s.spec.clusterIP}`);
      clusterIP.set(key, s.spec.clusterIP!);
    }
    t.same([...new Set(ALL_PODS.map((k) => podIP.get(k)))].length, 9, 'nine distinct pod IPs');
    // ipBlock cases name pod addresses: the lab's IPAM chose them.
    usePodAddresses(podIP);
    t.comment(ALL_PODS.map((k) => `${k} ${podIP.get(k)} via ${clusterIP.get(k)}`).join(', '));
  });

  for (const tc of cases) {
    t.test(tc.name, async (t) => {
      const c = new Cluster();
      for (const [si, step] of tc.steps.entries()) {
        step.change(c);
        await reconcile(c);
        for (const p of step.probes) t.same(await mismatches(p), [], `step ${si} ${p.proto}/${p.port}: 72 pairs through the ClusterIPs`);
      }
    });
  }

  t.test('the deny counter of the isolated pod counts the denied probes', async (t) => {
    const c = new Cluster().apply({
      metadata: { namespace: 'x', name: 'only-y' },
      spec: { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }] },
    });
    await reconcile(c);
    t.equal(await connects('y/a', 'x/a', 'TCP', 80, true), true, 'y/a reaches x/a');
    t.equal(await connects('z/a', 'x/a', 'TCP', 80, false), false, 'z/a does not');
    const node = plan.nodes[ALL_PODS.indexOf('x/a') % plan.nodes.length]!;
    const listed = await new KernelNft({ netns: node.netns }).listTable('ip', TABLE);
    const deny = listed && readCounters(listed).denied.find((d) => d.pod === 'x/a' && d.direction === 'ingress');
    t.same(deny && deny.isolatedBy, ['x/only-y'], `deny counter on ${node.nodeName} names the isolating policy`);
    t.ok((deny ? deny.packets : 0) >= 1, 'deny counter counted');
  });

  t.test('issue 9: the static tracer agreed with every probe of the truth table', async (t) => {
    t.equal(tracer.counts.disagreed, 0, `${tracer.counts.compared} probes compared, ${tracer.counts.disagreed} disagreed`);
    if (!only) t.ok(tracer.counts.compared >= 1000, `at least 1,000 probes compared (${tracer.counts.compared})`);
  });
}
