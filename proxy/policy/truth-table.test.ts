// The upstream e2e truth table, answered twice: by the reference evaluator (model.ts) and by
// walking packets through the rulesets the compiler produces for each node (walk.ts reads
// the rule text). Both must equal the expected matrix for every ordered pod pair.
import { describe, expect, it } from 'vitest';
import { compilePolicy } from './compile.js';
import { buildIndex, isAllowed } from './model.js';
import { walkHook } from './walk.js';
import { EXTRA_CASES, UPSTREAM_CASES } from './e2e/cases.js';
import { Cluster, NODES, ipOf, nodeOf, pairs, type TruthCase } from './e2e/world.js';
import type { Protocol, World } from './types.js';
import type { Ruleset } from '../../src/kernel/nft/types.js';

function compileAll(world: World): Map<string, Ruleset> {
  return new Map(NODES.map((n) => [n, compilePolicy({ ...world, nodeName: n })]));
}

/** A new connection crosses the source pod's node, then (if another) the destination's. */
function compiledAllows(rulesets: Map<string, Ruleset>, from: string, to: string, proto: Protocol, port: number): boolean {
  const pkt = { saddr: ipOf(from), daddr: ipOf(to), proto: proto.toLowerCase(), dport: port, ct: 'new' as const };
  const nodes = [...new Set([nodeOf(from), nodeOf(to)])];
  return nodes.every((n) => walkHook(rulesets.get(n)!, 'forward', pkt).verdict === 'accept');
}

function run(tc: TruthCase): string[] {
  const c = new Cluster();
  const wrong: string[] = [];
  tc.steps.forEach((step, si) => {
    step.change(c);
    const world = c.world();
    const ix = buildIndex(world);
    const rulesets = compileAll(world);
    for (const p of step.probes) {
      for (const [f, t] of pairs()) {
        const want = p.expect.get(f, t);
        const model = isAllowed(ix, { pod: f }, { pod: t }, p.proto, p.port).allowed;
        const compiled = compiledAllows(rulesets, f, t, p.proto, p.port);
        if (model !== want) wrong.push(`step ${si} ${p.proto}/${p.port} ${f} -> ${t}: model says ${model}, expected ${want}`);
        if (compiled !== want) wrong.push(`step ${si} ${p.proto}/${p.port} ${f} -> ${t}: compiled ruleset says ${compiled}, expected ${want}`);
      }
    }
  });
  return wrong;
}

describe('upstream NetworkPolicy e2e truth table (48 cases)', () => {
  it('has the 48 upstream cases: 42 TCP, 3 UDP, 3 SCTP', () => {
    expect(UPSTREAM_CASES).toHaveLength(48);
    expect(UPSTREAM_CASES.filter((c) => c.name.startsWith('UDP:'))).toHaveLength(3);
    expect(UPSTREAM_CASES.filter((c) => c.name.startsWith('SCTP:'))).toHaveLength(3);
    expect(new Set(UPSTREAM_CASES.map((c) => c.name)).size).toBe(48);
  });
  for (const tc of UPSTREAM_CASES) it(tc.name, () => expect(run(tc)).toEqual([]));
});

describe('hawser extra truth-table cases', () => {
  for (const tc of EXTRA_CASES) it(tc.name, () => expect(run(tc)).toEqual([]));
});

describe('the comparison can fail', () => {
  it('reports a wrong expectation from both the model and the compiled ruleset', () => {
    const tc = UPSTREAM_CASES[0]!;
    const wrong = run({ name: 'flipped', steps: tc.steps.map((s) => ({ change: s.change, probes: s.probes.map((p) => ({ ...p, expect: p.expect.expect('y/a', 'x/b', true) })) })) });
    expect(wrong).toEqual([
      'step 0 TCP/80 y/a -> x/b: model says false, expected true',
      'step 0 TCP/80 y/a -> x/b: compiled ruleset says false, expected true',
    ]);
  });
});
