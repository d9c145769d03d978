// The fake's state (fake.ts): committed tables as plain Maps, and the copy-on-write view one
// transaction works on, folded back only when every operation succeeded.
import { NftError, type NftErrorCode } from './errors.js';
import type { GraphView } from './jump-graph.js';
import { Overlay } from './overlay.js';
import { verdictTarget, type RuleRefs } from './refs.js';
import type { BaseChainSpec, ElementContent, Family, NftMap, NftSet } from './types.js';

export interface FRule { text: string; comment?: string; handle: number; refs: RuleRefs }
export interface FChain { name: string; base?: BaseChainSpec; comment?: string; rules: FRule[] }
export interface FSet { def: NftSet | NftMap; elements: Map<string, ElementContent> }
/** A set being changed by a transaction. */
export interface WSet { def: NftSet | NftMap; elements: Overlay<ElementContent> }
/** A table as a transaction sees it: overlays over the committed Maps. */
export interface WTable {
  family: Family;
  name: string;
  comment?: string;
  nextHandle: number;
  chains: Overlay<FChain>;
  sets: Overlay<FSet>;
  chainRefs: Overlay<number>;
  setRefs: Overlay<number>;
}
export interface FTable {
  family: Family;
  name: string;
  comment?: string;
  chains: Map<string, FChain>;
  sets: Map<string, FSet>;
  /** The kernel's per-table handle generator: chains, sets and rules share it. */
  nextHandle: number;
  /** How many rules and verdict-map elements jump/goto each chain. */
  chainRefs: Map<string, number>;
  /** How many rules name each set or map. */
  setRefs: Map<string, number>;
}

export const tableKey = (family: Family, name: string): string => `${family} ${name}`;
export const keyText = (key: string[]): string => key.join(' . ');
export const fail = (code: NftErrorCode, message: string): never => { throw new NftError(code, message); };
export const bump = (m: Overlay<number>, k: string, d: number): void => {
  const n = (m.get(k) ?? 0) + d;
  if (n === 0) m.delete(k); else m.set(k, n);
};

/** One transaction's working view: the table is copied once, chains and sets on first write. */
export class Working {
  private readonly copiedChains = new Set<string>();
  private readonly openSets = new Map<string, { committed: FSet; view: WSet }>();
  /** Sets created by this transaction (nft marks those used by `add @s`/`update @s` dynamic). */
  readonly newSets = new Set<string>();

  t: WTable | undefined;

  constructor(committed: FTable | undefined, readonly family: Family, readonly name: string) {
    if (committed) this.t = Working.view(committed);
  }

  static view(t: FTable): WTable {
    return {
      family: t.family, name: t.name, nextHandle: t.nextHandle, ...(t.comment !== undefined ? { comment: t.comment } : {}),
      chains: new Overlay(t.chains), sets: new Overlay(t.sets), chainRefs: new Overlay(t.chainRefs), setRefs: new Overlay(t.setRefs),
    };
  }

  table(): WTable {
    return this.t ?? fail('HAWSER_NFT_NOT_FOUND', `table ${this.family} ${this.name} does not exist`);
  }

  chain(name: string, write = false): FChain {
    const t = this.table();
    const c = t.chains.get(name) ?? fail('HAWSER_NFT_NOT_FOUND', `chain ${name} does not exist`);
    if (!write || this.copiedChains.has(name)) return c;
    const copy = { ...c, rules: [...c.rules] };
    t.chains.set(name, copy);
    this.copiedChains.add(name);
    return copy;
  }

  /** A set as this transaction sees it; the first write wraps its elements in an overlay. */
  set(name: string): WSet {
    const t = this.table();
    const open = this.openSets.get(name);
    if (open && t.sets.get(name) === open.committed) return open.view;
    const s = t.sets.get(name) ?? fail('HAWSER_NFT_NOT_FOUND', `set ${name} does not exist`);
    const view: WSet = { def: s.def, elements: new Overlay(s.elements) };
    this.openSets.set(name, { committed: s, view });
    return view;
  }

  /** The jump graph as this transaction leaves it. */
  graph(): GraphView {
    const t = this.t;
    const targets = new Map<string, string[]>();
    const mapTargets = (name: string): string[] => {
      let out = targets.get(name);
      if (!out) {
        out = [];
        const s = t?.sets.get(name);
        if (s?.def.kind === 'map' && s.def.value[0] === 'verdict') {
          for (const e of this.set(name).elements.values()) {
            const c = verdictTarget(e.value);
            if (c) out.push(c);
          }
        }
        targets.set(name, out);
      }
      return out;
    };
    return {
      baseChains: () => (t ? [...t.chains.values()].filter((c) => c.base).map((c) => c.name) : []),
      forEachChild: (name, fn) => {
        const c = t?.chains.get(name);
        if (!c) return;
        for (const r of c.rules) {
          for (const x of r.refs.chains) fn(x);
          for (const s of r.refs.sets) for (const x of mapTargets(s)) fn(x);
        }
      },
    };
  }

  /**
   * Fold the transaction's changes into the committed Maps (only on success: the overlays
   * update their base Maps in place, and the previous FTable is dropped).
   */
  commit(): FTable | undefined {
    const t = this.t;
    if (!t) return undefined;
    for (const [name, { committed, view }] of this.openSets) {
      if (t.sets.get(name) !== committed) continue; // deleted or re-created meanwhile
      t.sets.set(name, { def: view.def, elements: view.elements.commit() });
    }
    return {
      family: t.family, name: t.name, nextHandle: t.nextHandle, ...(t.comment !== undefined ? { comment: t.comment } : {}),
      chains: t.chains.commit(), sets: t.sets.commit(), chainRefs: t.chainRefs.commit(), setRefs: t.setRefs.commit(),
    };
  }

  markNew(name: string): void {
    this.copiedChains.add(name);
  }
}
