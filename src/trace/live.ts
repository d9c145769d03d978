// `hawser trace --live`: one real probe from a source namespace, with nftrace on for that
// flow only, and what the kernel did with it on every node — the `nft monitor trace`
// events as hops, and the conntrack entries (whose reply tuple names the real endpoint
// after DNAT). The kernel work is behind LiveDeps (src/kernel/nft-monitor.ts provides
// `kernelLiveDeps`); everything here but the orchestration is pure.
import type { ConntrackEntry, ConntrackListFilter } from '../kernel/conntrack.js';
import {
  TRACE_TABLE,
  type BaseChain, type NftTraceEvent, type ProbeKind, type ProbeOutcome, type ProbeSpec, type TraceFamily, type TraceFlow,
  type TraceMonitor, type TracePacket, type TraceTableRole,
} from '../kernel/nft-monitor.js';

export interface LiveSpec {
  source: { netns: string };
  dst: string;
  dport: number;
  proto: 'tcp' | 'udp' | 'sctp';
  nodes: Array<{ name: string; netns: string }>;
  /** The probe's deadline (default 2000 ms). */
  timeoutMs?: number;
}

export interface LiveHop {
  node: string;
  table: string;
  chain: string;
  /** The hook of the base chain the packet entered (prerouting, forward …). */
  hook?: string;
  rule?: string;
  handle?: number;
  comment?: string;
  /** `accept`, `jump svc-…`, `continue`; `policy accept` for a base chain's policy. */
  verdict?: string;
  packet?: { src: string; dst: string; sport?: number; dport?: number; proto: string; iif?: string; oif?: string };
}

export interface LiveResult {
  probe: { srcPort: number; ok: boolean; kind: ProbeKind; reply?: string; error?: string };
  hops: LiveHop[];
  conntrack: Array<{ node: string; entries: ConntrackEntry[] }>;
  /** The endpoint the flow reached: the reply source of the DNAT'd conntrack entry. */
  delivered?: { ip: string; port: number; node?: string };
}

/** What liveTrace needs from the kernel (src/kernel/nft-monitor.ts: kernelLiveDeps). */
export interface LiveDeps {
  installTraceTable(netns: string, flow: TraceFlow, role: TraceTableRole): Promise<void>;
  removeTraceTable(netns: string, family?: TraceFamily): Promise<void>;
  startTraceMonitor(netns: string): Promise<TraceMonitor>;
  sendProbe(netns: string, p: ProbeSpec): Promise<ProbeOutcome>;
  traceFlowIds(netns: string, family?: TraceFamily): Promise<number[]>;
  listConntrack(f: ConntrackListFilter, netns?: string): Promise<ConntrackEntry[]>;
  listBaseChains(netns: string): Promise<BaseChain[]>;
  /** Default: 200 ms after the probe ends, for the last events to arrive. */
  settleMs?: number;
  /** Default: random in 61000–65499, above Linux's ephemeral range (32768–60999). */
  pickPort?: () => number;
}

/**
 * Runs one live trace. Tables and monitors are removed/stopped also when a step fails;
 * a cleanup failure after a successful trace is thrown (a table must not stay behind).
 */
export async function liveTrace(spec: LiveSpec, deps: LiveDeps): Promise<LiveResult> {
  const family: TraceFamily = spec.dst.includes(':') ? 'ip6' : 'ip';
  const srcPort = (deps.pickPort ?? (() => 61000 + Math.floor(Math.random() * 4500)))();
  const flow: TraceFlow = { family, proto: spec.proto, srcPort, dst: spec.dst, dport: spec.dport };
  const timeoutMs = spec.timeoutMs ?? 2000;
  if (spec.proto === 'sctp') {
    const p = await deps.sendProbe(spec.source.netns, { proto: spec.proto, dst: spec.dst, dport: spec.dport, srcPort, timeoutMs });
    return { probe: { srcPort, ok: false, kind: p.kind, ...(p.error ? { error: p.error } : {}) }, hops: [], conntrack: [] };
  }
  const roles = new Map<string, TraceTableRole>();
  for (const n of spec.nodes) roles.set(n.netns, { source: false, node: true });
  roles.set(spec.source.netns, { node: roles.has(spec.source.netns), source: true });

  const installed: string[] = [];
  const monitors = new Map<string, TraceMonitor>();
  let failure: unknown;
  let result: LiveResult | undefined;
  try {
    const chains = new Map<string, BaseChain[]>();
    for (const n of spec.nodes) chains.set(n.name, await deps.listBaseChains(n.netns));
    for (const [netns, role] of roles) {
      installed.push(netns);
      await deps.installTraceTable(netns, flow, role);
    }
    for (const n of spec.nodes) monitors.set(n.name, await deps.startTraceMonitor(n.netns));
    const p = await deps.sendProbe(spec.source.netns, { proto: spec.proto, dst: spec.dst, dport: spec.dport, srcPort, timeoutMs });
    await new Promise((r) => setTimeout(r, deps.settleMs ?? 200));
    const hops: LiveHop[] = [];
    const conntrack: LiveResult['conntrack'] = [];
    for (const n of spec.nodes) {
      const events = await monitors.get(n.name)!.stop();
      monitors.delete(n.name);
      hops.push(...hopsFromEvents(n.name, events, chains.get(n.name) ?? []));
      const ids = await deps.traceFlowIds(n.netns, family);
      const entries = ids.length === 0 ? [] : await deps.listConntrack({ proto: spec.proto, family: family === 'ip' ? 'ipv4' : 'ipv6', ids }, n.netns);
      conntrack.push({ node: n.name, entries });
    }
    const delivered = deliveredTo(conntrack);
    result = {
      probe: { srcPort, ok: p.kind === 'connected' || p.kind === 'replied', kind: p.kind, ...(p.reply !== undefined ? { reply: p.reply } : {}), ...(p.error ? { error: p.error } : {}) },
      hops, conntrack, ...(delivered ? { delivered } : {}),
    };
  } catch (err) {
    failure = err;
  }
  const cleanupErrors: unknown[] = [];
  for (const m of monitors.values()) await m.stop().catch((e: unknown) => cleanupErrors.push(e));
  for (const netns of installed) await deps.removeTraceTable(netns, family).catch((e: unknown) => cleanupErrors.push(e));
  if (failure) throw failure;
  if (cleanupErrors.length > 0) throw cleanupErrors[0];
  return result!;
}

/** The hook of a base chain, from the namespace's listing; else guessed from its name. */
function hookOf(chains: BaseChain[], family: string, table: string, chain: string): string | undefined {
  const c = chains.find((b) => b.family === family && b.table === table && b.chain === chain);
  if (c) return c.hook;
  return /(prerouting|input|forward|output|postrouting)/.exec(chain)?.[1];
}

function hopPacket(p: TracePacket): NonNullable<LiveHop['packet']> {
  return {
    src: p.src, dst: p.dst, proto: p.proto,
    ...(p.sport !== undefined ? { sport: p.sport } : {}), ...(p.dport !== undefined ? { dport: p.dport } : {}),
    ...(p.iif !== undefined ? { iif: p.iif } : {}), ...(p.oif !== undefined ? { oif: p.oif } : {}),
  };
}

/**
 * The events of one node as hops, in event order. A `packet:` line starts a base chain
 * (it carries the headers as that hook sees them); the rule/verdict/policy lines after
 * it with the same trace id are hops with that packet and hook. Trace ids are the
 * kernel's skb-derived ids and are reused by later packets, which is why each `packet:`
 * line resets its id's context. Our own table's events are left out.
 */
export function hopsFromEvents(node: string, events: NftTraceEvent[], chains: BaseChain[] = []): LiveHop[] {
  const ctx = new Map<string, { packet: NonNullable<LiveHop['packet']>; hook?: string }>();
  const hops: LiveHop[] = [];
  for (const e of events) {
    if (e.type === 'packet') {
      const hook = hookOf(chains, e.family, e.table, e.chain);
      ctx.set(e.id, { packet: hopPacket(e.packet), ...(hook ? { hook } : {}) });
      continue;
    }
    if (e.table === TRACE_TABLE) continue;
    const c = ctx.get(e.id);
    const hop: LiveHop = { node, table: e.table, chain: e.chain, ...(c?.hook ? { hook: c.hook } : {}) };
    if (e.type === 'rule') {
      hop.rule = e.rule;
      if (e.handle !== undefined) hop.handle = e.handle;
      if (e.comment !== undefined) hop.comment = e.comment;
      if (e.verdict !== undefined) hop.verdict = e.verdict;
    } else {
      hop.verdict = e.type === 'policy' ? `policy ${e.verdict}` : e.verdict;
    }
    if (c) hop.packet = c.packet;
    hops.push(hop);
  }
  return hops;
}

/**
 * Where the flow was delivered: the endpoint is the reply source of an entry whose
 * reply does not come from the original destination (a DNAT). Its node: the node whose
 * entry saw the packet arrive already addressed to the endpoint (DNAT'd upstream),
 * else the node that did the DNAT (the endpoint is local to it, or no later node was
 * given). Without a DNAT the original destination is the endpoint.
 */
export function deliveredTo(conntrack: LiveResult['conntrack']): LiveResult['delivered'] {
  const all = conntrack.flatMap((c) => c.entries.map((e) => ({ node: c.node, e })));
  const dnat = all.find(({ e }) => e.reply.src !== e.original.dst || e.reply.sport !== e.original.dport);
  if (dnat) {
    const ip = dnat.e.reply.src;
    const port = dnat.e.reply.sport ?? 0;
    const arrived = all.find(({ node, e }) => node !== dnat.node && e.original.dst === ip);
    return { ip, port, node: (arrived ?? dnat).node };
  }
  const first = all[0];
  if (!first) return undefined;
  const last = all[all.length - 1]!;
  return { ip: first.e.original.dst, port: first.e.original.dport ?? 0, node: last.node };
}

// ---- text -------------------------------------------------------------------------------

const hostPort = (ip: string, port?: number) => (port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function packetText(p: NonNullable<LiveHop['packet']>): string {
  const ifs = [p.iif ? `in ${p.iif}` : '', p.oif ? `out ${p.oif}` : ''].filter(Boolean).join(' ');
  return `${p.proto} ${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)}${ifs ? ` (${ifs})` : ''}`;
}

function tupleText(t: ConntrackEntry['original']): string {
  return `${hostPort(t.src, t.sport)} → ${hostPort(t.dst, t.dport)}`;
}

/** The result as text: the probe, then per node its hops (packet shown when it changes), then conntrack. */
export function renderLive(r: LiveResult): string {
  const out: string[] = [];
  const probe = `probe from source port ${r.probe.srcPort}: ${r.probe.kind}${r.probe.error && !r.probe.ok ? ` (${r.probe.error})` : ''}`;
  out.push(probe);
  if (r.probe.reply) out.push(`  reply: ${r.probe.reply.length > 200 ? `${r.probe.reply.slice(0, 200)}…` : r.probe.reply}`);
  if (r.delivered) out.push(`delivered to ${hostPort(r.delivered.ip, r.delivered.port)}${r.delivered.node ? ` on ${r.delivered.node}` : ''}`);
  const nodes = [...new Set([...r.hops.map((h) => h.node), ...r.conntrack.map((c) => c.node)])];
  for (const node of nodes) {
    out.push('', `${node}:`);
    const hops = r.hops.filter((h) => h.node === node);
    if (hops.length === 0) out.push('  (no traced packet met a chain of another table)');
    let last = '';
    let n = 0;
    for (const h of hops) {
      const pkt = h.packet ? `${h.hook ?? '?'}: ${packetText(h.packet)}` : '';
      if (pkt && pkt !== last) {
        out.push(`  ${pkt}`);
        last = pkt;
      }
      n++;
      const what = h.rule ? `${h.rule}${h.handle !== undefined ? ` #${h.handle}` : ''}${h.verdict ? ` → ${h.verdict}` : ''}`
        : h.verdict?.startsWith('policy ') ? h.verdict : `end of chain → ${h.verdict ?? '?'}`;
      out.push(`    ${String(n).padStart(2)}. ${h.table} ${h.chain}: ${what}`);
    }
    const ct = r.conntrack.find((c) => c.node === node)?.entries ?? [];
    for (const e of ct) {
      out.push(`  conntrack: ${e.proto}${e.state ? ` ${e.state}` : ''} ${tupleText(e.original)}, reply ${tupleText(e.reply)}${e.flags.length ? ` [${e.flags.join(',')}]` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
