// From "what is there" and "what we want" to ONE transaction (DESIGN rule 1), like upstream
// kube-proxy's partial sync: only changed chains are flushed and refilled, only changed map
// elements are touched. A full sync rewrites everything in the same single transaction, so a
// restart never leaves a moment without rules. Chains that are no longer wanted are flushed
// at once and deleted in a later transaction: upstream waits ≥ 1 s because kernels before
// 6.2 refuse to delete a chain whose references were dropped in the same transaction.
import { Transaction } from '../src/kernel/nft/transaction.js';
import type { ObjectRef } from '../src/kernel/nft/transaction.js';
import type { ChainContent, MapContent, Ruleset, SetContent, TableContent } from '../src/kernel/nft/types.js';
import { TABLE_COMMENT } from './compile.js';

type AnySet = SetContent | MapContent;

export interface Plan {
  tx: Transaction;
  /** Flushed chains still waiting for deletion after this plan: name → when they became stale. */
  stale: Map<string, number>;
  /** Chains this plan deletes (their delay is over). */
  deleted: string[];
}

/** Chains waiting for deletion: name → time (ms) they became stale. */
export type StaleChains = ReadonlyMap<string, number>;

const baseSig = (c: ChainContent): string => JSON.stringify(c.base ? [c.base.type, c.base.hook, c.base.priority, c.base.device ?? null] : null);
const ruleSig = (c: ChainContent): string => JSON.stringify(c.rules.map((r) => [r.rule, r.comment ?? null]));
const elementKey = (k: string[]): string => k.join(' . ');
const ref = (s: Pick<AnySet, 'kind' | 'name'>): ObjectRef => (s.kind === 'map' ? { kind: 'map', name: s.name } : { kind: 'set', name: s.name });
const isDynamic = (s: AnySet): boolean => (s.flags ?? []).includes('dynamic');

/** A set's definition as the kernel keeps it: a timeout implies the flag; a packet-filled set gets a size. */
export function setSignature(s: AnySet): string {
  const flags = new Set(s.flags ?? []);
  if (s.timeout !== undefined) flags.add('timeout');
  const size = s.size ?? (flags.has('dynamic') ? 65_535 : undefined);
  return JSON.stringify([s.kind, s.type, s.kind === 'map' ? s.value : null, [...flags].sort(), s.timeout ?? null,
    size ?? null, s.typeof ?? null]);
}

function objDef(s: AnySet): Omit<AnySet, 'elements'> {
  const { elements: _e, ...def } = s;
  return def;
}

/** Rules that name a set (`@name`) must be re-added when that set is re-created. */
function chainsReferencing(chains: readonly ChainContent[], sets: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (sets.size === 0) return out;
  for (const c of chains) {
    for (const r of c.rules) {
      for (const m of r.rule.matchAll(/@([A-Za-z0-9/_.-]+)/g)) if (sets.has(m[1]!)) out.add(c.name);
    }
  }
  return out;
}

function addChainDef(tx: Transaction, c: ChainContent): void {
  tx.add({ kind: 'chain', name: c.name, ...(c.base ? { base: c.base } : {}), ...(c.comment !== undefined ? { comment: c.comment } : {}) });
}

function addRules(tx: Transaction, c: ChainContent): void {
  for (const r of c.rules) tx.add({ kind: 'rule', chain: c.name, rule: r.rule, ...(r.comment !== undefined ? { comment: r.comment } : {}) });
}

function addElements(tx: Transaction, s: AnySet, only?: Iterable<string>): void {
  const want = only ? new Set(only) : undefined;
  for (const e of s.elements) {
    if (want && !want.has(elementKey(e.key))) continue;
    tx.add({ kind: 'element', set: s.name, key: e.key, ...(e.value ? { value: e.value } : {}), ...(e.timeout !== undefined ? { timeout: e.timeout } : {}) });
  }
}

/**
 * Stale bookkeeping: chains that became unwanted now join with `now`; chains wanted again
 * or already gone leave; those whose delay is over are deleted by this plan.
 */
function nextStale(stale: StaleChains, becameStale: Iterable<string>, desired: ReadonlySet<string>, existing: ReadonlySet<string>, now: number, delayMs: number): { stale: Map<string, number>; due: string[] } {
  const all = new Map<string, number>(stale);
  for (const n of becameStale) if (!all.has(n)) all.set(n, now);
  const out = new Map<string, number>();
  const due: string[] = [];
  for (const [name, since] of all) {
    if (desired.has(name) || !existing.has(name)) continue;
    if (now - since >= delayMs) due.push(name); else out.set(name, since);
  }
  return { stale: out, due: due.sort() };
}

/**
 * Full sync: everything in one transaction over whatever the table holds now (`existing`,
 * e.g. read back at start-up; undefined when there is no table). `flush table` empties every
 * chain, sets and maps are refilled, dynamic sets (ClientIP affinity) keep their entries when
 * their definition is unchanged.
 */
export function planFull(existing: TableContent | undefined, desired: Ruleset, stale: StaleChains, now: number, delayMs: number): Plan {
  const tx = new Transaction(desired.family, desired.name);
  tx.add({ kind: 'table', comment: desired.comment ?? TABLE_COMMENT });
  const wantChains = new Set(desired.chains.map((c) => c.name));
  const haveChains = new Set((existing?.chains ?? []).map((c) => c.name));
  const haveSets = new Map([...(existing?.sets ?? []), ...(existing?.maps ?? [])].map((s) => [s.name, s]));
  const wantSets = [...desired.sets, ...desired.maps];
  if (existing) tx.flush({ kind: 'table' });
  // Sets first: nothing references them once every chain is empty, but map elements still
  // reference chains, so maps are emptied or deleted before stale chains go.
  for (const [name, s] of haveSets) {
    const want = wantSets.find((w) => w.name === name);
    if (want && setSignature(want) === setSignature(s)) {
      if (!isDynamic(s)) tx.flush(ref(s));
    } else {
      tx.delete(ref(s));
    }
  }
  // A chain whose hook, type or priority changed (an upgrade) cannot be altered in place:
  // the kernel refuses (EOPNOTSUPP). Emptied by the flush, it can be deleted and re-created
  // in this same transaction.
  const haveBase = new Map((existing?.chains ?? []).map((c) => [c.name, baseSig(c)]));
  for (const c of desired.chains) {
    if (haveBase.has(c.name) && haveBase.get(c.name) !== baseSig(c)) tx.delete({ kind: 'chain', name: c.name });
  }
  for (const c of desired.chains) addChainDef(tx, c);
  for (const s of wantSets) {
    const have = haveSets.get(s.name);
    if (!have || setSignature(have) !== setSignature(s)) tx.add(objDef(s) as AnySet);
    addElements(tx, s);
  }
  for (const c of desired.chains) addRules(tx, c);
  const unwanted = [...haveChains].filter((n) => !wantChains.has(n));
  const next = nextStale(stale, unwanted, wantChains, haveChains, now, delayMs);
  for (const name of next.due) tx.delete({ kind: 'chain', name });
  return { tx, stale: next.stale, deleted: next.due };
}

/**
 * Partial sync from the last applied Ruleset (exactly what we sent, not a kernel listing).
 * Order inside the transaction: new objects, flushes, element deletions, set re-creation,
 * element additions, rules, then deletion of chains whose delay is over.
 */
export function planPartial(last: Ruleset, desired: Ruleset, stale: StaleChains, now: number, delayMs: number): Plan {
  const tx = new Transaction(desired.family, desired.name);
  const oldChains = new Map(last.chains.map((c) => [c.name, c]));
  const newChains = new Map(desired.chains.map((c) => [c.name, c]));
  const oldSets = new Map<string, AnySet>([...last.sets, ...last.maps].map((s) => [s.name, s]));
  const newSets = new Map<string, AnySet>([...desired.sets, ...desired.maps].map((s) => [s.name, s]));

  const redefined = new Set([...newSets].filter(([n, s]) => oldSets.has(n) && setSignature(oldSets.get(n)!) !== setSignature(s)).map(([n]) => n));
  const removedSets = [...oldSets.keys()].filter((n) => !newSets.has(n));
  const mustRefill = chainsReferencing([...newChains.values()], redefined);
  // A removed set's referencing chains are removed or changed too (their text names it).
  const changed: ChainContent[] = [];
  const added: ChainContent[] = [];
  for (const [name, c] of newChains) {
    const old = oldChains.get(name);
    if (!old) added.push(c);
    else if (ruleSig(old) !== ruleSig(c) || mustRefill.has(name)) changed.push(c);
  }
  const gone = [...oldChains.keys()].filter((n) => !newChains.has(n));

  for (const c of added) addChainDef(tx, c);
  for (const [name, s] of newSets) if (!oldSets.has(name)) tx.add(objDef(s) as AnySet);
  for (const c of changed) tx.flush({ kind: 'chain', name: c.name });
  for (const name of gone) tx.flush({ kind: 'chain', name });

  // Elements of sets that stay (dynamic sets are filled by packets, not by us).
  const elementAdds: Array<{ s: AnySet; keys: string[] }> = [];
  for (const [name, s] of newSets) {
    const old = oldSets.get(name);
    if (!old || redefined.has(name) || isDynamic(s)) continue;
    const before = new Map(old.elements.map((e) => [elementKey(e.key), JSON.stringify(e.value ?? null)]));
    const after = new Map(s.elements.map((e) => [elementKey(e.key), JSON.stringify(e.value ?? null)]));
    for (const e of old.elements) {
      const k = elementKey(e.key);
      // A changed value is delete + add: nft refuses to add an element with another value.
      if (!after.has(k) || after.get(k) !== before.get(k)) tx.delete({ kind: 'element', set: name, key: e.key });
    }
    const keys = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
    if (keys.length) elementAdds.push({ s, keys });
  }
  for (const name of [...redefined, ...removedSets]) tx.delete(ref(oldSets.get(name)!));
  for (const name of redefined) tx.add(objDef(newSets.get(name)!) as AnySet);
  for (const [name, s] of newSets) if (!oldSets.has(name) || redefined.has(name)) addElements(tx, s);
  for (const { s, keys } of elementAdds) addElements(tx, s, keys);
  for (const c of [...added, ...changed]) addRules(tx, c);

  // Stale chains from earlier syncs still exist (flushed, unreferenced) unless wanted again.
  const existing = new Set([...oldChains.keys(), ...stale.keys()]);
  const next = nextStale(stale, gone, new Set(newChains.keys()), existing, now, delayMs);
  for (const name of next.due) tx.delete({ kind: 'chain', name });
  return { tx, stale: next.stale, deleted: next.due };
}
