// The kernel side of `hawser trace --live`: a temporary table `hawser-trace` that turns on
// nftrace for one probe's flow, `nft monitor trace` inside a namespace, and the probe
// itself (one TCP connect / UDP datagram sent from inside a namespace).
//
// How the flow is recognised on every node, also after masquerade: the service proxy
// masquerades with `fully-random`, which rewrites the source port, so a port alone does
// not survive the first node (observed: sport 45124 left node1 as 49506). Instead the
// source namespace's table sets a marker DSCP on the probe's first packet (TCP SYN, the
// UDP datagram) — DSCP is kept by forwarding and NAT — and each node traces packets that
// carry it. Replies carry no marker (Linux does not reflect TOS by default), so each node
// also remembers the conntrack id of every marked packet (`update @flows { ct id }`,
// after conntrack at priority -150) and traces the reply-direction packets of those
// entries: TCP SYN-ACK / RST, the UDP answer, ICMP errors (RELATED to the same entry).
// Only the handshake is traced: the NAT and policy decisions are made there; the rest of
// a TCP connection would add only `ct state established accept` lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { listConntrack } from './conntrack.js';
import { commandInNetns, run } from './exec.js';

export const TRACE_TABLE = 'hawser-trace';
/** Marker DSCP of the probe (13: unassigned in the IANA DSCP registry). */
export const TRACE_DSCP = 0x0d;

export type TraceFamily = 'ip' | 'ip6';
export type TraceProto = 'tcp' | 'udp' | 'sctp';

/** The probe's flow as the source namespace sends it (before any NAT). */
export interface TraceFlow {
  family: TraceFamily;
  proto: TraceProto;
  /** The probe's fixed source port. */
  srcPort: number;
  dst: string;
  dport: number;
}

export interface TraceTableRole {
  /** This namespace sends the probe: mark its first packet(s) on output. */
  source: boolean;
  /** This namespace is a node: trace marked packets and their replies. */
  node: boolean;
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Which packets of the flow are traced: the ones that decide NAT and policy. */
function handshake(proto: TraceProto): string {
  if (proto === 'tcp') return 'tcp flags & (syn | rst) != 0 ';
  if (proto === 'sctp') return 'sctp chunk init exists '; // INIT only; the INIT-ACK comes back as a reply
  return '';
}

/**
 * The table, as one `nft -f` transaction that also replaces an older copy (`add` makes
 * the `delete` safe when there is none). Priorities: -350 is before raw (-300) and
 * conntrack (-200), so the trace shows every table's chains; -150 is after conntrack
 * (the `ct id` exists) and before every hawser chain (the earliest is -110).
 */
export function traceTableText(flow: TraceFlow, role: TraceTableRole): string {
  const f = flow.family;
  const dscp = `${f} dscp ${hex(TRACE_DSCP)}`;
  const l4 = `meta l4proto ${flow.proto}`;
  const chains: string[] = [];
  if (role.node) {
    chains.push(`  set flows { typeof ct id; size 64; flags dynamic; comment "conntrack ids of traced flows"; }`);
    for (const hook of ['prerouting', 'output']) {
      chains.push(`  chain ${hook} { type filter hook ${hook} priority -350; policy accept; ${dscp} ${l4} meta nftrace set 1 comment "probe"; }`);
      chains.push(`  chain ${hook}-ct { type filter hook ${hook} priority -150; policy accept; ` +
        `${dscp} ${l4} ct direction original update @flows { ct id } comment "probe"; ` +
        `ct direction reply ct id @flows ${handshake(flow.proto)}meta nftrace set 1 comment "reply"; }`);
    }
  }
  if (role.source) {
    // Named `source` so a namespace that is both source and node keeps both chains.
    chains.push(`  chain source { type filter hook output priority -360; policy accept; ` +
      `${f} daddr ${flow.dst} ${flow.proto} sport ${flow.srcPort} ${flow.proto} dport ${flow.dport} ${handshake(flow.proto)}` +
      `${f} dscp set ${hex(TRACE_DSCP)} meta nftrace set 1 comment "mark the probe"; }`);
  }
  return [`add table ${f} ${TRACE_TABLE}`, `delete table ${f} ${TRACE_TABLE}`,
    `table ${f} ${TRACE_TABLE} {`, `  comment "hawser trace --live: temporary"`, ...chains, '}', ''].join('\n');
}

export async function installTraceTable(netns: string, flow: TraceFlow, role: TraceTableRole): Promise<void> {
  await run(['nft', '-f', '-'], { netns, input: traceTableText(flow, role), timeoutMs: 10_000 });
}

/** Removes our table; succeeds when it is gone already. Touches no other table. */
export async function removeTraceTable(netns: string, family: TraceFamily = 'ip'): Promise<void> {
  const r = await run(['nft', 'delete', 'table', family, TRACE_TABLE], { netns, allowFailure: true, timeoutMs: 10_000 });
  if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) {
    throw new Error(`removing table ${family} ${TRACE_TABLE} in ${netns}: ${r.stderr.trim()}`);
  }
}

export async function hasTraceTable(netns: string, family: TraceFamily = 'ip'): Promise<boolean> {
  const r = await run(['nft', 'list', 'tables', family], { netns, timeoutMs: 10_000 });
  return r.stdout.split('\n').some((l) => l.trim() === `table ${family} ${TRACE_TABLE}`);
}

/** The conntrack ids the node's table recorded for the probe's flow. */
export async function traceFlowIds(netns: string, family: TraceFamily = 'ip'): Promise<number[]> {
  const r = await run(['nft', '-j', 'list', 'set', family, TRACE_TABLE, 'flows'], { netns, allowFailure: true, timeoutMs: 10_000 });
  if (r.code !== 0) return [];
  return parseFlowIds(r.stdout);
}

export function parseFlowIds(json: string): number[] {
  const doc = JSON.parse(json) as { nftables?: { set?: { elem?: unknown[] } }[] };
  const elems = doc.nftables?.find((o) => o.set)?.set?.elem ?? [];
  return elems.map((e) => (typeof e === 'number' ? e : (e as { elem?: { val?: number } }).elem?.val))
    .filter((n): n is number => typeof n === 'number');
}

export interface BaseChain {
  family: string;
  table: string;
  chain: string;
  hook: string;
  priority: number;
}

/** Every base chain of a namespace (to name the hook of each traced chain). */
export async function listBaseChains(netns: string): Promise<BaseChain[]> {
  const r = await run(['nft', '-j', 'list', 'chains'], { netns, timeoutMs: 10_000 });
  const doc = JSON.parse(r.stdout) as { nftables?: { chain?: { family: string; table: string; name: string; hook?: string; prio?: number } }[] };
  return (doc.nftables ?? []).flatMap((o) => (o.chain?.hook
    ? [{ family: o.chain.family, table: o.chain.table, chain: o.chain.name, hook: o.chain.hook, priority: o.chain.prio ?? 0 }]
    : []));
}

// ---- nft monitor trace --------------------------------------------------------------

/** The packet as a trace `packet:` line shows it (at the base chain it entered). */
export interface TracePacket {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** tcp | udp | sctp | icmp | icmpv6 | the l4 word nft printed; 'unknown' when none. */
  proto: string;
  iif?: string;
  oif?: string;
  /** tcp flags as printed (`syn`, `0x12` …). */
  tcpFlags?: string;
  mark?: string;
  /** e.g. `destination-unreachable` for ICMP errors. */
  icmpType?: string;
}

export type NftTraceEvent =
  | { type: 'packet'; id: string; family: string; table: string; chain: string; packet: TracePacket }
  | { type: 'rule'; id: string; family: string; table: string; chain: string; rule: string; handle?: number; comment?: string; verdict?: string }
  | { type: 'verdict'; id: string; family: string; table: string; chain: string; verdict: string }
  | { type: 'policy'; id: string; family: string; table: string; chain: string; verdict: string };

/**
 * One line of `nft -a monitor trace` (nft 1.0.6), e.g.
 *   trace id 3d37f05c ip demo pre packet: iif "vb" ether saddr … ip saddr 10.9.0.1 ip daddr 10.99.0.1 … tcp sport 45124 tcp dport 80 tcp flags == syn …
 *   trace id 3d37f05c ip demo pre rule ip daddr . meta l4proto . th dport vmap @svcs # handle 10 (verdict goto svc-abc)
 *   trace id 3d37f05c ip demo sep-1 rule meta l4proto tcp dnat to 10.9.1.1:8080 comment "endpoint 10.9.1.1:8080" # handle 8 (verdict accept)
 *   trace id b1330705 ip hawser-trace prerouting-ct policy accept
 *   trace id 0a1b2c3d ip t c verdict continue
 * Anything else (blank lines, warnings) gives undefined.
 */
export function parseTraceLine(line: string): NftTraceEvent | undefined {
  const m = /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (packet: |rule |verdict |policy |unknown rule )(.*)$/.exec(line.trim());
  if (!m) return undefined;
  const [, id, family, table, chain, kind, rest] = m as unknown as [string, string, string, string, string, string, string];
  const base = { id, family, table, chain };
  if (kind === 'packet: ') return { type: 'packet', ...base, packet: parsePacket(rest) };
  if (kind === 'verdict ') return { type: 'verdict', ...base, verdict: rest.trim() };
  if (kind === 'policy ') return { type: 'policy', ...base, verdict: rest.trim() };
  const v = /^(.*?)\s*\(verdict ([^)]*)\)\s*$/.exec(rest);
  let text = (v ? v[1]! : rest).trim();
  const h = /\s*# handle (\d+)$/.exec(text);
  if (h) text = text.slice(0, h.index).trim();
  const c = /\bcomment "((?:[^"\\]|\\.)*)"/.exec(text);
  return {
    type: 'rule', ...base, rule: kind === 'unknown rule ' ? `unknown rule ${text}`.trim() : text,
    ...(h ? { handle: Number(h[1]) } : {}), ...(c ? { comment: c[1] } : {}), ...(v ? { verdict: v[2]!.trim() } : {}),
  };
}

function parsePacket(text: string): TracePacket {
  const word = (re: RegExp) => re.exec(text)?.[1];
  const l4 = /\b(tcp|udp|sctp|udplite|dccp) sport (\d+)/.exec(text);
  const l4d = /\b(?:tcp|udp|sctp|udplite|dccp) dport (\d+)/.exec(text);
  const icmp = /\b(icmp|icmpv6) type (\S+)/.exec(text);
  const proto = l4?.[1] ?? icmp?.[1] ?? word(/\bip6? protocol (\S+)/) ?? word(/\bip6 nexthdr (\S+)/) ?? 'unknown';
  const p: TracePacket = {
    src: word(/\bip6? saddr (\S+)/) ?? '',
    dst: word(/\bip6? daddr (\S+)/) ?? '',
    proto,
  };
  if (l4) p.sport = Number(l4[2]);
  if (l4d) p.dport = Number(l4d[1]);
  const iif = word(/\biif "([^"]*)"/);
  const oif = word(/\boif "([^"]*)"/);
  if (iif !== undefined) p.iif = iif;
  if (oif !== undefined) p.oif = oif;
  const flags = word(/\btcp flags == (\S+)/);
  if (flags) p.tcpFlags = flags;
  const mark = word(/\bmeta mark (\S+)/);
  if (mark) p.mark = mark;
  if (icmp) p.icmpType = icmp[2];
  return p;
}

export function parseTraceText(text: string): NftTraceEvent[] {
  return text.split('\n').map(parseTraceLine).filter((e): e is NftTraceEvent => !!e);
}

export interface TraceMonitor {
  readonly pid: number;
  /** Lines printed so far. */
  lines(): string[];
  /** Stops the monitor (SIGTERM, then SIGKILL) and returns every event it printed. */
  stop(): Promise<NftTraceEvent[]>;
}

/** NFNLGRP_NFTRACE = 9: bit 8 of the Groups column of /proc/<pid>/net/netlink. */
const NFTRACE_GROUP_BIT = 1 << 8;
const NETLINK_NETFILTER = 12;

/** Whether `pid` holds a netfilter netlink socket subscribed to trace events (pure). */
export function subscribedToTrace(procNetNetlink: string, pid: number): boolean {
  return procNetNetlink.split('\n').slice(1).some((l) => {
    const [, eth, portid, groups] = l.trim().split(/\s+/);
    return Number(eth) === NETLINK_NETFILTER && Number(portid) === pid && (parseInt(groups ?? '0', 16) & NFTRACE_GROUP_BIT) !== 0;
  });
}

/**
 * Starts `nft -a monitor trace` inside netns and resolves once it has subscribed to the
 * trace group (read from /proc/<pid>/net/netlink: the namespace of the pid once nsenter
 * has exec'd nft), so no event of a probe sent afterwards is missed. `-a` adds the
 * rule handles.
 */
export async function startTraceMonitor(netns: string, readyTimeoutMs = 3000): Promise<TraceMonitor> {
  const argv = commandInNetns(netns, ['nft', '-a', 'monitor', 'trace']);
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.trim()));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let exited = false;
  void closed.then(() => { exited = true; });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new Error(`starting nft monitor trace in ${netns}: ${String(err)}`)));
  });
  const pid = child.pid!;
  const stop = async (): Promise<NftTraceEvent[]> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      await closed;
      clearTimeout(timer);
    }
    if (partial.trim()) { lines.push(partial); partial = ''; }
    return lines.map(parseTraceLine).filter((e): e is NftTraceEvent => !!e);
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`nft monitor trace in ${netns} exited: ${stderr.trim()}`);
    let table = '';
    try { table = readFileSync(`/proc/${pid}/net/netlink`, 'utf8'); } catch { /* not exec'd yet */ }
    if (subscribedToTrace(table, pid)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nft monitor trace in ${netns} did not subscribe within ${readyTimeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid, lines: () => [...lines], stop };
}

// ---- the probe ------------------------------------------------------------------------

export interface ProbeSpec {
  proto: TraceProto;
  dst: string;
  dport: number;
  srcPort: number;
  timeoutMs: number;
}

export type ProbeKind = 'connected' | 'replied' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error' | 'unsupported';

export interface ProbeOutcome {
  kind: ProbeKind;
  /** What the peer sent back (first line for TCP, the datagram for UDP). */
  reply?: string;
  /** The socket error code, for kinds other than connected/replied. */
  error?: string;
}

/**
 * Runs in the source namespace as `node -e` (the runtime hawser already needs: no other
 * tool to install). TCP: connect from srcPort, read the first line (an echo server's
 * answer), close. UDP: a connected socket (so an ICMP error arrives as ECONNREFUSED),
 * one datagram, wait for one answer. Prints one JSON ProbeOutcome.
 */
const PROBE_SCRIPT = `
const [proto, host, port, sport, timeoutMs] = process.argv.slice(1);
const done = (o) => { process.stdout.write(JSON.stringify(o) + '\\n'); process.exit(0); };
const kinds = { ECONNREFUSED: 'refused', EHOSTUNREACH: 'unreachable', ENETUNREACH: 'unreachable', ETIMEDOUT: 'timeout', ECONNRESET: 'reset' };
const kindOf = (e) => kinds[e.code] || 'error';
let connected = false, reply = '';
setTimeout(() => done(connected ? { kind: 'connected', ...(reply ? { reply } : {}) } : { kind: 'timeout' }), Number(timeoutMs));
if (proto === 'tcp') {
  const s = require('node:net').connect({ host, port: Number(port), localPort: Number(sport) });
  s.setEncoding('utf8');
  s.on('connect', () => { connected = true; });
  s.on('data', (d) => { reply += d; if (reply.includes('\\n')) { s.destroy(); done({ kind: 'connected', reply: reply.trim() }); } });
  s.on('end', () => done({ kind: 'connected', ...(reply ? { reply: reply.trim() } : {}) }));
  s.on('error', (e) => done(connected ? { kind: 'connected', reply: reply.trim(), error: String(e.code) } : { kind: kindOf(e), error: String(e.code || e.message) }));
} else {
  const s = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', (e) => done({ kind: kindOf(e), error: String(e.code || e.message) }));
  s.on('message', (m) => done({ kind: 'replied', reply: m.toString('utf8').trim() }));
  s.bind(Number(sport), () => s.connect(Number(port), host, () => s.send('hawser trace probe\\n')));
}
`;

/** Sends one probe from inside netns. SCTP: Node has no SCTP sockets, so 'unsupported'. */
export async function sendProbe(netns: string, p: ProbeSpec): Promise<ProbeOutcome> {
  if (p.proto === 'sctp') return { kind: 'unsupported', error: 'SCTP probes are not implemented (no SCTP sockets in Node.js)' };
  const r = await run([process.execPath, '-e', PROBE_SCRIPT, p.proto, p.dst, String(p.dport), String(p.srcPort), String(p.timeoutMs)],
    { netns, allowFailure: true, timeoutMs: p.timeoutMs + 5000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ProbeOutcome;
  } catch {
    return { kind: 'error', error: (r.stderr || r.stdout).trim().slice(0, 500) || `exit ${r.code}` };
  }
}

/** The kernel side of src/trace/live.ts's LiveDeps. */
export const kernelLiveDeps = {
  installTraceTable, removeTraceTable, startTraceMonitor, sendProbe, traceFlowIds, listConntrack, listBaseChains,
};
