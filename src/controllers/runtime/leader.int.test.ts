// Two apiservers on one store: only the Lease holder runs controllers; the other takes
// over once the holder stops renewing for a lease duration.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../apiserver/storage/memory.js';
import { eventually, nodeReadyStatus, readyNode, startHarness, type Harness } from '../testing/harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('leader election', { timeout: 30_000 }, () => {
  it('one leader at a time; the other takes over after the lease lapses', async () => {
    const storage = new MemoryStorage();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => clock;
    const cfg = (identity: string) => ({ allocators: { claims: true }, controllers: { now, leaderElection: { identity, leaseDurationMs: 10_000, retryPeriodMs: 10 } } });
    const a = await startHarness(storage, cfg('a'));
    open.push(a);
    await a.controllers!.leading;
    const b = await startHarness(storage, cfg('b'));
    open.push(b);
    let bLeads = false;
    void b.controllers!.leading.then(() => (bLeads = true));
    // b keeps trying for a while and must not win while a renews.
    for (let i = 0; i < 10; i++) {
      clock += 1_000;
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(bLeads).toBe(false);
    const lease = (await a.req('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/hawser-controller-manager')).body as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toBe('a');
    await open.shift()!.close();
    // Time goes on (b may first see a's very last renewal only now).
    await eventually(() => {
      clock += 1_000;
      return bLeads ? true : undefined;
    }, 'b leads');
    // b's scheduler works.
    await b.req('POST', '/api/v1/nodes', readyNode('n1'));
    await b.req('PATCH', '/api/v1/nodes/n1/status', { status: nodeReadyStatus() }, 'application/merge-patch+json');
    await b.req('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    expect(await eventually(async () => ((await b.req('GET', '/api/v1/namespaces/default/pods/p')).body as { spec: { nodeName?: string } }).spec.nodeName, 'bound')).toBe('n1');
  });
});
