// Issue 2 acceptance: the fake nftables behaves like the kernel. Every case runs its
// transactions against FakeNft and against the real kernel (nft 1.0.6) in a fresh
// namespace of this test's world; normalised dumps must be equal after each step, a
// failing transaction must leave both sides unchanged, and both must report the same
// catalogue code.
import t from 'tap';
import { World } from './lib/index.js';
import { FakeNft } from '../src/kernel/nft/fake.js';
import { KernelNft } from '../src/kernel/nft/kernel.js';
import { NftError } from '../src/kernel/nft/errors.js';
import type { NftBackend } from '../src/kernel/nft/backend.js';
import { Transaction } from '../src/kernel/nft/transaction.js';
import { CASES, GRAPH_CASES, SYNC_CASES, TABLE, proxyBase, type Case, type Step } from './nft/cases.js';
import { ruleFormCases } from './nft/rule-forms.js';

async function attempt(b: NftBackend, c: Case, step: Step): Promise<NftError | 'ok'> {
  try {
    await b.apply(step(await b.listTable(c.family, TABLE)));
    return 'ok';
  } catch (e) {
    if (e instanceof NftError) return e;
    throw e;
  }
}

const codeOf = (r: NftError | 'ok'): string => (r === 'ok' ? 'ok' : r.code);

/** Rule handles per chain: the fake numbers objects like the kernel's per-table counter. */
async function handles(b: NftBackend, c: Case): Promise<string> {
  const t = await b.listTable(c.family, TABLE);
  return (t?.chains ?? []).map((ch) => `${ch.name}: ${ch.rules.map((r) => r.handle).join(',')}`).sort().join('\n');
}

const world = await World.create();
t.teardown(() => world.close());

t.ok(CASES.length >= 25, `${CASES.length} cases`);

let n = 0;
for (const c of [...CASES, ...GRAPH_CASES, ...SYNC_CASES, ...ruleFormCases()]) {
  const short = `nft${n++}`;
  t.test(c.name, async (t) => {
    const ns = await world.addNetns(short);
    const kernel = new KernelNft({ netns: ns });
    const fake = new FakeNft();
    for (const [i, setup] of c.setup.entries()) {
      const [k, f] = [await attempt(kernel, c, setup), await attempt(fake, c, setup)];
      t.equal(codeOf(k), 'ok', `kernel setup ${i} ${k === 'ok' ? '' : k.message}`);
      t.equal(codeOf(f), 'ok', `fake setup ${i} ${f === 'ok' ? '' : f.message}`);
    }
    const kBefore = await kernel.dump(c.family, TABLE);
    const fBefore = await fake.dump(c.family, TABLE);
    t.equal(fBefore, kBefore, 'same state before the step');

    const [k, f] = [await attempt(kernel, c, c.step), await attempt(fake, c, c.step)];
    t.equal(codeOf(k), c.expect, `kernel: ${k === 'ok' ? 'ok' : k.message}`);
    t.equal(codeOf(f), codeOf(k), `fake reports the kernel's class: ${f === 'ok' ? 'ok' : f.message}`);

    const kAfter = await kernel.dump(c.family, TABLE);
    const fAfter = await fake.dump(c.family, TABLE);
    t.equal(fAfter, kAfter, 'same state after the step');
    if (c.expect === 'ok') t.equal(await handles(fake, c), await handles(kernel, c), 'same rule handles');
    if (c.expect !== 'ok') {
      t.equal(kAfter, kBefore, 'kernel unchanged by the failed transaction');
      t.equal(fAfter, fBefore, 'fake unchanged by the failed transaction');
    } else if (c.noop) {
      t.equal(kAfter, kBefore, 'kernel unchanged by a no-op step');
    } else {
      t.not(kAfter, kBefore, 'the step changed something');
    }
  });
}

t.test('listTables and rule handles read back from both sides', async (t) => {
  const ns = await world.addNetns(`nft${n++}`);
  const kernel = new KernelNft({ netns: ns });
  const fake = new FakeNft();
  for (const b of [kernel, fake]) {
    await b.apply(proxyBase('ip'));
    await b.apply(proxyBase('ip6'));
    t.same((await b.listTables()).filter((x) => x.name === TABLE).sort((a, b) => a.family.localeCompare(b.family)),
      [{ family: 'ip', name: TABLE }, { family: 'ip6', name: TABLE }]);
    const rules = (await b.listTable('ip', TABLE))!.chains.flatMap((c) => c.rules);
    t.ok(rules.length > 10 && rules.every((r) => Number.isInteger(r.handle) && r.handle! > 0), 'every rule has a handle');
    t.equal(new Set(rules.map((r) => r.handle)).size, rules.length, 'handles are unique in the table');
    const first = (await b.listTable('ip', TABLE))!.chains.find((c) => c.name === 'ep-a2')!.rules[0]!;
    await b.apply(new Transaction('ip', TABLE).replace({ kind: 'rule', chain: 'ep-a2', rule: 'counter drop', handle: first.handle! }));
    const after = (await b.listTable('ip', TABLE))!.chains.find((c) => c.name === 'ep-a2')!.rules[0]!;
    t.equal(after.handle, first.handle, 'replace keeps the handle');
    t.match(after.rule, /^counter (packets 0 bytes 0 )?drop$/);
  }
  t.equal(await fake.dump('ip6', TABLE), await kernel.dump('ip6', TABLE));
  t.equal(await fake.dump('ip', 'absent'), undefined);
  t.equal(await kernel.dump('ip', 'absent'), undefined);
});
