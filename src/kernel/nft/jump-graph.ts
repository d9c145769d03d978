// The kernel's jump-graph check, run on every commit (nft_chain_validate): starting from
// each base chain, following jump/goto verdicts of rules and of verdict-map elements, the
// nesting level may not reach NFT_JUMP_STACK_SIZE (16) and there may be no cycle; either
// fails the whole transaction with EMLINK ("Too many links"). Chains no base chain reaches
// are not checked (observed: a jump cycle between two unattached chains loads).
import { verdictTarget } from './refs.js';
import type { ElementContent } from './types.js';

export const JUMP_STACK_SIZE = 16;

export interface GraphView {
  baseChains(): Iterable<string>;
  /** Chains a chain's rules jump/goto directly, and the maps its rules look up. */
  edges(chain: string): { chains: string[]; sets: string[] };
  elements(set: string): Iterable<ElementContent> | undefined;
}

/** Why the graph would be refused, or undefined. */
export function jumpGraphProblem(g: GraphView): string | undefined {
  // height(c) = longest chain of jumps starting at c; cycles are found by the grey mark.
  const height = new Map<string, number>();
  const grey = new Set<string>();
  const mapTargets = new Map<string, string[]>();
  const targetsOf = (set: string): string[] => {
    let t = mapTargets.get(set);
    if (!t) {
      t = [];
      for (const e of g.elements(set) ?? []) {
        const c = verdictTarget(e.value);
        if (c) t.push(c);
      }
      mapTargets.set(set, t);
    }
    return t;
  };
  let problem: string | undefined;
  const visit = (c: string): number => {
    const known = height.get(c);
    if (known !== undefined) return known;
    if (grey.has(c)) {
      problem ??= `jump loop through chain ${c}`;
      return JUMP_STACK_SIZE;
    }
    grey.add(c);
    const { chains, sets } = g.edges(c);
    let h = 0;
    for (const next of [...chains, ...sets.flatMap(targetsOf)]) {
      h = Math.max(h, 1 + visit(next));
      if (problem) break;
    }
    grey.delete(c);
    height.set(c, h);
    return h;
  };
  for (const base of g.baseChains()) {
    if (visit(base) >= JUMP_STACK_SIZE) problem ??= `jumps from base chain ${base} nest ${JUMP_STACK_SIZE} or more levels deep`;
    if (problem) return problem;
  }
  return undefined;
}
