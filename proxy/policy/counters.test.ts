import { describe, expect, it } from 'vitest';
import { FakeNft } from '../../src/kernel/nft/fake.js';
import { compilePolicy } from './compile.js';
import { readCounters } from './counters.js';
import { fullTransaction } from './diff.js';
import { netpol } from './e2e/cases.js';
import { Cluster } from './e2e/world.js';
import { TABLE } from './names.js';

describe('readCounters', () => {
  it('sums allow counters per policy and direction, and lists deny counters per pod', () => {
    const c = new Cluster().apply(
      netpol('x', 'from-y', {}, { ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }, { ports: [{ port: 81 }] }] }),
      netpol('x', 'also', { matchLabels: { pod: 'a' } }, { ingress: [] }),
    );
    const fake = new FakeNft();
    fake.applySync(fullTransaction(compilePolicy({ ...c.world(), nodeName: 'node-1' })));
    const listed = fake.listTableSync('ip', TABLE)!;
    // What the kernel would list after traffic: give every counter a distinct count.
    let n = 1;
    for (const ch of listed.chains) for (const r of ch.rules) r.rule = r.rule.replace(/counter packets 0 bytes 0/, () => `counter packets ${n} bytes ${100 * n++}`);
    const counters = readCounters(listed);
    // x/a and x/c are local: two rules of from-y (ingress[0], ingress[1]) in each chain.
    const ruleCounts = listed.chains.flatMap((ch) => ch.rules.filter((r) => r.comment?.startsWith('x/from-y')).map((r) => Number(/packets (\d+)/.exec(r.rule)![1])));
    expect(ruleCounts).toHaveLength(4);
    expect(counters.allowed.get('x/from-y ingress')).toEqual({ packets: ruleCounts.reduce((a, b) => a + b), bytes: 100 * ruleCounts.reduce((a, b) => a + b) });
    expect(counters.allowed.has('x/also ingress')).toBe(false);
    expect(counters.denied.map((d) => [d.pod, d.direction, d.isolatedBy])).toEqual([
      ['x/a', 'ingress', ['x/also', 'x/from-y']],
      ['x/c', 'ingress', ['x/from-y']],
    ]);
  });
});
