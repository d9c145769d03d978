// The NetworkPolicy truth table walked by the TRACER (not proxy/policy/walk.ts): every
// upstream and extra case, every ordered pod pair, on the rule text the compiler emits AND
// on the same table as nft lists it back (FakeNft stores what nft 1.0.6 prints), because
// `hawser trace` reads each node's applied tables from the kernel.
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { EXTRA_CASES, UPSTREAM_CASES } from '../../proxy/policy/e2e/cases.js';
import { Cluster, NODES, ipOf, nodeOf, pairs, type TruthCase } from '../../proxy/policy/e2e/world.js';
import { FakeNft, replaceTableTransaction } from '../kernel/nft/index.js';
import type { Ruleset } from '../kernel/nft/types.js';
import { trace, verdictOf } from './index.js';

async function asListed(rs: Ruleset): Promise<Ruleset> {
  const nft = new FakeNft();
  await nft.apply(replaceTableTransaction(rs, undefined));
  return (await nft.listTable(rs.family, rs.name))!;
}

/** Pod → pod over the source node, then (when another) the destination node, as forwarded traffic. */
function allowed(tables: Map<string, Ruleset>, from: string, to: string, proto: string, port: number): boolean {
  const nodes = [...new Set([nodeOf(from), nodeOf(to)])];
  return nodes.every((n) => {
    const v = verdictOf(trace(tables.get(n)!, { from: 'pod', src: ipOf(from), dst: ipOf(to), proto: proto.toLowerCase() as 'tcp', dport: port }, { localAddresses: [] }));
    return v !== 'DROP' && v !== 'REJECT';
  });
}

async function run(tc: TruthCase): Promise<string[]> {
  const c = new Cluster();
  const wrong: string[] = [];
  for (const [si, step] of tc.steps.entries()) {
    step.change(c);
    const world = c.world();
    const compiled = new Map(NODES.map((n) => [n, compilePolicy({ ...world, nodeName: n })]));
    const listed = new Map(await Promise.all([...compiled].map(async ([n, rs]) => [n, await asListed(rs)] as const)));
    for (const p of step.probes) {
      for (const [f, t] of pairs()) {
        const want = p.expect.get(f, t);
        for (const [form, tables] of [['compiled', compiled], ['listed', listed]] as const) {
          const got = allowed(tables, f, t, p.proto, p.port);
          if (got !== want) wrong.push(`step ${si} ${p.proto}/${p.port} ${f} -> ${t}: tracer on the ${form} table says ${got}, expected ${want}`);
        }
      }
    }
  }
  return wrong;
}

describe('tracer over hawser-policy: the upstream truth table', () => {
  for (const tc of [...UPSTREAM_CASES, ...EXTRA_CASES]) it(tc.name, async () => expect(await run(tc)).toEqual([]));
});

describe('tracer over hawser-policy: what a denied packet says', () => {
  it('names the deny rule, its log prefix and the isolating policy', async () => {
    const tc = UPSTREAM_CASES.find((x) => /deny.*ingress/i.test(x.name))!;
    const c = new Cluster();
    tc.steps[0]!.change(c);
    const rs = await asListed(compilePolicy({ ...c.world(), nodeName: nodeOf('x/a') }));
    const outs = trace(rs, { from: 'pod', src: ipOf('y/b'), dst: ipOf('x/a'), proto: 'tcp', dport: 80 }, { localAddresses: [] });
    expect(outs).toHaveLength(1);
    const last = outs[0]!.steps.at(-1)!;
    expect(outs[0]!.verdict).toBe('drop');
    expect(last.table).toBe('hawser-policy');
    expect(last.rule).toMatch(/drop$/);
    expect(last.comment).toMatch(/^deny ingress x\/a isolated by /);
    expect(outs[0]!.steps.some((s) => s.element?.includes(': jump ing-'))).toBe(true);
  });
});
