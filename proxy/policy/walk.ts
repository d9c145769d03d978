// A packet interpreter for the rule forms the policy compiler emits: it reads the rule TEXT
// (not the compiler's intermediate data), so a wrong rule, a missing set element or a
// broken jump shows up as a wrong verdict. Tests run it against the reference evaluator;
// the tracer can use it to explain a verdict rule by rule.
//
// Understood: `ct state a,b`, address / `meta l4proto` / `th dport` selectors and their
// concatenations, matched against `@set` (plain, interval, concatenated), a literal, or
// `vmap @map`; `counter`, `log prefix "…"`; accept, drop, reject, return, jump, goto.
// Anything else throws: an unknown form must never be silently read as "no match".
import { cidrInterval } from './intervals.js';
import { parseAddress } from '../../src/net/index.js';
import type { ChainContent, ElementContent, Hook, Ruleset } from '../../src/kernel/nft/types.js';

export type CtState = 'new' | 'established' | 'related' | 'invalid';

export interface Packet {
  saddr: string;
  daddr: string;
  /** nft protocol name: tcp, udp, sctp, icmp … */
  proto: string;
  dport?: number;
  ct: CtState;
}

export type FinalVerdict = 'accept' | 'drop' | 'reject';

export interface Step {
  chain: string;
  index: number;
  rule: string;
  comment?: string;
}

export interface WalkResult {
  verdict: FinalVerdict;
  /** Every rule that matched, in order (counters that counted, logs that logged). */
  matched: Step[];
  logs: string[];
}

const MAX_STEPS = 10_000;

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /"[^"]*"|\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[0]);
  return out;
}

type Selector = 'saddr' | 'daddr' | 'l4proto' | 'dport';

function selectorValue(sel: Selector, p: Packet): string | undefined {
  switch (sel) {
    case 'saddr': return p.saddr;
    case 'daddr': return p.daddr;
    case 'l4proto': return p.proto;
    case 'dport': return ['tcp', 'udp', 'sctp', 'udplite', 'dccp'].includes(p.proto) && p.dport !== undefined ? String(p.dport) : undefined;
  }
}

/** Does one key part of an element (value, CIDR, or lo-hi range) hold the packet's value? */
export function partHolds(part: string, value: string, sel: Selector): boolean {
  if (sel === 'l4proto') return part === value;
  if (sel === 'dport') {
    const v = Number(value);
    const [lo, hi] = part.includes('-') ? part.split('-').map(Number) : [Number(part), Number(part)];
    return v >= lo! && v <= hi!;
  }
  const a = parseAddress(value);
  if (!a) return false;
  if (part.includes('/')) {
    const iv = cidrInterval(part, a.family);
    return iv !== undefined && a.value >= iv.lo && a.value <= iv.hi;
  }
  if (part.includes('-') && !part.includes(':')) {
    const [lo, hi] = part.split('-').map(parseAddress);
    return !!lo && !!hi && a.value >= lo.value && a.value <= hi.value;
  }
  return parseAddress(part)?.value === a.value && parseAddress(part)?.family === a.family;
}

function lookup(elements: readonly ElementContent[], sels: Selector[], p: Packet): ElementContent | undefined {
  const values = sels.map((s) => selectorValue(s, p));
  if (values.some((v) => v === undefined)) return undefined;
  return elements.find((e) => e.key.length === sels.length && e.key.every((part, i) => partHolds(part, values[i]!, sels[i]!)));
}

type Outcome = { kind: 'next' } | { kind: 'verdict'; verdict: string; target?: string };

/** Evaluates one rule: 'next' when a match fails or the rule has no verdict. */
function evalRule(rs: Ruleset, text: string, p: Packet, logs: string[]): Outcome & { matched: boolean } {
  const t = tokenize(text);
  let i = 0;
  const fail = (why: string): never => { throw new Error(`walk: ${why} in rule "${text}"`); };
  while (i < t.length) {
    const tok = t[i]!;
    if (tok === 'ct' && t[i + 1] === 'state') {
      const states = (t[i + 2] ?? fail('ct state without value')).split(',');
      if (!states.includes(p.ct)) return { kind: 'next', matched: false };
      i += 3;
      continue;
    }
    if (['ip', 'ip6', 'meta', 'th'].includes(tok)) {
      const sels: Selector[] = [];
      for (;;) {
        const [a, b] = [t[i], t[i + 1]];
        if ((a === 'ip' || a === 'ip6') && (b === 'saddr' || b === 'daddr')) sels.push(b);
        else if (a === 'meta' && b === 'l4proto') sels.push('l4proto');
        else if (a === 'th' && b === 'dport') sels.push('dport');
        else fail(`unknown selector ${a} ${b}`);
        i += 2;
        if (t[i] !== '.') break;
        i++;
      }
      const next = t[i] ?? fail('selector without operand');
      if (next === 'vmap') {
        const name = (t[i + 1] ?? '').replace(/^@/, '');
        const map = rs.maps.find((m) => m.name === name) ?? fail(`no map ${name}`);
        const el = lookup(map.elements, sels, p);
        if (!el) return { kind: 'next', matched: false };
        const [verdict, target] = (el.value ?? []).join(' ').split(' ');
        return { kind: 'verdict', verdict: verdict!, target, matched: true };
      }
      if (next.startsWith('@')) {
        const set = rs.sets.find((s) => s.name === next.slice(1)) ?? fail(`no set ${next}`);
        if (set.type.length !== sels.length) fail(`set ${set.name} has ${set.type.length} key parts, matched with ${sels.length}`);
        if (!lookup(set.elements, sels, p)) return { kind: 'next', matched: false };
      } else {
        if (sels.length !== 1) fail('literal against a concatenation');
        const v = selectorValue(sels[0]!, p);
        if (v === undefined || !partHolds(next, v, sels[0]!)) return { kind: 'next', matched: false };
      }
      i++;
      continue;
    }
    if (tok === 'counter') { i++; continue; }
    if (tok === 'log' && t[i + 1] === 'prefix') {
      logs.push((t[i + 2] ?? '').replace(/^"|"$/g, ''));
      i += 3;
      continue;
    }
    if (['accept', 'drop', 'reject', 'return'].includes(tok)) return { kind: 'verdict', verdict: tok, matched: true };
    if (tok === 'jump' || tok === 'goto') return { kind: 'verdict', verdict: tok, target: t[i + 1] ?? fail(`${tok} without chain`), matched: true };
    fail(`unknown token ${tok}`);
  }
  return { kind: 'next', matched: true };
}

/** Walks `p` through the base chains of `hook` (by priority) until a final verdict. */
export function walkHook(rs: Ruleset, hook: Hook, p: Packet): WalkResult {
  const matched: Step[] = [];
  const logs: string[] = [];
  const chains = new Map(rs.chains.map((c) => [c.name, c]));
  const bases = rs.chains.filter((c) => c.base?.hook === hook).sort((a, b) => a.base!.priority - b.base!.priority);
  let steps = 0;
  for (const base of bases) {
    const stack: { chain: ChainContent; next: number }[] = [{ chain: base, next: 0 }];
    let verdict: string | undefined;
    while (stack.length > 0 && verdict === undefined) {
      const frame = stack[stack.length - 1]!;
      const rule = frame.chain.rules[frame.next];
      if (!rule) { stack.pop(); continue; }
      if (++steps > MAX_STEPS) throw new Error('walk: too many steps (a jump loop?)');
      const index = frame.next++;
      const out = evalRule(rs, rule.rule, p, logs);
      if (out.matched) matched.push({ chain: frame.chain.name, index, rule: rule.rule, ...(rule.comment !== undefined ? { comment: rule.comment } : {}) });
      if (out.kind === 'next') continue;
      if (out.verdict === 'return') { stack.pop(); continue; }
      if (out.verdict === 'jump' || out.verdict === 'goto') {
        const target = chains.get(out.target!);
        if (!target || target.base) throw new Error(`walk: ${out.verdict} to missing or base chain ${out.target}`);
        if (out.verdict === 'goto') stack.pop();
        stack.push({ chain: target, next: 0 });
        continue;
      }
      verdict = out.verdict;
    }
    const final = verdict ?? base.base!.policy ?? 'accept';
    if (final !== 'accept') return { verdict: final as FinalVerdict, matched, logs };
  }
  return { verdict: 'accept', matched, logs };
}
