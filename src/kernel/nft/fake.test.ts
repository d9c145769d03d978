// The fake's kernel semantics without a kernel (the same behaviours are checked against the
// real kernel in netns-tests/nft-differential.t.ts).
import { describe, expect, it } from 'vitest';
import { isBusy, isExists, isInvalid, isNotFound, isUnsupported, NftError } from './errors.js';
import { FakeNft } from './fake.js';
import { Transaction } from './transaction.js';

const T = 'hawser-proxy';
const tx = (): Transaction => new Transaction('ip', T);

function loaded(): FakeNft {
  const f = new FakeNft();
  f.applySync(tx()
    .add({ kind: 'table' })
    .add({ kind: 'chain', name: 'pre', base: { type: 'nat', hook: 'prerouting', priority: -100 } })
    .add({ kind: 'chain', name: 'svc' })
    .add({ kind: 'chain', name: 'ep' })
    .add({ kind: 'map', name: 'ips', type: ['ipv4_addr', 'inet_proto', 'inet_service'], value: ['verdict'] })
    .add({ kind: 'set', name: 'aff', type: ['ipv4_addr'], flags: ['timeout'], timeout: 10800 })
    .add({ kind: 'element', set: 'ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto svc'] })
    .add({ kind: 'rule', chain: 'pre', rule: 'ip daddr . meta l4proto . th dport vmap @ips' })
    .add({ kind: 'rule', chain: 'svc', rule: 'ip saddr @aff goto ep' })
    .add({ kind: 'rule', chain: 'ep', rule: 'meta l4proto tcp dnat to 10.244.0.5:80' }));
  return f;
}

function failure(f: FakeNft, t: Transaction): NftError {
  const before = f.dumpSync('ip', T);
  try {
    f.applySync(t);
  } catch (e) {
    expect(f.dumpSync('ip', T)).toBe(before); // all or nothing
    return e as NftError;
  }
  throw new Error('transaction unexpectedly succeeded');
}

describe('FakeNft', () => {
  it('stores rules in the kernel print form', () => {
    const f = loaded();
    f.applySync(tx().add({ kind: 'rule', chain: 'svc', rule: 'numgen random mod 2 == 0 goto ep' }));
    const svc = f.listTableSync('ip', T)!.chains.find((c) => c.name === 'svc')!;
    expect(svc.rules.map((r) => r.rule)).toEqual(['ip saddr @aff goto ep', 'numgen random mod 2 0 goto ep']);
  });

  it('assigns increasing handles and supports position, index and replace', () => {
    const f = loaded();
    const h = (): number[] => f.listTableSync('ip', T)!.chains.find((c) => c.name === 'ep')!.rules.map((r) => r.handle!);
    const [first] = h();
    f.applySync(tx()
      .add({ kind: 'rule', chain: 'ep', rule: 'counter', handle: first })
      .insert({ kind: 'rule', chain: 'ep', rule: 'drop', index: 0 }));
    const texts = (): string[] => f.listTableSync('ip', T)!.chains.find((c) => c.name === 'ep')!.rules.map((r) => r.rule);
    expect(texts()).toEqual(['drop', 'meta l4proto tcp dnat to 10.244.0.5:80', 'counter packets 0 bytes 0']);
    const handles = h();
    expect(new Set(handles).size).toBe(3);
    f.applySync(tx().replace({ kind: 'rule', chain: 'ep', rule: 'accept', handle: handles[0] }));
    expect(texts()[0]).toBe('accept');
    expect(h()[0]).toBe(handles[0]); // replace keeps the handle, as the kernel does
    f.applySync(tx().delete({ kind: 'rule', chain: 'ep', handle: h()[2]! }));
    expect(texts()).toEqual(['accept', 'meta l4proto tcp dnat to 10.244.0.5:80']);
  });

  it('is all or nothing: a failure in the 3rd op undoes the first two', () => {
    const f = loaded();
    const e = failure(f, tx()
      .add({ kind: 'chain', name: 'x' })
      .add({ kind: 'element', set: 'ips', key: ['10.96.0.2', 'tcp', '80'], value: ['goto x'] })
      .add({ kind: 'rule', chain: 'x', rule: 'jump nowhere' }));
    expect(isNotFound(e)).toBe(true);
    expect(e.opIndex).toBe(2);
    expect(f.listTableSync('ip', T)!.chains.some((c) => c.name === 'x')).toBe(false);
  });

  it('does not let a failed transaction leak copy-on-write changes into later ones', () => {
    const f = loaded();
    failure(f, tx().add({ kind: 'element', set: 'aff', key: ['1.1.1.1'] }).delete({ kind: 'chain', name: 'nope' }));
    expect(f.listTableSync('ip', T)!.sets.find((s) => s.name === 'aff')!.elements).toEqual([]);
  });

  it.each([
    ['jump to a missing chain', () => tx().add({ kind: 'rule', chain: 'ep', rule: 'jump nope' }), isNotFound],
    ['@set that does not exist', () => tx().add({ kind: 'rule', chain: 'ep', rule: 'ip saddr @nope drop' }), isNotFound],
    ['vmap of a missing map', () => tx().add({ kind: 'rule', chain: 'ep', rule: 'ip daddr vmap @nope' }), isNotFound],
    ['anonymous vmap to a missing chain', () => tx().add({ kind: 'rule', chain: 'ep', rule: 'numgen random mod 2 vmap { 0 : goto ep, 1 : goto nope }' }), isNotFound],
    ['jump to a base chain', () => tx().add({ kind: 'rule', chain: 'ep', rule: 'jump pre' }), isUnsupported],
    ['delete of a chain referenced by a rule', () => tx().flush({ kind: 'chain', name: 'ep' }).delete({ kind: 'chain', name: 'ep' }), isBusy],
    ['delete of a chain referenced by a map element', () => tx().flush({ kind: 'chain', name: 'svc' }).delete({ kind: 'chain', name: 'svc' }), isBusy],
    ['delete of a set used by a rule', () => tx().delete({ kind: 'set', name: 'aff' }), isBusy],
    ['create of an existing set', () => tx().create({ kind: 'set', name: 'aff', type: ['ipv4_addr'], timeout: 10800 }), isExists],
    ['add of a set with another type', () => tx().add({ kind: 'set', name: 'aff', type: ['ipv6_addr'] }), isExists],
    ['a map named like an existing set', () => tx().add({ kind: 'map', name: 'aff', type: ['ipv4_addr'], value: ['verdict'] }), isExists],
    ['create of an existing chain', () => tx().create({ kind: 'chain', name: 'svc' }), isExists],
    ['delete of a missing chain', () => tx().delete({ kind: 'chain', name: 'nope' }), isNotFound],
    ['delete of a missing element', () => tx().delete({ kind: 'element', set: 'aff', key: ['9.9.9.9'] }), isNotFound],
    ['element into a missing set', () => tx().add({ kind: 'element', set: 'nope', key: ['9.9.9.9'] }), isNotFound],
    ['key arity that does not fit', () => tx().add({ kind: 'element', set: 'ips', key: ['10.96.0.2', 'tcp'], value: ['drop'] }), isInvalid],
    ['a key part of the wrong type', () => tx().add({ kind: 'element', set: 'aff', key: ['not-an-ip'] }), isInvalid],
    ['a prefix in a set without interval', () => tx().add({ kind: 'element', set: 'aff', key: ['10.0.0.0/8'] }), isInvalid],
    ['a value in a set', () => tx().add({ kind: 'element', set: 'aff', key: ['1.1.1.1'], value: ['drop'] }), isInvalid],
    ['a different value for an existing key', () => tx().add({ kind: 'element', set: 'ips', key: ['10.96.0.1', 'tcp', '80'], value: ['drop'] }), isExists],
    ['a map element to a missing chain', () => tx().add({ kind: 'element', set: 'ips', key: ['10.96.0.2', 'tcp', '80'], value: ['goto nope'] }), isNotFound],
    ['replace of a missing handle', () => tx().replace({ kind: 'rule', chain: 'ep', rule: 'drop', handle: 999 }), isNotFound],
    ['changing a base chain hook', () => tx().add({ kind: 'chain', name: 'pre', base: { type: 'nat', hook: 'output', priority: -100 } }), isUnsupported],
    ['making a regular chain a base chain', () => tx().add({ kind: 'chain', name: 'svc', base: { type: 'nat', hook: 'output', priority: -100 } }), isExists],
    ['flush of a missing set', () => tx().flush({ kind: 'set', name: 'nope' }), isNotFound],
  ])('refuses %s, unchanged', (_name, build, is) => {
    expect(is(failure(loaded(), build()))).toBe(true);
  });

  it('refuses overlapping intervals: EEXIST against the set, INVALID within one batch', () => {
    const f = loaded();
    f.applySync(tx().add({ kind: 'set', name: 'cidrs', type: ['ipv4_addr'], flags: ['interval'] }).add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] }));
    expect(isExists(failure(f, tx().add({ kind: 'element', set: 'cidrs', key: ['10.9.0.0/16'] })))).toBe(true);
    expect(isInvalid(failure(f, tx().add({ kind: 'element', set: 'cidrs', key: ['20.0.0.0/8'] }).add({ kind: 'element', set: 'cidrs', key: ['20.1.2.3'] })))).toBe(true);
    f.applySync(tx().add({ kind: 'element', set: 'cidrs', key: ['10.0.0.0/8'] }).add({ kind: 'element', set: 'cidrs', key: ['11.0.0.0-11.0.0.255'] }));
    expect(f.listTableSync('ip', T)!.sets.find((s) => s.name === 'cidrs')!.elements.map((e) => e.key[0])).toEqual(['10.0.0.0/8', '11.0.0.0-11.0.0.255']);
  });

  it('destroy is delete-if-present', () => {
    const f = loaded();
    const before = f.dumpSync('ip', T);
    f.applySync(tx().destroy({ kind: 'chain', name: 'nope' }).destroy({ kind: 'element', set: 'aff', key: ['1.1.1.1'] }));
    expect(f.dumpSync('ip', T)).toBe(before);
    f.applySync(tx().destroy({ kind: 'element', set: 'ips', key: ['10.96.0.1', 'tcp', '80'], value: ['goto svc'] }));
    expect(f.listTableSync('ip', T)!.maps[0]!.elements).toEqual([]);
  });

  it('releases references on flush so chains can then be deleted', () => {
    const f = loaded();
    f.applySync(tx()
      .flush({ kind: 'map', name: 'ips' })
      .flush({ kind: 'chain', name: 'svc' })
      .delete({ kind: 'chain', name: 'svc' })
      .delete({ kind: 'chain', name: 'ep' }));
    expect(f.listTableSync('ip', T)!.chains.map((c) => c.name).sort()).toEqual(['pre']);
  });

  it('deletes an unreferenced non-empty chain with its rules, releasing their references', () => {
    const f = loaded();
    f.applySync(tx().delete({ kind: 'element', set: 'ips', key: ['10.96.0.1', 'tcp', '80'] }).delete({ kind: 'chain', name: 'svc' }));
    f.applySync(tx().delete({ kind: 'chain', name: 'ep' }).delete({ kind: 'set', name: 'aff' }));
    expect(f.listTableSync('ip', T)!.chains.map((c) => c.name)).toEqual(['pre']);
  });

  it('canonicalises element keys and omits timeouts equal to the set default', () => {
    const f = loaded();
    f.applySync(tx()
      .add({ kind: 'element', set: 'ips', key: ['10.96.0.3', '6', 'http'], value: ['goto  svc'] })
      .add({ kind: 'element', set: 'aff', key: ['1.1.1.1'], timeout: 10800 })
      .add({ kind: 'element', set: 'aff', key: ['2.2.2.2'], timeout: 60, comment: 'c' }));
    const t = f.listTableSync('ip', T)!;
    expect(t.maps[0]!.elements).toContainEqual({ key: ['10.96.0.3', 'tcp', '80'], value: ['goto svc'] });
    expect(t.sets[0]!.elements).toEqual([{ key: ['1.1.1.1'] }, { key: ['2.2.2.2'], timeout: 60, comment: 'c' }]);
    // Same key written differently is the same element.
    expect(isExists(failure(f, tx().create({ kind: 'element', set: 'ips', key: ['10.96.0.3', 'tcp', '80'], value: ['goto svc'] })))).toBe(true);
  });

  it('keeps 10k elements and applies a one-element change without copying the world', () => {
    const f = loaded();
    const big = tx();
    for (let i = 0; i < 10_000; i++) big.add({ kind: 'element', set: 'ips', key: [`10.97.${i >> 8}.${i & 255}`, 'tcp', '80'], value: ['goto svc'] });
    f.applySync(big);
    f.applySync(tx().delete({ kind: 'element', set: 'ips', key: ['10.97.0.7', 'tcp', '80'] }));
    expect(f.listTableSync('ip', T)!.maps[0]!.elements.length).toBe(10_000);
  });

  it('keeps tables of different families apart', () => {
    const f = loaded();
    f.applySync(new Transaction('ip6', T).add({ kind: 'table' }).add({ kind: 'chain', name: 'only6' }));
    expect(f.listTableSync('ip6', T)!.chains.map((c) => c.name)).toEqual(['only6']);
    expect(f.listTableSync('ip', T)!.chains.some((c) => c.name === 'only6')).toBe(false);
  });

  it('throws the transaction validation error before touching state', () => {
    const f = loaded();
    const e = failure(f, tx().add({ kind: 'chain', name: 'bad name' }));
    expect(isInvalid(e)).toBe(true);
  });
});
