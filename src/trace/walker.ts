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
  updates: Array<{ set: string; key: string }>;
}

type Ending = 'return' | 'accept' | 'drop' | 'reject';
interface Branch { s: State; end: Ending; rejectWith?: string }

const MAX_DEPTH = 32;

export class Walker {
  private readonly chains = new Map<string, ChainContent>();
  private readonly sets = new Map<string, SetContent | MapContent>();
  private readonly parsed = new Map<string, ParsedRule>();

  constructor(readonly rs: Ruleset, readonly env: TraceEnv) {
    for (const c of rs.chains) this.chains.set(c.name, c);
    for (const s of [...rs.sets, ...rs.maps]) this.sets.set(s.name, s);
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

  /** Base chains of `hook` in priority order (ties: by name, like the kernel's insertion order is not). */
  baseChains(hook: Hook, type?: 'nat' | 'filter'): ChainContent[] {
    return [...this.chains.values()]
      .filter((c) => c.base?.hook === hook && (type === undefined || c.base.type === type))
      .sort((a, b) => a.base!.priority - b.base!.priority || a.name.localeCompare(b.name));
  }

  trace(pkt: TracePacket): Outcome[] {
    const ct = pkt.ctState ?? 'new';
    const s: State = { src: canon(pkt.src), dst: canon(pkt.dst), dport: pkt.dport, proto: pkt.proto, mark: 0, dnat: false, masquerade: false, prob: 1, path: [], updates: [] };
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
    for (const chain of this.baseChains(hook)) {
      // NAT chains only see the first packet of a connection; an INVALID packet has no
      // conntrack entry and is never NATed.
      if (chain.base!.type === 'nat' && ct !== 'new') continue;
      const next: State[] = [];
      for (const s of states) {
        for (const b of this.runChain(chain.name, { ...s, path: [...s.path, chain.name] }, ct, 0)) {
          if (b.end === 'drop' || b.end === 'reject') done.push(outcome(b.s, b.end, b.rejectWith));
          else next.push(b.s);
        }
      }
      states = next;
    }
    return states;
  }

  private runChain(name: string, s: State, ct: string, depth: number): Branch[] {
    if (depth > MAX_DEPTH) throw new Error(`trace: jump depth exceeded at ${name}`);
    const chain = this.chains.get(name);
    if (!chain) throw new Error(`trace: chain ${name} does not exist`);
    return this.runRules(chain, 0, s, ct, depth);
  }

  /** Rules from index `from` on; a rule's hit and miss branches each go on separately. */
  private runRules(chain: ChainContent, from: number, s: State, ct: string, depth: number): Branch[] {
    if (from >= chain.rules.length) return [{ s, end: 'return' }];
    const r = this.rule(chain.rules[from]!.rule);
    const { hit, miss } = this.matchAll(r.matches, s, ct);
    const out: Branch[] = [];
    for (const h of hit) {
      for (const b of this.runStmts(r.stmts, 0, h, ct, depth)) {
        if (b.end === 'return' && !b.explicit) out.push(...this.runRules(chain, from + 1, b.s, ct, depth));
        else out.push(stripExplicit(b));
      }
    }
    for (const m of miss) out.push(...this.runRules(chain, from + 1, m, ct, depth));
    return out;
  }

  /** Statements of one matched rule. A branch ending 'return' without `explicit` means "next rule". */
  private runStmts(stmts: Stmt[], k: number, s: State, ct: string, depth: number): Array<Branch & { explicit?: boolean }> {
    if (k >= stmts.length) return [{ s, end: 'return' }];
    const st = stmts[k]!;
    const cont = (ns: State): Array<Branch & { explicit?: boolean }> => this.runStmts(stmts, k + 1, ns, ct, depth);
    switch (st.kind) {
      case 'counter':
        return cont(s);
      case 'accept':
      case 'drop':
        return [{ s, end: st.kind }];
      case 'return':
        return [{ s, end: 'return', explicit: true }];
      case 'reject':
        return [{ s, end: 'reject', rejectWith: st.with ?? 'icmp port-unreachable' }];
      case 'jump':
      case 'goto':
        return this.verdict(st.kind, st.chain, s, ct, depth, cont);
      case 'vmap': {
        const map = this.sets.get(st.map);
        if (!map || map.kind !== 'map') throw new Error(`trace: map ${st.map} does not exist`);
        const out: Array<Branch & { explicit?: boolean }> = [];
        for (const { value, prob } of this.values(st.expr, s)) {
          const el = map.elements.find((e) => keyEquals(e.key, value));
          const ns = { ...s, prob: s.prob * prob };
          if (!el) { out.push(...cont(ns)); continue; }
          const [verb, target] = (el.value ?? [])[0]!.split(/\s+/);
          if (verb === 'goto' || verb === 'jump') out.push(...this.verdict(verb, target!, ns, ct, depth, cont));
          else if (verb === 'drop' || verb === 'accept') out.push({ s: ns, end: verb });
          else if (verb === 'return') out.push({ s: ns, end: 'return', explicit: true });
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
        const key = this.values(st.expr, s)[0]!.value.join(' . ');
        return cont({ ...s, updates: [...s.updates, { set: st.set, key }] });
      }
    }
  }

  private verdict(
    kind: 'jump' | 'goto', target: string, s: State, ct: string, depth: number,
    cont: (s: State) => Array<Branch & { explicit?: boolean }>,
  ): Array<Branch & { explicit?: boolean }> {
    const out: Array<Branch & { explicit?: boolean }> = [];
    for (const b of this.runChain(target, { ...s, path: [...s.path, target] }, ct, depth + 1)) {
      if (b.end !== 'return') out.push(b);
      // jump: the callee returned, go on after the jump. goto: the callee's return is ours.
      else if (kind === 'jump') out.push(...cont(b.s));
      else out.push({ s: b.s, end: 'return', explicit: true });
    }
    return out;
  }

  /** Split a state by a conjunction of matches into the branches that hit and those that miss. */
  private matchAll(ms: Match[], s: State, ct: string): { hit: State[]; miss: State[] } {
    let hit: State[] = [s];
    const miss: State[] = [];
    for (const m of ms) {
      const nextHit: State[] = [];
      for (const h of hit) {
        for (const { value, prob } of this.values(m.expr, h, ct)) {
          const ns = prob === 1 ? h : { ...h, prob: h.prob * prob };
          const yes = m.kind === 'cmp' ? this.cmp(m.expr, value, m.value) : this.inSet(m.set, value);
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

  private inSet(name: string, value: string[]): boolean {
    const dyn = this.env.dynamicSets?.[name];
    const key = value.join(' . ');
    if (dyn) return dyn.includes(key);
    const set = this.sets.get(name);
    if (!set) throw new Error(`trace: set ${name} does not exist`);
    return set.elements.some((e) => e.key.length === value.length && e.key.every((k, i) => partMatches(k, value[i]!)));
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
  if (isAddr(value) && (isAddr(part) || part.includes('/'))) return inCidr(value, part);
  if (/^\d+$/.test(part) && /^\d+$/.test(value)) return Number(part) === Number(value);
  return part.toLowerCase() === value.toLowerCase();
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
  const o: Outcome = { verdict, probability: s.prob, ip: s.dst, port: s.dport, dnat: s.dnat, masquerade: s.masquerade, path: s.path, updates: s.updates };
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
