// Previous ruleset → next ruleset as ONE nft transaction that touches only what changed:
// set and map elements one by one (a pod coming or going is an element in a few peer sets
// and maybe one map element), whole chains only when their rules changed (flush + refill),
// new objects added, stale ones deleted.
//
// Order matters inside a transaction: the kernel resolves every reference as the batch is
// read, so a set or chain must exist before a rule or map element points at it, and a
// chain or set can only be deleted once nothing points at it any more (else EBUSY).
import { Transaction } from '../../src/kernel/nft/transaction.js';
import type { ChainContent, ElementContent, MapContent, Ruleset, SetContent } from '../../src/kernel/nft/types.js';

type SetLike = SetContent | MapContent;

const elementKey = (e: ElementContent): string => e.key.join(' . ');
const elementValue = (e: ElementContent): string => (e.value ?? []).join(' . ');

function definition(s: SetLike): string {
  const { elements: _e, ...def } = s;
  return JSON.stringify(def);
}

function chainDefinition(c: ChainContent): string {
  return JSON.stringify({ base: c.base ?? null, comment: c.comment ?? null });
}

const rulesText = (c: ChainContent): string => JSON.stringify(c.rules.map((r) => [r.rule, r.comment ?? null]));

function byName<T extends { name: string }>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((x) => [x.name, x]));
}

function setDef(s: SetLike): SetLike {
  const { elements: _e, ...def } = s;
  return def as SetLike;
}

/** Everything in `next`, from nothing; removes a leftover table of the same name first. */
export function fullTransaction(next: Ruleset): Transaction {
  const tx = new Transaction(next.family, next.name);
  // `destroy table` (add + delete on nft 1.0.6) clears leftovers of a crashed run in the
  // same atomic commit that installs the new content: no window without policy.
  tx.destroy({ kind: 'table' });
  tx.add({ kind: 'table', ...(next.comment !== undefined ? { comment: next.comment } : {}) });
  addAll(tx, [], next.sets, next.maps, [], next.chains);
  return tx;
}

function addAll(
  tx: Transaction, existingChains: readonly ChainContent[], newSets: readonly SetContent[], newMaps: readonly MapContent[],
  changedChains: readonly ChainContent[], newChains: readonly ChainContent[],
): void {
  for (const s of newSets) {
    tx.add(setDef(s));
    for (const e of s.elements) tx.add({ kind: 'element', set: s.name, ...e });
  }
  for (const m of newMaps) tx.add(setDef(m));
  for (const c of newChains) tx.add({ kind: 'chain', name: c.name, ...(c.base ? { base: c.base } : {}), ...(c.comment !== undefined ? { comment: c.comment } : {}) });
  for (const c of existingChains) tx.flush({ kind: 'chain', name: c.name });
  for (const c of [...newChains, ...changedChains]) {
    for (const r of c.rules) tx.add({ kind: 'rule', chain: c.name, rule: r.rule, ...(r.comment !== undefined ? { comment: r.comment } : {}) });
  }
  // Verdict map elements last: the chains they jump to now exist.
  for (const m of newMaps) for (const e of m.elements) tx.add({ kind: 'element', set: m.name, ...e });
}

/**
 * The transaction taking the kernel from `prev` (what was last applied) to `next`.
 * Without `prev` (first sync, or after a failed apply left the state unknown) it is a
 * full replacement. An empty transaction (size 0) means nothing changed.
 */
export function diffPolicy(prev: Ruleset | undefined, next: Ruleset): Transaction {
  if (!prev || prev.family !== next.family || prev.name !== next.name) return fullTransaction(next);
  const prevSets = byName<SetLike>([...prev.sets, ...prev.maps]);
  const nextSets = byName<SetLike>([...next.sets, ...next.maps]);
  // A set whose type or flags changed cannot be altered in place and every rule using it
  // would need to let go first; our names encode the shape, so this is only a safety net.
  for (const [name, s] of nextSets) {
    const p = prevSets.get(name);
    if (p && (p.kind !== s.kind || definition(p) !== definition(s))) return fullTransaction(next);
  }
  const prevChains = byName(prev.chains);
  const nextChains = byName(next.chains);
  for (const [name, c] of nextChains) {
    const p = prevChains.get(name);
    if (p && chainDefinition(p) !== chainDefinition(c)) return fullTransaction(next);
  }

  const tx = new Transaction(next.family, next.name);
  const newSets = next.sets.filter((s) => !prevSets.has(s.name));
  const newMaps = next.maps.filter((m) => !prevSets.has(m.name));
  const newChains = next.chains.filter((c) => !prevChains.has(c.name));
  const changedChains = next.chains.filter((c) => prevChains.has(c.name) && rulesText(prevChains.get(c.name)!) !== rulesText(c));

  for (const s of next.sets) {
    const p = prevSets.get(s.name);
    if (p) elementDiff(tx, p, s);
  }
  addAll(tx, changedChains, newSets, newMaps, changedChains, newChains);
  // Verdict map elements after the chains they jump to exist, and before the chains they
  // no longer jump to are deleted.
  for (const m of next.maps) {
    const p = prevSets.get(m.name);
    if (p) elementDiff(tx, p, m);
  }

  const goneChains = prev.chains.filter((c) => !nextChains.has(c.name));
  for (const c of goneChains) tx.flush({ kind: 'chain', name: c.name });
  for (const c of goneChains) tx.delete({ kind: 'chain', name: c.name });
  for (const s of prev.sets) if (!nextSets.has(s.name)) tx.delete({ kind: 'set', name: s.name });
  for (const m of prev.maps) if (!nextSets.has(m.name)) tx.delete({ kind: 'map', name: m.name });
  return tx;
}

/**
 * Element-wise change of one set or map. A map element whose verdict changed is deleted
 * and re-added (nft has no element replace); the commit is atomic, so no packet sees the
 * gap.
 */
function elementDiff(tx: Transaction, prev: SetLike, next: SetLike): void {
  const before = new Map(prev.elements.map((e) => [elementKey(e), e]));
  const after = new Map(next.elements.map((e) => [elementKey(e), e]));
  for (const [k, e] of before) {
    const n = after.get(k);
    if (n && elementValue(n) === elementValue(e)) continue;
    tx.delete({ kind: 'element', set: prev.name, key: e.key });
  }
  for (const [k, e] of after) {
    const p = before.get(k);
    if (p && elementValue(p) === elementValue(e)) continue;
    tx.add({ kind: 'element', set: next.name, ...e });
  }
}
