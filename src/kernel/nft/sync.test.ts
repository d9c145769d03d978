import { describe, expect, it } from 'vitest';
import { normalisedDump } from './dump.js';
import { isBusy } from './errors.js';
import { FakeNft } from './fake.js';
import { addContent, replaceTableTransaction } from './sync.js';
import { Transaction } from './transaction.js';
import type { TableContent } from './types.js';

const T = 'hawser-proxy';

function desired(services: number[], opts: { policy?: 'accept' | 'drop'; hook?: 'prerouting' | 'output' } = {}): TableContent {
  return {
    family: 'ip', name: T, comment: 'proxy',
    sets: [{ kind: 'set', name: 'aff', type: ['ipv4_addr'], flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535, elements: [] }],
    maps: [{
      kind: 'map', name: 'service-ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'],
      elements: services.map((i) => ({ key: [`10.96.0.${i}`, 'tcp', '80'], value: [`goto svc-${i}`] })),
    }],
    chains: [
      { kind: 'chain', name: 'pre', base: { type: 'nat', hook: opts.hook ?? 'prerouting', priority: -100, policy: opts.policy ?? 'accept' }, rules: [{ rule: 'ip daddr . meta l4proto . th dport vmap @service-ips' }] },
      ...services.flatMap((i) => [
        { kind: 'chain' as const, name: `svc-${i}`, rules: [{ rule: `ip saddr @aff goto ep-${i}` }, { rule: `goto ep-${i}`, comment: `svc ${i}` }] },
        { kind: 'chain' as const, name: `ep-${i}`, rules: [{ rule: `update @aff { ip saddr }` }, { rule: `meta l4proto tcp dnat to 10.244.0.${i}:80` }] },
      ]),
    ],
  };
}

function fresh(content: TableContent): string {
  const f = new FakeNft();
  f.applySync(addContent(new Transaction('ip', T), content));
  return f.dumpSync('ip', T)!;
}

describe('replaceTableTransaction', () => {
  it('creates the table from nothing', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1, 2]), undefined));
    expect(f.dumpSync('ip', T)).toBe(fresh(desired([1, 2])));
  });

  it('turns one content into another in one transaction: removed services go, new ones come', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1, 2, 3]), undefined));
    f.applySync(replaceTableTransaction(desired([2, 4]), f.listTableSync('ip', T)));
    expect(f.dumpSync('ip', T)).toBe(fresh(desired([2, 4])));
    expect(f.listTableSync('ip', T)!.chains.map((c) => c.name).sort()).toEqual(['ep-2', 'ep-4', 'pre', 'svc-2', 'svc-4']);
  });

  it('re-creates a base chain whose hook changed, and updates a policy in place', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1]), undefined));
    f.applySync(replaceTableTransaction(desired([1], { hook: 'output', policy: 'drop' }), f.listTableSync('ip', T)));
    expect(f.dumpSync('ip', T)).toBe(fresh(desired([1], { hook: 'output', policy: 'drop' })));
  });

  it('is idempotent', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1, 2]), undefined));
    const once = f.dumpSync('ip', T);
    f.applySync(replaceTableTransaction(desired([1, 2]), f.listTableSync('ip', T)));
    expect(f.dumpSync('ip', T)).toBe(once);
  });

  it('keeps the elements of dynamic sets (affinity state from the packet path)', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1]), undefined));
    f.applySync(new Transaction('ip', T).add({ kind: 'element', set: 'aff', key: ['10.0.0.7'] }));
    f.applySync(replaceTableTransaction(desired([1, 2]), f.listTableSync('ip', T)));
    expect(f.listTableSync('ip', T)!.sets[0]!.elements).toEqual([{ key: ['10.0.0.7'] }]);
  });

  it('without the flushes, deleting a referenced chain would fail: the order matters', () => {
    const f = new FakeNft();
    f.applySync(replaceTableTransaction(desired([1]), undefined));
    const naive = new Transaction('ip', T).delete({ kind: 'chain', name: 'svc-1' });
    let err: unknown;
    try { f.applySync(naive); } catch (e) { err = e; }
    expect(isBusy(err)).toBe(true);
    expect(normalisedDump(f.listTableSync('ip', T)!)).toBe(fresh(desired([1])));
  });
});
