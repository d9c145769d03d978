// The agent-facing API over the nft fake: no sync before every kind was listed, a full
// load first, then small transactions; after a failed apply the next sync is full again.
import { describe, expect, it } from 'vitest';
import { FakeNft } from '../../src/kernel/nft/fake.js';
import { NftError } from '../../src/kernel/nft/errors.js';
import type { Transaction } from '../../src/kernel/nft/transaction.js';
import { createPolicyEnforcer } from './enforcer.js';
import { compilePolicy } from './compile.js';
import { fullTransaction } from './diff.js';
import { netpol } from './e2e/cases.js';
import { Cluster, NODE_IPS, makePod } from './e2e/world.js';
import { TABLE } from './names.js';

function setup(backend: { apply(tx: Transaction): Promise<unknown> } = new FakeNft()) {
  let changes = 0;
  const e = createPolicyEnforcer({ backend, nodeName: 'node-1', nodeIPs: NODE_IPS['node-1']!, onChange: () => { changes++; } });
  const c = new Cluster();
  for (const ns of c.namespaces.values()) e.onNamespaceUpdate(undefined, ns);
  for (const p of c.pods.values()) e.onPodUpdate(undefined, p);
  return { e, c, changes: () => changes };
}

describe('createPolicyEnforcer', () => {
  it('does not program anything before policies, pods and namespaces were all listed', async () => {
    const fake = new FakeNft();
    const { e } = setup(fake);
    e.setInitialListDone('pods');
    e.setInitialListDone('namespaces');
    expect(e.ready()).toBe(false);
    expect(await e.syncNow()).toEqual({ applied: false, reason: 'waiting-for-lists' });
    expect(fake.dumpSync('ip', TABLE)).toBeUndefined();
    e.setInitialListDone('policies');
    expect(await e.syncNow()).toMatchObject({ applied: true, full: true });
    expect(fake.dumpSync('ip', TABLE)).toBeDefined();
  });

  it('applies what it recorded, incrementally, and equals a fresh compile of its world', async () => {
    const fake = new FakeNft();
    const { e, c, changes } = setup(fake);
    for (const k of ['policies', 'pods', 'namespaces'] as const) e.setInitialListDone(k);
    const before = changes();
    const pol = netpol('x', 'deny', {}, { ingress: [] });
    e.onPolicyUpdate(undefined, pol);
    expect(changes()).toBe(before + 1);
    expect(await e.syncNow()).toMatchObject({ applied: true, full: true });
    expect(await e.syncNow()).toEqual({ applied: false, reason: 'unchanged' });

    const moved = makePod('x', 'a', { pod: 'a', role: 'x' });
    e.onPodUpdate(c.pods.get('x/a'), moved);
    e.onPodUpdate(c.pods.get('x/c'), undefined);
    const r = await e.syncNow();
    expect(r).toMatchObject({ applied: true, full: false });
    const expected = new FakeNft();
    expected.applySync(fullTransaction(compilePolicy({ ...e.world(), nodeName: 'node-1' })));
    expect(fake.dumpSync('ip', TABLE)).toBe(expected.dumpSync('ip', TABLE));
    expect(e.lastAppliedRuleset()!.maps.find((m) => m.name === 'ingress-pods')!.elements.map((x) => x.key[0])).toEqual(['10.244.1.10']);

    e.onPolicyUpdate(pol, undefined);
    await e.syncNow();
    expect(e.lastAppliedRuleset()!.chains.map((ch) => ch.name)).toEqual(['forward']);
  });

  it('after a failed apply the next sync replaces the whole table', async () => {
    const fake = new FakeNft();
    let failNext = false;
    const flaky = { apply: async (tx: Transaction) => { if (failNext) { failNext = false; throw new NftError('HAWSER_NFT_UNKNOWN', 'boom'); } await fake.apply(tx); } };
    const { e } = setup(flaky);
    for (const k of ['policies', 'pods', 'namespaces'] as const) e.setInitialListDone(k);
    await e.syncNow();
    e.onPolicyUpdate(undefined, netpol('x', 'deny', {}, { ingress: [] }));
    failNext = true;
    await expect(e.syncNow()).rejects.toThrow('boom');
    expect(e.lastAppliedRuleset()).toBeUndefined();
    expect(await e.syncNow()).toMatchObject({ applied: true, full: true });
  });

  it('serialises syncs: one asked for during an apply starts after it', async () => {
    const order: string[] = [];
    const fake = new FakeNft();
    let second: Promise<unknown> | undefined;
    const { e } = setup({
      apply: async (tx: Transaction) => {
        order.push('start');
        if (!second) {
          e.onPolicyUpdate(undefined, netpol('y', 'deny', {}, { ingress: [] }));
          second = e.syncNow();
        }
        await new Promise((r) => setImmediate(r));
        await fake.apply(tx);
        order.push('end');
      },
    });
    for (const k of ['policies', 'pods', 'namespaces'] as const) e.setInitialListDone(k);
    e.onPolicyUpdate(undefined, netpol('x', 'deny', {}, { ingress: [] }));
    await e.syncNow();
    expect(await second).toMatchObject({ applied: true, full: false });
    expect(order).toEqual(['start', 'end', 'start', 'end']);
  });
});
