// The kernel's jump-graph check, run on every commit (nft_chain_validate): starting from
// each base chain, following jump/goto verdicts of rules and of verdict-map elements, the
// nesting level may not reach NFT_JUMP_STACK_SIZE (16) and there may be no cycle; either
// fails the whole transaction with EMLINK ("Too many links"). Chains no base chain reaches
// are not checked (observed: a jump cycle between two unattached chains loads).

export const JUMP_STACK_SIZE = 16;

export interface GraphView {
  baseChains(): Iterable<string>;
  /** Calls `fn` for every chain that `chain` jumps or goes to, directly or through a verdict map. */
  forEachChild(chain: string, fn: (child: string) => void): void;
}

/** Why the graph would be refused, or undefined. O(chains + edges) reachable from base chains. */
export function jumpGraphProblem(g: GraphView): string | undefined {
  // height(c) = longest chain of jumps starting at c; a cycle is found by the grey mark.
  const height = new Map<string, number>();
  const grey = new Set<string>();
  let problem: string | undefined;
  const visit = (c: string): number => {
    const known = height.get(c);
    if (known !== undefined) return known;
    if (grey.has(c)) {
      problem ??= `jump loop through chain ${c}`;
      return JUMP_STACK_SIZE;
    }
    grey.add(c);
    let h = 0;
    g.forEachChild(c, (next) => {
      if (problem) return;
      const d = 1 + visit(next);
      if (d > h) h = d;
    });
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
