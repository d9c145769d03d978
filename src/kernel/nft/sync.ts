// Turning a compiler's desired TableContent into ONE transaction that makes the table equal
// to it, whatever the table held before (the "full sync" of DESIGN rule 5; partial syncs
// that touch only changed services are built by their owners on top of Transaction).
//
// Order inside the transaction follows the kernel's reference rules: rules and elements are
// flushed before anything is deleted (a chain or set still referenced is EBUSY), and
// objects are added before the rules and elements that refer to them (ENOENT otherwise).
// The kernel commits the batch atomically, so packets never see the flushed state.
import { Transaction, type ObjectRef } from './transaction.js';
import type { MapContent, NftMap, NftSet, SetContent, TableContent } from './types.js';

const setDef = (s: SetContent | MapContent): NftSet | NftMap => {
  const { elements: _elements, ...def } = s;
  return def;
};

/** Same kernel-visible definition (what `add set` of an existing set must match). */
function sameDef(a: SetContent | MapContent, b: SetContent | MapContent): boolean {
  const sig = (s: SetContent | MapContent): string => JSON.stringify([
    s.kind, s.type, s.typeof ?? null, s.kind === 'map' ? s.value : null, [...new Set([...(s.flags ?? []), ...(s.timeout !== undefined ? ['timeout'] : [])])].sort(),
    s.timeout ?? null, s.size ?? null,
  ]);
  return sig(a) === sig(b);
}

/** Add every object of `content` to `tx`: sets, maps and chains first, then elements and rules. */
export function addContent(tx: Transaction, content: TableContent): Transaction {
  tx.add({ kind: 'table', ...(content.comment !== undefined ? { comment: content.comment } : {}) });
  for (const s of [...content.sets, ...content.maps]) tx.add(setDef(s));
  for (const { rules: _rules, ...chain } of content.chains) tx.add(chain);
  for (const s of [...content.sets, ...content.maps]) {
    for (const e of s.elements) tx.add({ kind: 'element', set: s.name, ...e });
  }
  for (const c of content.chains) {
    for (const r of c.rules) {
      tx.add({ kind: 'rule', chain: c.name, rule: r.rule, ...(r.comment !== undefined ? { comment: r.comment } : {}) });
    }
  }
  return tx;
}

/**
 * One transaction that replaces the table's content with `desired`. `current` is what the
 * table holds now (listTable()), or undefined when it does not exist.
 *
 * A base chain whose type, hook, priority or device changed is deleted and re-added (the
 * kernel refuses to change them in place); so is a set or map whose definition changed.
 * Sets with the `dynamic` flag keep their elements when their definition is unchanged;
 * declare them as the kernel lists them (flags dynamic, an explicit size) or they are
 * re-created, and emptied, at every sync.
 */
export function replaceTableTransaction(desired: TableContent, current: TableContent | undefined): Transaction {
  const tx = new Transaction(desired.family, desired.name);
  if (current) {
    const want = new Map(desired.chains.map((c) => [c.name, c]));
    const wantSets = new Map([...desired.sets, ...desired.maps].map((s) => [s.name, s]));
    for (const c of current.chains) tx.flush({ kind: 'chain', name: c.name });
    for (const s of [...current.sets, ...current.maps]) {
      const w = wantSets.get(s.name);
      const ref: ObjectRef = s.kind === 'map' ? { kind: 'map', name: s.name } : { kind: 'set', name: s.name };
      if (!w || !sameDef(w, s)) {
        tx.flush(ref).delete(ref);
      } else if (!s.flags?.includes('dynamic')) {
        // A dynamic set's elements come from the packet path (ClientIP affinity): keep them.
        tx.flush(ref);
      }
    }
    for (const c of current.chains) {
      const w = want.get(c.name);
      const b = c.base;
      const wb = w?.base;
      const changed = !!b !== !!wb || (b && wb && (b.type !== wb.type || b.hook !== wb.hook || b.priority !== wb.priority || b.device !== wb.device));
      if (!w || changed) tx.delete({ kind: 'chain', name: c.name });
    }
  }
  return addContent(tx, desired);
}
