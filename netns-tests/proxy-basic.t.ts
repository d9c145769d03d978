// The service proxy in a real kernel, and the tracer's agreement with it. One "node"
// namespace holds the pod bridge (10.244.0.1/24) and a link to an external client
// (192.168.56.2); pods c, c2 (clients), p1, p2 (backends) hang off the bridge. The proxier
// (createProxier + the kernel nft adapter) programs table hawser-proxy in the node
// namespace from V1 objects; then real TCP/UDP probes must do what the tracer, walking the
// applied rule text, predicts: which endpoint(s) can answer, whether the source was
// masqueraded, or REJECT (refused) / DROP (timeout).
//
// br_netfilter is on in the node namespace: a DNATed reply between two pods on the same
// bridge must pass the node's conntrack to be un-NATed (why kube-proxy requires it too).
import t from 'tap';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { World, sctpMode, sctpProbe, startEchoServer, startSctpServer, tcpProbe, udpProbe, splitHostPort, type ProbeResult } from './lib/index.js';
import { KernelNft } from '../src/kernel/nft/kernel.js';
import { deleteConntrackFlows } from '../src/kernel/conntrack.js';
import { createProxier, planFull, type ConntrackFilter, type Proxier } from '../proxy/index.js';
import { FakeNft } from '../src/kernel/nft/fake.js';
import { normalisedDump } from '../src/kernel/nft/dump.js';
import type { Ruleset } from '../src/kernel/nft/types.js';
import { slice, svc } from '../proxy/fixtures.js';
import { trace, verdictOf, type Entry, type Verdict } from '../src/trace/index.js';

const NODE_IP = '192.168.56.10';
const GW = '10.244.0.1';
const X = '192.168.56.2';
/** A second address on the external client, outside the LB's source range. */
const X_OUT = '192.168.56.50';
const LB_IP = '192.168.56.200';
const PODS: Record<string, string> = { c: '10.244.0.7', c2: '10.244.0.8', p1: '10.244.0.5', p2: '10.244.0.6' };
const local = (ip: string) => ({ ip, node: 'node-a' });

const w = await World.create();
t.teardown(() => w.close());

await w.addSwitch('n');
await w.addAddress('n', 'br0', `${GW}/24`);
await w.enableForwarding('n');
await w.sysctl('n', 'net.bridge.bridge-nf-call-iptables', 1);
await w.addNetns('x');
await w.connect('n', 'to-x', 'x', 'to-n');
await w.addAddress('n', 'to-x', `${NODE_IP}/24`);
await w.addAddress('x', 'to-n', `${X}/24`);
await w.addRoute('x', { dst: '10.96.0.0/16', via: NODE_IP });
// Like a real node, this one has a default route (to the external router x, which does not
// forward): VIP traffic must reach the forward hook, not die as "network unreachable".
await w.addRoute('n', { dst: 'default', via: X });
await w.addRoute('x', { dst: '10.244.0.0/16', via: NODE_IP });
await w.addRoute('x', { dst: `${LB_IP}/32`, via: NODE_IP });
await w.addAddress('x', 'to-n', `${X_OUT}/24`);
for (const [name, ip] of Object.entries(PODS)) {
  await w.addNetns(name);
  await w.plug(name, 'n', { addresses: [`${ip}/24`] });
  await w.addRoute(name, { dst: 'default', via: GW });
}
// Hairpin mode on the bridge ports (the CNI plugin's job): with br_netfilter the DNAT happens
// while the frame is being bridged, so a pod reaching itself through its Service needs the
// frame sent back out of the port it came in on.
for (const name of Object.keys(PODS)) await w.exec('n', ['ip', 'link', 'set', name, 'type', 'bridge_slave', 'hairpin', 'on']);
// Extra source addresses on client c, so hash-based choices are checked for many clients.
const EXTRA_SRC = Array.from({ length: 10 }, (_, i) => `10.244.0.${100 + i}`);
for (const a of EXTRA_SRC) await w.addAddress('c', 'eth0', `${a}/32`);
for (const p of ['p1', 'p2']) {
  await startEchoServer(w, p, { name: p, listen: [{ proto: 'tcp', port: 8080 }, { proto: 'udp', port: 5353 }] });
}
// SCTP: a kernel stack, or raw INIT/INIT-ACK (this machine has no CONFIG_IP_SCTP; see lib/README.md).
const SCTP = await sctpMode(w, 'c');
if (SCTP !== 'none') for (const p of ['p1', 'p2']) await startSctpServer(w, p, { name: p, ports: [9999] });

const services: V1Service[] = [
  svc('web', { clusterIP: '10.96.0.10' }),
  svc('np', { clusterIP: '10.96.0.20', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
  svc('dns', { clusterIP: '10.96.0.30', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  svc('empty', { clusterIP: '10.96.0.40' }),
  svc('loc', { clusterIP: '10.96.0.45', type: 'NodePort', etp: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30090 }] }),
  svc('sh', { clusterIP: '10.96.0.50', scheduler: 'sourcehash' }),
  svc('mg', { clusterIP: '10.96.0.55', scheduler: 'maglev' }),
  svc('aff', { clusterIP: '10.96.0.60', affinity: 30 }),
  svc('sctp', { clusterIP: '10.96.0.95', ports: [{ name: 'x', port: 9, protocol: 'SCTP' }] }),
  svc('lb', { clusterIP: '10.96.0.65', type: 'LoadBalancer', lbIPs: [LB_IP], sourceRanges: ['192.168.56.0/30'], ports: [{ name: 'http', port: 80, nodePort: 30100 }] }),
];
const both = [local(PODS.p1!), local(PODS.p2!)];
let slices: V1EndpointSlice[] = [
  slice('web', both),
  slice('np', both),
  slice('dns', both, [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
  // p2 claims to run on another node: under externalTrafficPolicy Local only p1 serves.
  slice('loc', [local(PODS.p1!), { ip: PODS.p2!, node: 'node-b' }]),
  slice('sh', both),
  slice('mg', both),
  slice('aff', both),
  slice('lb', both),
  slice('sctp', both, [{ name: 'x', port: 9999, protocol: 'SCTP' }]),
];

const nft = new KernelNft({ netns: w.ns('n') });
// The conntrack side of the cleanup: the agent's own adapter (`conntrack -D` in the node
// namespace), recording what the proxier asked for.
const deleted: ConntrackFilter[] = [];
async function deleteFlows(filters: ConntrackFilter[]): Promise<void> {
  await deleteConntrackFlows(filters, w.ns('n'));
  deleted.push(...filters);
}
const newProxier = (): Proxier => {
  const p = createProxier({
    backend: nft, nodeName: 'node-a', family: 'IPv4', nodeIPs: [NODE_IP],
    clusterCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'], minSyncIntervalMs: 10,
    conntrack: { deleteFlows: (filters) => deleteFlows(filters) },
  });
  t.teardown(() => p.stop());
  return p;
};
let proxier = newProxier();
for (const s of services) proxier.onServiceUpdate(undefined, s);
for (const s of slices) proxier.onEndpointSliceUpdate(undefined, s);
proxier.setInitialListDone('Service');
proxier.setInitialListDone('EndpointSlice');
proxier.setInitialListDone('Node');

const ENV = { localAddresses: [NODE_IP, GW] };
const nameOf = (ip: string): string => Object.entries(PODS).find(([, v]) => v === ip)?.[0] ?? ip;

/** The ruleset predictions walk: what the running proxier applied (during a restart, the old one's). */
let predictFrom = (): Ruleset => proxier.lastAppliedRuleset()!;
function predict(from: Entry, src: string, dst: string, port: number, proto: 'tcp' | 'udp' | 'sctp'): Verdict {
  return verdictOf(trace(predictFrom(), { from, src, dst, proto, dport: port }, ENV));
}

/**
 * The kernel's table equals a from-scratch load of what the proxier last applied (compared
 * as normalised dumps, through the fake): every partial transaction left the kernel exactly
 * where a full one would. Flushed stale chains (deleted later) and the packet-filled
 * affinity entries are the only allowed differences.
 */
interface Asserts { ok(v: unknown, m: string): unknown; equal(a: unknown, b: unknown, m: string): unknown }
async function kernelMatches(tt: Asserts, p: Proxier, what: string): Promise<void> {
  const listed = (await nft.listTable('ip', 'hawser-proxy'))!;
  const want = p.lastAppliedRuleset()!;
  const names = new Set(want.chains.map((c) => c.name));
  const extra = listed.chains.filter((c) => !names.has(c.name));
  tt.ok(extra.every((c) => c.rules.length === 0), `${what}: besides the wanted chains only flushed stale ones (${extra.length})`);
  const kernel = normalisedDump({
    ...listed,
    chains: listed.chains.filter((c) => names.has(c.name)),
    sets: listed.sets.map((x) => (x.flags?.includes('dynamic') ? { ...x, elements: [] } : x)),
  });
  const fake = new FakeNft();
  fake.applySync(planFull(undefined, want, new Map(), 0, 1000).tx);
  tt.equal(kernel, fake.dumpSync('ip', 'hawser-proxy'), `${what}: kernel table = from-scratch load of the applied Ruleset`);
}

// Everything below runs inside one subtest: tap ends a file whose top level has no subtest
// in flight, and the teardown would remove the namespaces under the remaining steps.
let cur: Tap = t;
type Tap = typeof t;

/** Probe `times` times; every outcome must be one the tracer allows, with its masquerade. */
async function agree(name: string, ns: string, from: Entry, src: string, dst: string, port: number, proto: 'tcp' | 'udp' | 'sctp', times = 1, bindAddress?: string): Promise<Set<string>> {
  const v = predict(from, src, dst, port, proto);
  const seen = new Set<string>();
  await cur.test(name, async (tt) => {
    for (let i = 0; i < times; i++) {
      const o = { timeoutMs: 1500, ...(bindAddress ? { bindAddress } : {}) };
      const r: ProbeResult = proto === 'tcp' ? await tcpProbe(w, ns, dst, port, o)
        : proto === 'udp' ? await udpProbe(w, ns, dst, port, o)
          : await sctpProbe(w, ns, dst, port, o);
      if (v === 'REJECT' || v === 'DROP') {
        // A TCP reset on connect and an ICMP port unreachable both mean "refused" to a client.
        const kind = r.ok ? 'answered' : r.kind === 'reset' ? 'refused' : r.kind;
        tt.equal(kind, v === 'REJECT' ? 'refused' : 'timeout', `${v} predicted${r.ok ? '' : ` (${r.error})`}`);
        continue;
      }
      if (!r.ok || !r.echo) { tt.fail(`no answer (${r.ok ? 'not an echo' : r.kind}), predicted ${JSON.stringify(v)}`); continue; }
      // A wildcard-bound UDP server reports its local address as `::`: its name says which pod.
      const reported = splitHostPort(r.echo.local);
      const at = reported.ip === '::' || reported.ip === '0.0.0.0' ? { ip: PODS[r.echo.name]!, port: reported.port } : reported;
      const peer = splitHostPort(r.echo.peer).ip;
      const ep = v.endpoints.find((e) => e.ip === at.ip && e.port === at.port);
      tt.ok(ep, `answered by ${nameOf(at.ip)} ${r.echo.local}, predicted ${v.endpoints.map((e) => `${nameOf(e.ip)}:${e.port}`).join(' | ')}`);
      if (ep) {
        // Masquerade rewrites the source to the node's address on the way to the endpoint.
        if (ep.masquerade) tt.not(peer, src, `masqueraded as predicted (server saw ${peer})`);
        else tt.equal(peer, src, 'source kept as predicted');
      }
      seen.add(nameOf(at.ip));
    }
  });
  return seen;
}

await t.test('service proxy in a real kernel agrees with the tracer', async (tt) => {
  cur = tt as unknown as Tap;
  const t = tt;
  const first = await proxier.syncNow();
  t.ok(first && first.full && first.ops > 0, 'the first sync is a full one and programs the table');
  await kernelMatches(t, proxier, 'after the first sync');
  const webSeen = await agree('pod → ClusterIP: both endpoints, source kept', 'c', 'pod', PODS.c!, '10.96.0.10', 80, 'tcp', 16);
  t.same([...webSeen].sort(), ['p1', 'p2'], 'random choice reached both endpoints');
  await agree('pod → ClusterIP over UDP', 'c', 'pod', PODS.c!, '10.96.0.30', 53, 'udp', 4);
  await agree('external → ClusterIP (routed in): masqueraded', 'x', 'external', X, '10.96.0.10', 80, 'tcp', 4);
  await agree('external → NodePort (Cluster): masqueraded', 'x', 'external', X, NODE_IP, 30080, 'tcp', 4);
  await agree('pod → NodePort (Cluster): masqueraded', 'c', 'pod', PODS.c!, NODE_IP, 30080, 'tcp', 4);
  await agree('external → NodePort (Local): source kept, local endpoint only', 'x', 'external', X, NODE_IP, 30090, 'tcp', 6);
  await agree('pod → NodePort (Local): short-circuit to every endpoint, source kept', 'c', 'pod', PODS.c!, NODE_IP, 30090, 'tcp', 8);
  await agree('node → own NodePort: masqueraded', 'n', 'node', NODE_IP, NODE_IP, 30080, 'tcp', 4);
  await agree('allowed source → LB IP', 'x', 'external', X, LB_IP, 80, 'tcp', 4);
  await agree('source outside loadBalancerSourceRanges → dropped', 'x', 'external', X_OUT, LB_IP, 80, 'tcp', 1, X_OUT);
  await agree('hairpin: p1 through its own Service', 'p1', 'pod', PODS.p1!, '10.96.0.10', 80, 'tcp', 12);
  if (SCTP !== 'none') {
    const sctpSeen = await agree(`SCTP ClusterIP (${SCTP} SCTP)`, 'c', 'pod', PODS.c!, '10.96.0.95', 9, 'sctp', 10);
    t.same([...sctpSeen].sort(), ['p1', 'p2'], 'SCTP reached both endpoints');
    await agree('SCTP to an unknown ClusterIP port → refused', 'c', 'pod', PODS.c!, '10.96.0.95', 10, 'sctp');
  } else {
    t.comment('SCTP: no kernel stack and no raw SCTP here; skipped');
  }
  await agree('no endpoints → refused', 'c', 'pod', PODS.c!, '10.96.0.40', 80, 'tcp');
  await agree('unknown ClusterIP port → refused', 'c', 'pod', PODS.c!, '10.96.0.10', 81, 'tcp');
  await agree('unknown ClusterIP protocol → refused', 'c', 'pod', PODS.c!, '10.96.0.10', 80, 'udp');
  await agree('unallocated service IP → dropped', 'c', 'pod', PODS.c!, '10.96.0.99', 80, 'tcp');
  await agree('sourcehash: the jhash slot the tracer computes is the endpoint the kernel picks (c)', 'c', 'pod', PODS.c!, '10.96.0.50', 80, 'tcp', 4);
  await agree('sourcehash (c2)', 'c2', 'pod', PODS.c2!, '10.96.0.50', 80, 'tcp', 4);
  await agree('sourcehash (external client)', 'x', 'external', X, '10.96.0.50', 80, 'tcp', 4);
  for (const [ns, from, src] of [['c', 'pod', PODS.c!], ['c2', 'pod', PODS.c2!], ['x', 'external', X]] as const) {
    await agree(`maglev: the lookup-table slot the tracer computes is the endpoint the kernel picks (${ns})`, ns, from, src, '10.96.0.55', 80, 'tcp', 3);
  }
  const hashed = new Map<string, Set<string>>([['10.96.0.50', new Set()], ['10.96.0.55', new Set()]]);
  for (const src of EXTRA_SRC) {
    for (const vip of hashed.keys()) {
      const seen = await agree(`${vip === '10.96.0.50' ? 'sourcehash' : 'maglev'} from ${src}`, 'c', 'pod', src, vip, 80, 'tcp', 2, src);
      for (const x of seen) hashed.get(vip)!.add(x);
    }
  }
  for (const [vip, seen] of hashed) t.same([...seen].sort(), ['p1', 'p2'], `${vip}: clients spread over both endpoints`);
  // ClientIP affinity: the tracer allows either endpoint for a new client; once the kernel
  // has chosen, the affinity set (read back from the kernel) pins the client to it.
  const firstAff = await agree('affinity: the first connection may go to either endpoint', 'c', 'pod', PODS.c!, '10.96.0.60', 80, 'tcp', 1);
  await t.test('affinity: later connections stick to the first endpoint, as the tracer predicts from the kernel\'s set', async (tt) => {
    const listed = await nft.listTable('ip', 'hawser-proxy');
    const dynamicSets: Record<string, string[]> = {};
    for (const set of listed!.sets.filter((x) => x.name.startsWith('aff-') && x.name.includes('/aff/'))) dynamicSets[set.name] = set.elements.map((e) => e.key.join(' . '));
    tt.equal(Object.values(dynamicSets).flat().length, 1, 'the kernel recorded the client in one affinity set');
    const v = verdictOf(trace(proxier.lastAppliedRuleset()!, { from: 'pod', src: PODS.c!, dst: '10.96.0.60', proto: 'tcp', dport: 80 }, { ...ENV, dynamicSets }));
    tt.same(typeof v === 'string' ? v : v.endpoints.map((e) => nameOf(e.ip)), [...firstAff], 'tracer: pinned to the first endpoint');
    for (let i = 0; i < 8; i++) {
      const r = await tcpProbe(w, 'c', '10.96.0.60', 80, { timeoutMs: 1500 });
      tt.equal(r.ok && r.echo ? r.echo.name : 'no answer', [...firstAff][0], 'kernel: same endpoint');
    }
  });

  // An endpoint goes away: the change is a partial sync, and traffic follows.
  const before = slices[0]!;
  slices = [slice('web', [local(PODS.p1!)]), ...slices.slice(1)];
  proxier.onEndpointSliceUpdate(before, slices[0]);
  const partial = await proxier.syncNow().catch((e: unknown) => { t.error(e, 'partial sync'); return undefined; });
  t.ok(partial && !partial.full && partial.ops > 0 && partial.ops < 20, `one endpoint change is a small partial transaction (${partial?.ops} ops)`);
  await kernelMatches(t, proxier, 'after a partial sync');
  const after = await agree('after removing p2 only p1 answers', 'c', 'pod', PODS.c!, '10.96.0.10', 80, 'tcp', 6);
  t.same([...after], ['p1'], 'traffic follows the endpoint change');

  // The Service goes away: its ClusterIP becomes unallocated.
  proxier.onServiceUpdate(services[0], undefined);
  await proxier.syncNow().catch((e: unknown) => t.error(e, 'sync after delete'));
  await agree('deleted Service: its IP is dropped', 'c', 'pod', PODS.c!, '10.96.0.10', 80, 'tcp');
  await kernelMatches(t, proxier, 'after deleting a Service');

  // Agent restart: the new proxier programs nothing until every initial list is complete —
  // the old rules keep serving — then replaces the table in one full transaction.
  await proxier.stop();
  const oldRuleset = proxier.lastAppliedRuleset()!;
  predictFrom = () => oldRuleset;
  const oldDump = await nft.dump('ip', 'hawser-proxy');
  proxier = newProxier();
  const restarted = [svc('web2', { clusterIP: '10.96.0.11' }), ...services.slice(1)];
  for (const x of restarted) proxier.onServiceUpdate(undefined, x);
  for (const x of [slice('web2', both), ...slices]) proxier.onEndpointSliceUpdate(undefined, x);
  proxier.setInitialListDone('Service');
  proxier.setInitialListDone('Node');
  t.equal(await proxier.syncNow(), undefined, 'no sync before the EndpointSlice list is complete');
  t.equal(await nft.dump('ip', 'hawser-proxy'), oldDump, 'the old rules are untouched meanwhile');
  await agree('old rules keep serving during the restart', 'c', 'pod', PODS.c!, NODE_IP, 30080, 'tcp', 2);
  proxier.setInitialListDone('EndpointSlice');
  const full = await proxier.syncNow();
  t.ok(full?.full, 'the first sync after a restart is full');
  predictFrom = () => proxier.lastAppliedRuleset()!;
  await kernelMatches(t, proxier, 'after the restart');
  await agree('a Service added while the agent was down works', 'c', 'pod', PODS.c!, '10.96.0.11', 80, 'tcp', 4);

  // UDP has no end of connection: a client sending from one port keeps its conntrack entry,
  // and with it the old DNAT. When its endpoint goes, the entry must go too.
  await t.test('a UDP client follows the endpoint change (stale conntrack entries removed)', async (tt) => {
    const send = () => udpProbe(w, 'c', '10.96.0.30', 53, { timeoutMs: 1500, bindPort: 41053 });
    const r1 = await send();
    const firstName = r1.ok && r1.echo ? r1.echo.name : 'none';
    tt.ok(firstName === 'p1' || firstName === 'p2', `first datagram answered by ${firstName}`);
    const list = await w.exec('n', ['conntrack', '-L', '-p', 'udp', '--orig-dst', '10.96.0.30', '--orig-port-src', '41053'], { allowFailure: true });
    tt.match(list.stdout, PODS[firstName] ?? 'none', 'the kernel holds a flow DNATed to it');
    const other = firstName === 'p1' ? 'p2' : 'p1';
    const dnsBefore = slices.find((x) => x.metadata!.name === 'dns-abc')!;
    const dnsAfter = slice('dns', [local(PODS[other]!)], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
    slices = slices.map((x) => (x === dnsBefore ? dnsAfter : x));
    proxier.onEndpointSliceUpdate(dnsBefore, dnsAfter);
    deleted.length = 0;
    await proxier.syncNow();
    tt.same(deleted, [{ proto: 'udp', origDst: '10.96.0.30', origDport: 53, dstNat: PODS[firstName] }], 'the sync asked to delete flows DNATed to the removed endpoint');
    for (let i = 0; i < 3; i++) {
      const r = await send();
      tt.equal(r.ok && r.echo ? r.echo.name : 'none', other, 'the same client socket now reaches the remaining endpoint');
    }
  });
});
