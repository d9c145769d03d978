// An in-memory nftables that behaves like the kernel plus nft 1.0.6 for the operations
// hawser uses, so compilers and sync loops can be tested without root (DESIGN rule 2).
// A transaction runs against a copy-on-write view of the table and is kept only if every
// operation succeeds; each refusal carries the same catalogue code the real nft gives
// (netns-tests/nft-differential.t.ts checks both side by side).
//
// Not modelled: rule syntax (any text is accepted, then canonicalised), overlaps of
// concatenated interval keys, element expiry over time, handles burnt by batches the kernel
// rejects.
import type { NftBackend } from './backend.js';
import { canonicalPart, canonicalRule } from './canonical.js';
import { intervalOf, partProblem } from './datatypes.js';
import { normalisedDump } from './dump.js';
import { NftError } from './errors.js';
import { Working, bump, fail, keyText, tableKey, type FRule, type FChain, type FTable, type WTable } from './fake-state.js';
import { expandOps, type LowOp } from './render.js';
import { jumpGraphProblem } from './jump-graph.js';
import type { Overlay } from './overlay.js';
import { ruleRefs, verdictTarget, type RuleRefs } from './refs.js';
import type { ObjectRef, Transaction } from './transaction.js';
import type {
  Chain, Element, ElementContent, Family, NftMap, NftSet, Rule, Table, TableContent, TableRef,
} from './types.js';

/** Flags as the kernel keeps them: a default timeout implies the timeout flag. */
function normaliseSet<T extends NftSet | NftMap>(s: T): T {
  const flags = new Set(s.flags ?? []);
  if (s.timeout !== undefined) flags.add('timeout');
  const out: T = { ...s };
  // The kernel lists a typeof expression the way nft prints that expression.
  if (s.typeof !== undefined) out.typeof = canonicalRule(s.typeof, 'ip');
  if (flags.size > 0) out.flags = [...flags].sort(); else delete out.flags;
  return out;
}

function sameSet(a: NftSet | NftMap, b: NftSet | NftMap): boolean {
  const sig = (s: NftSet | NftMap): string => JSON.stringify([
    s.kind, s.type, s.typeof ?? null, s.kind === 'map' ? s.value : null, s.flags ?? [], s.timeout ?? null, s.size ?? null,
  ]);
  return sig(a) === sig(b);
}


export class FakeNft implements NftBackend {
  private readonly tables = new Map<string, FTable>();

  async apply(tx: Transaction): Promise<void> {
    this.applySync(tx);
  }

  /** apply() without the promise, for synchronous unit tests. */
  applySync(tx: Transaction): void {
    if (tx.error) throw tx.error;
    const key = tableKey(tx.family, tx.table);
    const w = new Working(this.tables.get(key), tx.family, tx.table);
    for (const op of expandOps(tx.ops)) {
      try {
        applyOp(w, op);
      } catch (e) {
        if (e instanceof NftError) throw new NftError(e.code, `op ${op.from} (${op.verb} ${op.obj.kind}): ${e.message}`, op.from);
        throw e;
      }
    }
    // Only new rules or elements add edges; deleting cannot create a loop.
    const grows = tx.ops.some((op) => op.verb !== 'delete' && op.verb !== 'flush' && (op.obj.kind === 'rule' || op.obj.kind === 'element'));
    const loop = grows ? jumpGraphProblem(w.graph()) : undefined;
    if (loop) throw new NftError('HAWSER_NFT_LOOP', loop, tx.ops.length - 1);
    const committed = w.commit();
    if (committed) this.tables.set(key, committed); else this.tables.delete(key);
  }

  async listTable(family: Family, name: string): Promise<TableContent | undefined> {
    return this.listTableSync(family, name);
  }

  listTableSync(family: Family, name: string): TableContent | undefined {
    const t = this.tables.get(tableKey(family, name));
    return t ? contentOf(t) : undefined;
  }

  async listTables(): Promise<TableRef[]> {
    return [...this.tables.values()].map((t) => ({ family: t.family, name: t.name }));
  }

  async dump(family: Family, name: string): Promise<string | undefined> {
    return this.dumpSync(family, name);
  }

  dumpSync(family: Family, name: string): string | undefined {
    const t = this.listTableSync(family, name);
    return t ? normalisedDump(t) : undefined;
  }
}

function contentOf(t: FTable): TableContent {
  const out: TableContent = { family: t.family, name: t.name, chains: [], sets: [], maps: [] };
  if (t.comment !== undefined) out.comment = t.comment;
  for (const c of t.chains.values()) {
    out.chains.push({
      kind: 'chain', name: c.name, ...(c.base ? { base: { ...c.base, policy: c.base.policy ?? 'accept' } } : {}),
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
      rules: c.rules.map((r) => ({ rule: r.text, handle: r.handle, ...(r.comment !== undefined ? { comment: r.comment } : {}) })),
    });
  }
  for (const s of t.sets.values()) {
    // The kernel reports an element's timeout only when it differs from the set default.
    const elements = [...s.elements.values()].map((e) => (e.timeout !== undefined && e.timeout === s.def.timeout ? { ...e, timeout: undefined } : e))
      .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as ElementContent);
    if (s.def.kind === 'map') out.maps.push({ ...s.def, elements }); else out.sets.push({ ...s.def, elements });
  }
  return out;
}

function applyOp(w: Working, op: LowOp): void {
  const o = op.obj;
  switch (o.kind) {
    case 'table': return tableOp(w, op.verb, o as Table);
    case 'chain': return chainOp(w, op.verb, o as Chain);
    case 'rule': return ruleOp(w, op.verb, o as Rule);
    case 'set': case 'map': return setOp(w, op.verb, o as NftSet | NftMap);
    case 'element': return elementOp(w, op.verb, o as Element);
  }
}

function tableOp(w: Working, verb: LowOp['verb'], o: Table): void {
  if (verb === 'add' || verb === 'create') {
    if (w.t) {
      if (verb === 'create') fail('HAWSER_NFT_EXISTS', `table ${w.name} exists`);
      return; // nft leaves an existing table's comment as it was.
    }
    w.t = Working.view({
      family: w.family, name: w.name, chains: new Map(), sets: new Map(), nextHandle: 1,
      chainRefs: new Map(), setRefs: new Map(), ...(o.comment !== undefined ? { comment: o.comment } : {}),
    });
    return;
  }
  const t = w.table();
  if (verb === 'delete') { w.t = undefined; return; }
  if (verb === 'flush') for (const name of [...t.chains.keys()]) flushChain(w, name);
}

function chainOp(w: Working, verb: LowOp['verb'], o: Chain | Extract<ObjectRef, { kind: 'chain' }>): void {
  const t = w.table();
  const existing = t.chains.get(o.name);
  const spec = 'base' in o ? o.base : undefined;
  if (verb === 'add' || verb === 'create') {
    if (!existing) {
      const c: FChain = { name: o.name, rules: [], ...(spec ? { base: { ...spec, policy: spec.policy ?? 'accept' } } : {}) };
      if ('comment' in o && o.comment !== undefined) c.comment = o.comment;
      t.nextHandle++;
      t.chains.set(o.name, c);
      w.markNew(o.name);
      return;
    }
    if (verb === 'create') fail('HAWSER_NFT_EXISTS', `chain ${o.name} exists`);
    if (!spec) return;
    if (!existing.base) fail('HAWSER_NFT_EXISTS', `chain ${o.name} exists as a regular chain`);
    const b = existing.base!;
    if (b.type !== spec.type || b.hook !== spec.hook || b.priority !== spec.priority || b.device !== spec.device) {
      fail('HAWSER_NFT_UNSUPPORTED', `base chain ${o.name} cannot change type, hook, priority or device`);
    }
    w.chain(o.name, true).base = { ...b, policy: spec.policy ?? 'accept' };
    return;
  }
  if (!existing) fail('HAWSER_NFT_NOT_FOUND', `chain ${o.name} does not exist`);
  if (verb === 'flush') return flushChain(w, o.name);
  if (verb === 'delete') {
    // Only references make a chain busy: kernel 6.18 + nft 1.0.6 delete an unreferenced
    // chain together with its rules (checked in a namespace; the rules' own references
    // are released with them).
    if (t.chainRefs.get(o.name)) fail('HAWSER_NFT_BUSY', `chain ${o.name} is still a jump/goto target`);
    flushChain(w, o.name);
    t.chains.delete(o.name);
  }
}

function flushChain(w: Working, name: string): void {
  const c = w.chain(name, true);
  for (const r of c.rules) unref(w.table(), r.refs);
  c.rules = [];
}

function unref(t: WTable, refs: RuleRefs): void {
  for (const c of refs.chains) bump(t.chainRefs, c, -1);
  for (const s of refs.sets) bump(t.setRefs, s, -1);
}

function checkChainTarget(t: WTable, name: string): void {
  const target = t.chains.get(name) ?? fail('HAWSER_NFT_NOT_FOUND', `jump/goto target chain ${name} does not exist`);
  // The kernel refuses jumps to base chains (nft_chain_validate: EOPNOTSUPP).
  if (target.base) fail('HAWSER_NFT_UNSUPPORTED', `cannot jump/goto base chain ${name}`);
}

/**
 * Canonical text and references of a rule text, memoised: full syncs re-add the same rule
 * texts over and over, and canonicalising costs tens of µs per rule. Entries are immutable.
 */
const ruleCache = new Map<string, { text: string; refs: RuleRefs }>();
function parsedRule(rule: string, family: Family): { text: string; refs: RuleRefs } {
  const key = `${family}\n${rule}`;
  let hit = ruleCache.get(key);
  if (!hit) {
    if (ruleCache.size >= 200_000) ruleCache.clear();
    const text = canonicalRule(rule, family);
    hit = { text, refs: ruleRefs(text) };
    ruleCache.set(key, hit);
  }
  return hit;
}

function ruleOp(w: Working, verb: LowOp['verb'], o: Rule): void {
  const t = w.table();
  const chain = w.chain(o.chain, true);
  const at = (handle: number): number => {
    const i = chain.rules.findIndex((r) => r.handle === handle);
    return i >= 0 ? i : fail('HAWSER_NFT_NOT_FOUND', `no rule with handle ${handle} in chain ${o.chain}`);
  };
  if (verb === 'delete') {
    const i = at(o.handle!);
    unref(t, chain.rules[i]!.refs);
    chain.rules.splice(i, 1);
    return;
  }
  const { text, refs } = parsedRule(o.rule, w.family);
  for (const c of refs.chains) checkChainTarget(t, c);
  for (const s of refs.sets) if (!t.sets.has(s)) fail('HAWSER_NFT_NOT_FOUND', `set ${s} does not exist`);
  for (const s of refs.dynsets) {
    // nft gives a set filled from the packet path a size, and marks it dynamic when it is
    // created in the same batch (observed with nft 1.0.6).
    const set = w.set(s);
    const def = { ...set.def };
    if (def.size === undefined) def.size = 65535;
    if (w.newSets.has(s)) def.flags = [...new Set([...(def.flags ?? []), 'dynamic' as const])].sort();
    set.def = def;
  }
  t.nextHandle += refs.anonymousSets;
  // A replaced rule keeps its handle (observed on kernel 6.18), so later operations by
  // that handle still find it.
  const handle = verb === 'replace' ? o.handle! : t.nextHandle++;
  const rule: FRule = { text, handle, refs, ...(o.comment !== undefined ? { comment: o.comment } : {}) };
  let pos: number;
  if (verb === 'replace') {
    pos = at(o.handle!);
    unref(t, chain.rules[pos]!.refs);
    chain.rules.splice(pos, 1);
  } else if (o.index !== undefined) {
    if (o.index >= chain.rules.length) fail('HAWSER_NFT_NOT_FOUND', `chain ${o.chain} has no rule at index ${o.index}`);
    pos = verb === 'insert' ? o.index : o.index + 1;
  } else if (o.handle !== undefined) {
    pos = verb === 'insert' ? at(o.handle) : at(o.handle) + 1;
  } else {
    pos = verb === 'insert' ? 0 : chain.rules.length;
  }
  for (const c of refs.chains) bump(t.chainRefs, c, 1);
  for (const s of refs.sets) bump(t.setRefs, s, 1);
  chain.rules.splice(pos, 0, rule);
}

function setOp(w: Working, verb: LowOp['verb'], o: NftSet | NftMap | Extract<ObjectRef, { kind: 'set' | 'map' }>): void {
  const t = w.table();
  const existing = t.sets.get(o.name);
  if (verb === 'add' || verb === 'create') {
    const def = normaliseSet(o as NftSet | NftMap);
    if (existing) {
      if (verb === 'create' || !sameSet(existing.def, def)) fail('HAWSER_NFT_EXISTS', `${existing.def.kind} ${o.name} exists`);
      return;
    }
    t.nextHandle++;
    t.sets.set(o.name, { def, elements: new Map() });
    w.newSets.add(o.name);
    return;
  }
  if (!existing) fail('HAWSER_NFT_NOT_FOUND', `${o.kind} ${o.name} does not exist`);
  if (verb === 'delete' && t.setRefs.get(o.name)) fail('HAWSER_NFT_BUSY', `${o.kind} ${o.name} is still used by a rule`);
  const view = w.set(o.name);
  for (const e of view.elements.values()) {
    const target = verdictTarget(e.value);
    if (target) bump(t.chainRefs, target, -1);
  }
  if (verb === 'delete') t.sets.delete(o.name);
  else view.elements.clear();
}

/**
 * Linear in the set's size: interval sets (CIDRs, port ranges) stay small in hawser. nft
 * reports an overlap with a committed element as "interval overlaps with an existing one"
 * (EEXIST), and one with an element of the same batch as "conflicting intervals specified".
 */
function checkOverlap(existing: Overlay<ElementContent>, part: string, datatype: string | undefined, set: string): void {
  const mine = intervalOf(part, datatype);
  if (!mine) return;
  for (const e of existing.values()) {
    const other = intervalOf(e.key[0]!, datatype);
    if (other && mine[0] <= other[1] && other[0] <= mine[1]) {
      if (existing.changed(keyText(e.key))) fail('HAWSER_NFT_INVALID', `conflicting intervals ${part} and ${e.key[0]} in ${set}`);
      fail('HAWSER_NFT_EXISTS', `interval ${part} overlaps ${e.key[0]} in ${set}`);
    }
  }
}

function elementOp(w: Working, verb: LowOp['verb'], o: Element): void {
  const t = w.table();
  const set = w.set(o.set);
  const def = set.def;
  const interval = def.flags?.includes('interval') ?? false;
  if (o.key.length !== def.type.length) fail('HAWSER_NFT_INVALID', `datatype mismatch: key has ${o.key.length} parts, ${o.set} has ${def.type.length}`);
  o.key.forEach((p, i) => {
    const problem = partProblem(p.trim().replace(/\s+/g, ' '), def.type[i], interval);
    if (problem) fail('HAWSER_NFT_INVALID', problem);
  });
  const key = o.key.map((p, i) => canonicalPart(p, def.type[i]));
  const k = keyText(key);
  if (verb === 'delete') {
    const old = set.elements.get(k) ?? fail('HAWSER_NFT_NOT_FOUND', `element ${k} does not exist in ${o.set}`);
    const target = verdictTarget(old.value);
    if (target) bump(t.chainRefs, target, -1);
    set.elements.delete(k);
    return;
  }
  if (def.kind === 'set' && o.value !== undefined) fail('HAWSER_NFT_INVALID', `${o.set} is not a map`);
  if (def.kind === 'map') {
    if (o.value === undefined) fail('HAWSER_NFT_INVALID', `map ${o.set} element needs a value`);
    if (o.value!.length !== def.value.length) fail('HAWSER_NFT_INVALID', `datatype mismatch: value has ${o.value!.length} parts`);
    o.value!.forEach((p, i) => {
      const problem = partProblem(p.trim().replace(/\s+/g, ' '), def.value[i], false);
      if (problem) fail('HAWSER_NFT_INVALID', problem);
    });
  }
  if (o.timeout !== undefined && !def.flags?.includes('timeout')) fail('HAWSER_NFT_INVALID', `${o.set} has no timeout flag`);
  const value = def.kind === 'map' ? o.value!.map((p, i) => canonicalPart(p, def.value[i])) : undefined;
  const target = verdictTarget(value);
  if (target) checkChainTarget(t, target);
  const old = set.elements.get(k);
  if (old) {
    if (verb === 'create' || keyText(old.value ?? []) !== keyText(value ?? [])) fail('HAWSER_NFT_EXISTS', `element ${k} exists in ${o.set}`);
    return;
  }
  if (interval && key.length === 1) checkOverlap(set.elements, key[0]!, def.type[0], o.set);
  const e: ElementContent = { key, ...(value ? { value } : {}) };
  const timeout = o.timeout ?? def.timeout;
  if (timeout !== undefined) e.timeout = timeout;
  if (o.comment !== undefined) e.comment = o.comment;
  if (target) bump(t.chainRefs, target, 1);
  set.elements.set(k, e);
}
