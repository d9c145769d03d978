// The NetworkPolicy truth table in a real kernel: two "nodes" (namespaces with a pod
// bridge, routing between them), nine pods x/a … z/c spread over them as in
// proxy/policy/e2e/world.ts, echo servers on every probed port. Each node's table
// hawser-policy is programmed through the enforcer API (createPolicyEnforcer with the
// kernel nft adapter), fed by watch-style updates, so steps after the first are applied
// as incremental transactions. Every ordered pod pair is probed directly (no Service:
// the service proxy is not part of this test) and must match both the expected matrix and
// the reference evaluator.
//
// Same-node pods share a bridge: their traffic reaches the ip forward hook only through
// br_netfilter (net.bridge.bridge-nf-call-iptables=1 in the node namespace).
import t from 'tap';
import {
  World, sctpMode, sctpProbe, startEchoServer, startSctpServer, tcpProbe, udpProbe, type ProbeResult,
} from './lib/index.js';
import { KernelNft } from '../src/kernel/nft/kernel.js';
import { createPolicyEnforcer, isAllowed, buildIndex, type PolicyEnforcer, type World as PolicyWorld } from '../proxy/policy/index.js';
import { EXTRA_CASES, UPSTREAM_CASES } from '../proxy/policy/e2e/cases.js';
import { ALL_PODS, Cluster, NODES, NODE_IPS, ipOf, nodeOf, pairs, type TruthCase } from '../proxy/policy/e2e/world.js';
import type { Protocol } from '../proxy/policy/types.js';

const nodeNs = (node: string) => `n${node.slice(-1)}`;
const podNs = (key: string) => key.replace('/', '');
const FAST_MS = 1000;
/** A probe expected to pass that timed out once is retried with this deadline (upstream retries for 10 s). */
const SLOW_MS = 5000;

// HAWSER_POLICY_CASES=<regexp> runs only the matching cases (debugging one case).
const only = process.env.HAWSER_POLICY_CASES ? new RegExp(process.env.HAWSER_POLICY_CASES) : undefined;
const cases: TruthCase[] = [...UPSTREAM_CASES, ...EXTRA_CASES].filter((c) => !only || only.test(c.name));
const ports = new Map<'tcp' | 'udp' | 'sctp', Set<number>>([['tcp', new Set()], ['udp', new Set()], ['sctp', new Set()]]);
// Servers listen on every port any case probes, also when only some cases run.
for (const c of [...UPSTREAM_CASES, ...EXTRA_CASES]) for (const s of c.steps) for (const p of s.probes) ports.get(p.proto.toLowerCase() as 'tcp')!.add(p.port);

const w = await World.create();
t.teardown(() => w.close());

// Nodes: the bridge, the pod gateway on it, routing and br_netfilter in the node namespace.
for (const [i, node] of NODES.entries()) {
  const ns = nodeNs(node);
  await w.addSwitch(ns);
  await w.addAddress(ns, 'br0', `10.244.${i + 1}.1/24`);
  await w.enableForwarding(ns);
  await w.sysctl(ns, 'net.bridge.bridge-nf-call-iptables', 1);
}
await w.connect('n1', 'to-n2', 'n2', 'to-n1');
await w.addAddress('n1', 'to-n2', '192.168.56.10/24');
await w.addAddress('n2', 'to-n1', '192.168.56.11/24');
await w.addRoute('n1', { dst: '10.244.2.0/24', via: '192.168.56.11' });
await w.addRoute('n2', { dst: '10.244.1.0/24', via: '192.168.56.10' });

const sctp = await sctpMode(w, 'n1');
for (const key of ALL_PODS) {
  const ns = podNs(key);
  await w.addNetns(ns);
  const gw = NODE_IPS[nodeOf(key)]![1]!;
  await w.plug(ns, nodeNs(nodeOf(key)), { addresses: [`${ipOf(key)}/24`] });
  await w.addRoute(ns, { dst: 'default', via: gw });
  await startEchoServer(w, ns, {
    name: key,
    listen: [...[...ports.get('tcp')!].map((port) => ({ proto: 'tcp' as const, port })), ...[...ports.get('udp')!].map((port) => ({ proto: 'udp' as const, port }))],
  });
  if (sctp !== 'none') await startSctpServer(w, ns, { name: key, ports: [...ports.get('sctp')!] });
}

const enforcers = new Map<string, PolicyEnforcer>(NODES.map((node) => {
  const e = createPolicyEnforcer({ backend: new KernelNft({ netns: w.ns(nodeNs(node)) }), nodeName: node, nodeIPs: NODE_IPS[node]! });
  for (const k of ['policies', 'pods', 'namespaces'] as const) e.setInitialListDone(k);
  return [node, e];
}));

/** Feeds the difference between two cluster states to an enforcer, as informers would. */
function feed(e: PolicyEnforcer, prev: PolicyWorld, next: PolicyWorld): void {
  const key = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const pairsOf = <T extends { metadata?: { namespace?: string; name?: string } }>(a: readonly T[], b: readonly T[], on: (p: T | undefined, c: T | undefined) => void) => {
    const before = new Map(a.map((o) => [key(o), o]));
    const after = new Map(b.map((o) => [key(o), o]));
    for (const [k, o] of before) if (!after.has(k)) on(o, undefined);
    for (const [k, o] of after) if (before.get(k) !== o) on(before.get(k), o);
  };
  pairsOf(prev.namespaces, next.namespaces, (p, c) => e.onNamespaceUpdate(p, c));
  pairsOf(prev.pods, next.pods, (p, c) => e.onPodUpdate(p, c));
  pairsOf(prev.policies, next.policies, (p, c) => e.onPolicyUpdate(p, c));
}

async function probeOnce(from: string, to: string, proto: Protocol, port: number, timeoutMs: number): Promise<ProbeResult> {
  if (proto === 'TCP') return tcpProbe(w, podNs(from), ipOf(to), port, { timeoutMs });
  if (proto === 'UDP') return udpProbe(w, podNs(from), ipOf(to), port, { timeoutMs });
  return sctpProbe(w, podNs(from), ipOf(to), port, { timeoutMs });
}

/** true: connected to the right pod; false: silence (our deny is a drop); otherwise a description. */
async function connects(from: string, to: string, proto: Protocol, port: number, expect: boolean): Promise<boolean | string> {
  let r = await probeOnce(from, to, proto, port, FAST_MS);
  // A raw SCTP probe is a python process per probe: on a loaded machine it can be killed
  // before it even sends (kind 'error'); that says nothing about the policy, so retry.
  if (!r.ok && ((r.kind === 'timeout' && expect) || r.kind === 'error')) r = await probeOnce(from, to, proto, port, SLOW_MS);
  if (r.ok) return r.echo?.name === to ? true : `answered by ${r.echo?.name ?? r.reply}`;
  return r.kind === 'timeout' ? false : `${r.kind}: ${r.error}`;
}

async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

let state: PolicyWorld = { policies: [], pods: [], namespaces: [] };
for (const tc of cases) {
  t.test(tc.name, async (t) => {
    const c = new Cluster();
    for (const [si, step] of tc.steps.entries()) {
      step.change(c);
      const next = c.world();
      for (const e of enforcers.values()) {
        feed(e, state, next);
        const r = await e.syncNow();
        if (r.applied) t.ok(si === 0 || !r.full, `step ${si}: ${r.full ? 'full load' : `${r.operations} incremental operations`}`);
      }
      state = next;
      const ix = buildIndex(next);
      for (const p of step.probes) {
        if (p.proto === 'SCTP' && sctp === 'none') {
          t.comment(`skip SCTP/${p.port}: no kernel SCTP and no raw SCTP here`);
          continue;
        }
        const wrong: string[] = [];
        await pool(pairs(), p.proto === 'SCTP' ? 3 : 24, async ([f, to]) => {
          const want = p.expect.get(f, to);
          const model = isAllowed(ix, { pod: f }, { pod: to }, p.proto, p.port).allowed;
          const got = await connects(f, to, p.proto, p.port, want);
          if (got !== want || model !== want) wrong.push(`${f} -> ${to}: kernel ${got}, evaluator ${model}, expected ${want}`);
        });
        t.same(wrong.sort(), [], `step ${si} ${p.proto}/${p.port}: 72 pairs agree`);
      }
    }
  });
}

t.test('counters name the policy that allowed and the pod whose isolation denied', async (t) => {
  const c = new Cluster().apply({
    metadata: { namespace: 'x', name: 'only-y' },
    spec: { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }] },
  });
  const next = c.world();
  for (const e of enforcers.values()) {
    feed(e, state, next);
    await e.syncNow();
  }
  state = next;
  t.equal(await connects('y/a', 'x/a', 'TCP', 80, true), true, 'y/a reaches x/a');
  t.equal(await connects('z/a', 'x/a', 'TCP', 80, false), false, 'z/a does not');
  const counters = await enforcers.get(nodeOf('x/a'))!.counters();
  t.ok((counters?.allowed.get('x/only-y ingress')?.packets ?? 0) >= 1, 'allow counter of x/only-y counted');
  const deny = counters?.denied.find((d) => d.pod === 'x/a' && d.direction === 'ingress');
  t.same(deny?.isolatedBy, ['x/only-y'], 'deny counter names the isolating policy');
  t.ok((deny?.packets ?? 0) >= 1, 'deny counter counted');
});
