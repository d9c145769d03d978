// The packet walker: evaluates a Ruleset's rule text for one packet, hook by hook in
// netfilter's order, following EVERY branch of a random/round-robin choice with its
// probability and computing deterministic choices (jhash) exactly. It answers the question
// the proxy's tests ask: which endpoints can receive this packet, masqueraded or not — or is
// it rejected or dropped.
import ipaddr from 'ipaddr.js';
import type { ChainContent, Hook, MapContent, Ruleset, SetContent } from '../kernel/nft/types.js';
import { nftJhash } from './jhash.js';
import { parseRule } from './rule-parser.js';
import type { Expr, Match, ParsedRule, Stmt } from './rule-parser.js';

/** Where the packet enters the node whose ruleset is walked. */
export type Entry = 'pod' | 'node' | 'external';

export interface TracePacket {
  from: Entry;
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'sctp';
  dport: number;
  /** Conntrack state of the packet; tracing is about the first packet (`new`, default). */
  ctState?: 'new' | 'invalid';
}

export interface TraceEnv {
  /** The node's own addresses (`fib … type local`); loopback is always local. */
  localAddresses: string[];
  /** Contents of dynamic sets (e.g. ClientIP affinity) before this packet: set → keys. */
  dynamicSets?: Record<string, string[]>;
}

/** One rule that matched the packet, in walk order: the hop list's "which rule" answer. */
export interface Step {
  table: string;
  chain: string;
  /** 0-based position of the rule in its chain. */
  index: number;
  rule: string;
  comment?: string;
  /** For a verdict-map rule: the element the packet's key found (`key : verdict`). */
  element?: string;
  /** For a log rule: the prefix it logged with. */
  log?: string;
}

export interface Outcome {
  verdict: 'deliver' | 'drop' | 'reject';
  probability: number;
  /** Destination after DNAT (or the original one). */
  ip: string;
  port: number;
  dnat: boolean;
  masquerade: boolean;
  rejectWith?: string;
  /** Chains entered, in order (base chains included). */
  path: string[];
  /** Rules that matched, in order, across every table walked. */
  steps: Step[];
  /** Dynamic set updates the packet made (`update @set { … }`): feed into the next trace. */
  updates: Array<{ set: string; key: string }>;
}

interface State {
  src: string;
  dst: string;
  dport: number;
  proto: string;
  mark: number;
  dnat: boolean;
  masquerade: boolean;
  prob: number;
  path: string[];
  steps: Step[];
  updates: Array<{ set: string; key: string }>;
}

type Ending = 'return' | 'accept' | 'drop' | 'reject';
interface Branch { s: State; end: Ending; rejectWith?: string }

const MAX_DEPTH = 32;

/** A chain with the table it belongs to: chain and set names are per table. */
interface TableChain { table: string; chain: ChainContent }

export class Walker {
  private readonly chains = new Map<string, TableChain>();
  private readonly sets = new Map<string, SetContent | MapContent>();
  private readonly parsed = new Map<string, ParsedRule>();
  readonly tables: Ruleset[];

  /** One node's tables (hawser-proxy, hawser-policy, hawser-cni …): base chains of all of them run by priority. */
  constructor(rs: Ruleset | Ruleset[], readonly env: TraceEnv) {
    this.tables = Array.isArray(rs) ? rs : [rs];
    for (const t of this.tables) {
      for (const c of t.chains) this.chains.set(key(t.name, c.name), { table: t.name, chain: c });
      for (const x of [...t.sets, ...t.maps]) this.sets.set(key(t.name, x.name), x);
    }
  }

  private rule(text: string): ParsedRule {
    let p = this.parsed.get(text);
    if (!p) { p = parseRule(text); this.parsed.set(text, p); }
    return p;
  }

  isLocal(addr: string): boolean {
    const a = ipaddr.parse(addr);
    if (a.kind() === 'ipv4' && a.match(ipaddr.parseCIDR('127.0.0.0/8'))) return true;
    if (a.kind() === 'ipv6' && a.toString() === '::1') return true;
    return this.env.localAddresses.some((l) => ipaddr.parse(l).toString() === a.toString());
  }

  /** Base chains of `hook` over every table, in priority order (ties: by table, then chain name). */
  baseChains(hook: Hook, type?: 'nat' | 'filter'): TableChain[] {
    return [...this.chains.values()]
      .filter(({ chain: c }) => c.base?.hook === hook && (type === undefined || c.base.type === type))
      .sort((a, b) => a.chain.base!.priority - b.chain.base!.priority || a.table.localeCompare(b.table) || a.chain.name.localeCompare(b.chain.name));
  }

  trace(pkt: TracePacket): Outcome[] {
    const ct = pkt.ctState ?? 'new';
    const s: State = { src: canon(pkt.src), dst: canon(pkt.dst), dport: pkt.dport, proto: pkt.proto, mark: 0, dnat: false, masquerade: false, prob: 1, path: [], steps: [], updates: [] };
    const hooks: Hook[] = pkt.from === 'node' ? ['output', 'postrouting'] : ['prerouting'];
    let live: State[] = [s];
    const done: Outcome[] = [];
    const runHooks = (states: State[], hs: Hook[]): State[] => {
      for (const h of hs) states = states.flatMap((st) => this.runHook(h, st, ct, done));
      return states;
    };
    live = runHooks(live, hooks);
    // Routing after prerouting (or, for local output, after postrouting): a local
    // destination goes to input, anything else is forwarded and leaves through postrouting.
    const after: State[] = [];
    for (const st of live) {
      if (pkt.from === 'node') {
        after.push(...(this.isLocal(st.dst) ? runHooks([st], ['input']) : [st]));
      } else if (this.isLocal(st.dst)) {
        after.push(...runHooks([st], ['input']));
      } else {
        after.push(...runHooks([st], ['forward', 'postrouting']));
      }
    }
    for (const st of after) done.push(outcome(st, 'deliver'));
    return merge(done);
  }

  /** Run every base chain of one hook; returns the states that were accepted. */
  private runHook(hook: Hook, st: State, ct: string, done: Outcome[]): State[] {
    let states = [st];
    for (const { table, chain } of this.baseChains(hook)) {
      // NAT chains only see the first packet of a connection; an INVALID packet has no
      // conntrack entry and is never NATed.
      if (chain.base!.type === 'nat' && ct !== 'new') continue;
      const next: State[] = [];
      for (const s of states) {
        for (const b of this.runChain(table, chain.name, { ...s, path: [...s.path, `${table}/${chain.name}`] }, ct, 0)) {
          if (b.end === 'drop' || b.end === 'reject') done.push(outcome(b.s, b.end, b.rejectWith));
          // The base chain's policy applies when its rules fall through.
          else if (b.end === 'return' && chain.base!.policy === 'drop') done.push(outcome(b.s, 'drop'));
          else next.push(b.s);
        }
      }
      states = next;
    }
    return states;
  }

  private runChain(table: string, name: string, s: State, ct: string, depth: number): Branch[] {
    if (depth > MAX_DEPTH) throw new Error(`trace: jump depth exceeded at ${table}/${name}`);
    const tc = this.chains.get(key(table, name));
    if (!tc) throw new Error(`trace: chain ${name} does not exist in table ${table}`);
    return this.runRules(tc, 0, s, ct, depth);
  }

  /** Rules from index `from` on; a rule's hit and miss branches each go on separately. */
  private runRules(tc: TableChain, from: number, s: State, ct: string, depth: number): Branch[] {
    const { table, chain } = tc;
    if (from >= chain.rules.length) return [{ s, end: 'return' }];
    const rc = chain.rules[from]!;
    const r = this.rule(rc.rule);
    const { hit, miss } = this.matchAll(table, r.matches, s, ct);
    const out: Branch[] = [];
    for (const h0 of hit) {
      const step: Step = { table, chain: chain.name, index: from, rule: rc.rule };
      if (rc.comment !== undefined) step.comment = rc.comment;
      const h = { ...h0, steps: [...h0.steps, step] };
      for (const b of this.runStmts(table, r.stmts, 0, h, ct, depth)) {
        if (b.end === 'return' && !b.explicit) out.push(...this.runRules(tc, from + 1, b.s, ct, depth));
        else out.push(stripExplicit(b));
      }
    }
    for (const m of miss) out.push(...this.runRules(tc, from + 1, m, ct, depth));
    return out;
  }

  /** Statements of one matched rule. A branch ending 'return' without `explicit` means "next rule". */
  private runStmts(table: string, stmts: Stmt[], k: number, s: State, ct: string, depth: number): Array<Branch & { explicit?: boolean }> {
    if (k >= stmts.length) return [{ s, end: 'return' }];
    const st = stmts[k]!;
    const cont = (ns: State): Array<Branch & { explicit?: boolean }> => this.runStmts(table, stmts, k + 1, ns, ct, depth);
    switch (st.kind) {
      case 'counter':
        return cont(s);
      case 'log':
        return cont(st.prefix !== undefined ? annotate(s, { log: st.prefix }) : s);
      case 'accept':
      case 'drop':
        return [{ s, end: st.kind }];
      case 'return':
        return [{ s, end: 'return', explicit: true }];
      case 'reject':
        return [{ s, end: 'reject', rejectWith: st.with ?? 'icmp port-unreachable' }];
      case 'jump':
      case 'goto':
        return this.verdict(table, st.kind, st.chain, s, ct, depth, cont);
      case 'vmap': {
        const map = this.sets.get(key(table, st.map));
        if (!map || map.kind !== 'map') throw new Error(`trace: map ${st.map} does not exist in table ${table}`);
        const out: Array<Branch & { explicit?: boolean }> = [];
        for (const { value, prob } of this.values(st.expr, s)) {
          const el = map.elements.find((e) => keyEquals(e.key, value));
          const ns = { ...s, prob: s.prob * prob };
          if (!el) { out.push(...cont(annotate(ns, { element: `${value.join(' . ')} : (no element)` }))); continue; }
          const verdictText = (el.value ?? [])[0]!;
          const es = annotate(ns, { element: `${el.key.join(' . ')} : ${verdictText}` });
          const [verb, target] = verdictText.split(/\s+/);
          if (verb === 'goto' || verb === 'jump') out.push(...this.verdict(table, verb, target!, es, ct, depth, cont));
          else if (verb === 'drop' || verb === 'accept') out.push({ s: es, end: verb });
          else if (verb === 'return') out.push({ s: es, end: 'return', explicit: true });
          else throw new Error(`trace: verdict ${verb}`);
        }
        return out;
      }
      case 'markset': {
        const mark = st.op === '|' ? (s.mark | st.value) >>> 0 : st.op === '^' ? (s.mark ^ st.value) >>> 0 : st.value >>> 0;
        return cont({ ...s, mark });
      }
      case 'masquerade':
        // NAT statements end the chain with accept (nft_nat_eval sets NF_ACCEPT).
        return [{ s: { ...s, masquerade: true }, end: 'accept' }];
      case 'dnat':
        return [{ s: { ...s, dst: canon(st.addr), dport: st.port ?? s.dport, dnat: true }, end: 'accept' }];
      case 'update': {
        const k2 = this.values(st.expr, s)[0]!.value.join(' . ');
        return cont({ ...s, updates: [...s.updates, { set: st.set, key: k2 }] });
      }
    }
  }

  private verdict(
    table: string, kind: 'jump' | 'goto', target: string, s: State, ct: string, depth: number,
    cont: (s: State) => Array<Branch & { explicit?: boolean }>,
  ): Array<Branch & { explicit?: boolean }> {
    const out: Array<Branch & { explicit?: boolean }> = [];
    for (const b of this.runChain(table, target, { ...s, path: [...s.path, `${table}/${target}`] }, ct, depth + 1)) {
      if (b.end !== 'return') out.push(b);
      // jump: the callee returned, go on after the jump. goto: the callee's return is ours.
      else if (kind === 'jump') out.push(...cont(b.s));
      else out.push({ s: b.s, end: 'return', explicit: true });
    }
    return out;
  }

  /** Split a state by a conjunction of matches into the branches that hit and those that miss. */
  private matchAll(table: string, ms: Match[], s: State, ct: string): { hit: State[]; miss: State[] } {
    let hit: State[] = [s];
    const miss: State[] = [];
    for (const m of ms) {
      const nextHit: State[] = [];
      for (const h of hit) {
        for (const { value, prob } of this.values(m.expr, h, ct)) {
          const ns = prob === 1 ? h : { ...h, prob: h.prob * prob };
          const yes = m.kind === 'cmp' ? this.cmp(m.expr, value, m.value) : this.inSet(table, m.set, value);
          if (yes === (m.op === '==')) nextHit.push(ns); else miss.push(ns);
        }
      }
      hit = nextHit;
    }
    return { hit, miss: mergeStates(miss) };
  }

  private cmp(expr: Expr, value: string[], want: string): boolean {
    const v = value[0]!;
    if (expr.kind === 'addr') return inCidr(v, want);
    if (expr.kind === 'ctstate') return want.split(',').includes(v);
    if (expr.kind === 'l4proto' || expr.kind === 'fib') return v === want;
    return Number(v) === Number(want);
  }

  private inSet(table: string, name: string, value: string[]): boolean {
    const dyn = this.env.dynamicSets?.[name];
    const k = value.join(' . ');
    if (dyn) return dyn.includes(k);
    const set = this.sets.get(key(table, name));
    if (!set) throw new Error(`trace: set ${name} does not exist in table ${table}`);
    return set.elements.some((e) => e.key.length === value.length && e.key.every((p, i) => partMatches(p, value[i]!)));
  }

  /** The value(s) of an expression for a state; numgen yields each value with its probability. */
  private values(e: Expr, s: State, ct = 'new'): Array<{ value: string[]; prob: number }> {
    switch (e.kind) {
      case 'addr': return [{ value: [e.field === 'saddr' ? s.src : s.dst], prob: 1 }];
      case 'l4proto': return [{ value: [s.proto], prob: 1 }];
      case 'dport': return [{ value: [String(s.dport)], prob: 1 }];
      case 'mark': return [{ value: [String(e.mask !== undefined ? (s.mark & e.mask) >>> 0 : s.mark)], prob: 1 }];
      case 'ctstate': return [{ value: [ct], prob: 1 }];
      case 'fib': return [{ value: [this.isLocal(e.field === 'saddr' ? s.src : s.dst) ? 'local' : 'unicast'], prob: 1 }];
      // numgen inc cycles through every value in turn: over many connections each value
      // takes the same share, which is what a probability describes.
      case 'numgen': return Array.from({ length: e.mod }, (_, i) => ({ value: [String(i)], prob: 1 / e.mod }));
      case 'jhash': {
        const data = this.values(e.of, s)[0]!.value.map((p) => Uint8Array.from(ipaddr.parse(p).toByteArray()));
        const bytes = Uint8Array.from(data.flatMap((d) => [...d]));
        return [{ value: [String(nftJhash(bytes, e.mod, e.seed, e.offset))], prob: 1 }];
      }
      case 'concat': {
        let acc: Array<{ value: string[]; prob: number }> = [{ value: [], prob: 1 }];
        for (const p of e.parts) {
          const vs = this.values(p, s, ct);
          acc = acc.flatMap((a) => vs.map((v) => ({ value: [...a.value, ...v.value], prob: a.prob * v.prob })));
        }
        return acc;
      }
    }
  }
}

const key = (table: string, name: string): string => `${table}\u0000${name}`;

/** Adds detail to the last recorded step (the rule whose statement is running). */
function annotate(s: State, extra: Partial<Step>): State {
  const last = s.steps[s.steps.length - 1];
  if (!last) return s;
  return { ...s, steps: [...s.steps.slice(0, -1), { ...last, ...extra }] };
}

const stripExplicit = (b: Branch & { explicit?: boolean }): Branch => ({ s: b.s, end: b.end, ...(b.rejectWith ? { rejectWith: b.rejectWith } : {}) });

function canon(a: string): string {
  return ipaddr.parse(a).toString();
}

/** A dotted-quad or IPv6 address (ipaddr.isValid also takes `80` as an IPv4 address). */
function isAddr(x: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(x) || (x.includes(':') && ipaddr.IPv6.isValid(x));
}

function inCidr(addr: string, want: string): boolean {
  if (!want.includes('/')) return isAddr(want) && canon(want) === addr;
  const [net, bits] = ipaddr.parseCIDR(want);
  const a = ipaddr.parse(addr);
  return a.kind() === net.kind() && a.match(net, bits);
}

/** One element key part against a packet value: addresses (and CIDRs), numbers, names. */
function partMatches(part: string, value: string): boolean {
  // Interval set elements: `80-81`, or an address range that is not one prefix (kernel listing).
  const range = /^([^-]+)-([^-]+)$/.exec(part);
  if (range && !part.includes('/')) {
    const [lo, hi] = [range[1]!, range[2]!];
    if (/^\d+$/.test(lo) && /^\d+$/.test(hi) && /^\d+$/.test(value)) return Number(lo) <= Number(value) && Number(value) <= Number(hi);
    if (isAddr(lo) && isAddr(hi) && isAddr(value)) return addrCmp(lo, value) <= 0 && addrCmp(value, hi) <= 0;
  }
  if (isAddr(value) && (isAddr(part) || part.includes('/'))) return inCidr(value, part);
  if (/^\d+$/.test(part) && /^\d+$/.test(value)) return Number(part) === Number(value);
  return part.toLowerCase() === value.toLowerCase();
}

function addrCmp(x: string, y: string): number {
  const [a, b] = [ipaddr.parse(x).toByteArray(), ipaddr.parse(y).toByteArray()];
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function keyEquals(key: string[], value: string[]): boolean {
  return key.length === value.length && key.every((k, i) => partMatches(k, value[i]!));
}

/** Misses of several numgen values are the same packet state: add their probabilities. */
function mergeStates(states: State[]): State[] {
  if (states.length <= 1) return states;
  const first = states[0]!;
  const same = states.every((x) => x.mark === first.mark && x.dst === first.dst && x.dport === first.dport && x.masquerade === first.masquerade && x.path.length === first.path.length && x.updates.length === first.updates.length);
  return same ? [{ ...first, prob: states.reduce((p, x) => p + x.prob, 0) }] : states;
}

function outcome(s: State, verdict: Outcome['verdict'], rejectWith?: string): Outcome {
  const o: Outcome = { verdict, probability: s.prob, ip: s.dst, port: s.dport, dnat: s.dnat, masquerade: s.masquerade, path: s.path, steps: s.steps, updates: s.updates };
  if (rejectWith) o.rejectWith = rejectWith;
  return o;
}

/** Outcomes with the same verdict, destination and masquerade are one outcome. */
function merge(outs: Outcome[]): Outcome[] {
  const by = new Map<string, Outcome>();
  for (const o of outs) {
    const k = `${o.verdict}|${o.ip}|${o.port}|${o.masquerade}|${o.rejectWith ?? ''}|${o.updates.map((u) => `${u.set}=${u.key}`).join(',')}`;
    const prev = by.get(k);
    if (prev) prev.probability += o.probability;
    else by.set(k, { ...o });
  }
  return [...by.values()].sort((a, b) => b.probability - a.probability || a.ip.localeCompare(b.ip));
}
