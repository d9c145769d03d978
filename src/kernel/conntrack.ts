// conntrack entries, through the `conntrack` tool (conntrack-tools), optionally inside a
// network namespace. Used by the service proxy to remove stale UDP flows after a sync
// (upstream kube-proxy does the same through netlink in pkg/proxy/conntrack), and by the
// live tracer to show the NAT its probe's flow got on each node.
import { run } from './exec.js';

/** One `conntrack -D` filter: every given field must match. */
export interface ConntrackDeleteFilter {
  proto: 'udp' | 'tcp' | 'sctp';
  origDst?: string;
  origDport?: number;
  dstNat?: string;
}

export function conntrackDeleteArgv(f: ConntrackDeleteFilter): string[] {
  const argv = ['conntrack', '-D', '-p', f.proto];
  if (f.origDst) argv.push('--orig-dst', f.origDst);
  if (f.origDport) argv.push('--orig-port-dst', String(f.origDport));
  if (f.dstNat) argv.push('--dst-nat', f.dstNat);
  return argv;
}

/**
 * Deletes the flows matching each filter. conntrack exits 1 with "0 flow entries have been
 * deleted" when nothing matched: that is success here, not an error.
 */
export async function deleteConntrackFlows(filters: ConntrackDeleteFilter[], netns?: string): Promise<number> {
  let deleted = 0;
  for (const f of filters) {
    const r = await run(conntrackDeleteArgv(f), { netns, allowFailure: true, timeoutMs: 10_000 });
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
    if (r.code !== 0 && !m) throw new Error(`${conntrackDeleteArgv(f).join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    deleted += m ? Number(m[1]) : 0;
  }
  return deleted;
}

/** One direction of a conntrack entry, as `conntrack -L` prints it. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

/** One line of `conntrack -L -o id`. */
export interface ConntrackEntry {
  proto: string;
  timeout: number;
  /** TCP/SCTP state (ESTABLISHED, TIME_WAIT …); absent for UDP/ICMP. */
  state?: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** Bracketed flags: ASSURED, UNREPLIED … */
  flags: string[];
  mark?: number;
  /** The kernel's conntrack id (what nft's `ct id` matches). */
  id?: number;
}

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id']);

/**
 * Parses one `conntrack -L -o id` line (not `-o extended`, whose lines start with the
 * l3 protocol). The first src…dport group is the original tuple, the second the reply;
 * ICMP tuples carry their own `id=`, so a key counts as a tuple field only until a
 * non-tuple key (mark=, use=, [FLAG]) closes the reply tuple.
 */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  const tok = line.trim().split(/\s+/);
  if (tok.length < 4 || !/^\d+$/.test(tok[1]!) || !/^\d+$/.test(tok[2]!)) return undefined;
  const entry: ConntrackEntry = { proto: tok[0]!, timeout: Number(tok[2]), original: { src: '', dst: '' }, reply: { src: '', dst: '' }, flags: [] };
  const tuples: Record<string, string>[] = [{}, {}];
  let phase = 0; // 0 original tuple, 1 reply tuple, 2 trailer
  for (const t of tok.slice(3)) {
    const flag = /^\[(.+)\]$/.exec(t);
    const kv = /^([a-z-]+)=(.*)$/.exec(t);
    if (phase < 2 && kv && TUPLE_KEYS.has(kv[1]!)) {
      if (kv[1] === 'src' && tuples[phase]!.src !== undefined) phase++;
      if (phase < 2) { tuples[phase]![kv[1]!] = kv[2]!; continue; }
    }
    // [UNREPLIED] sits between the two tuples; anything else after the reply's fields ends it.
    if (phase === 1 && tuples[1]!.src !== undefined) phase = 2;
    if (flag) entry.flags.push(flag[1]!);
    else if (!kv) { if (phase === 0 && tuples[0]!.src === undefined) entry.state = t; }
    else if (kv[1] === 'mark') entry.mark = Number(kv[2]);
    else if (kv[1] === 'id') entry.id = Number(kv[2]);
  }
  if (tuples[0]!.src === undefined || tuples[1]!.src === undefined) return undefined;
  const tuple = (m: Record<string, string>): ConntrackTuple => ({
    src: m.src!, dst: m.dst ?? '',
    ...(m.sport !== undefined ? { sport: Number(m.sport) } : {}),
    ...(m.dport !== undefined ? { dport: Number(m.dport) } : {}),
  });
  entry.original = tuple(tuples[0]!);
  entry.reply = tuple(tuples[1]!);
  return entry;
}

/** A `conntrack -L` filter; ids are applied here (the tool cannot filter by id). */
export interface ConntrackListFilter {
  proto?: 'udp' | 'tcp' | 'sctp';
  family?: 'ipv4' | 'ipv6';
  origSport?: number;
  /** Keep only entries with one of these conntrack ids. */
  ids?: number[];
}

export function conntrackListArgv(f: ConntrackListFilter): string[] {
  const argv = ['conntrack', '-L', '-o', 'id'];
  if (f.family) argv.push('-f', f.family);
  if (f.proto) argv.push('-p', f.proto);
  if (f.origSport) argv.push('--orig-port-src', String(f.origSport));
  return argv;
}

/** The conntrack entries of a namespace matching the filter (the tool prints its count on stderr). */
export async function listConntrack(f: ConntrackListFilter, netns?: string): Promise<ConntrackEntry[]> {
  const r = await run(conntrackListArgv(f), { netns, timeoutMs: 10_000 });
  const entries = r.stdout.split('\n').map(parseConntrackLine).filter((e): e is ConntrackEntry => !!e);
  return f.ids ? entries.filter((e) => e.id !== undefined && f.ids!.includes(e.id)) : entries;
}
