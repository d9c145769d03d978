import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { FakeNft } from '../src/kernel/nft/fake.js';
import type { NftBackend } from '../src/kernel/nft/backend.js';
import type { Transaction } from '../src/kernel/nft/transaction.js';
import { compileProxy } from './compile.js';
import { FakeClock } from './fake-clock.js';
import { buildModel } from './model.js';
import { createProxier } from './proxier.js';
import { planFull } from './diff.js';
import { NODE, slice, svc } from './fixtures.js';
import type { ProxierOptions } from './api.js';
import type { Ruleset } from '../src/kernel/nft/types.js';

const node: V1Node = { metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.56.10' }] } };

function make(backend: NftBackend, clock = new FakeClock(), extra: Partial<ProxierOptions> = {}) {
  const txs: Transaction[] = [];
  const counting: NftBackend = {
    apply: async (tx) => { txs.push(tx); await backend.apply(tx); },
    listTable: (f, n) => backend.listTable(f, n),
    listTables: () => backend.listTables(),
    dump: (f, n) => backend.dump(f, n),
  };
  const p = createProxier({
    backend: counting, nodeName: 'node-a', family: 'IPv4', clusterCIDRs: NODE.clusterCIDRs, serviceCIDRs: NODE.serviceCIDRs,
    clock, minSyncIntervalMs: 1000, maxSyncIntervalMs: 600_000, staleChainDelayMs: 1000, ...extra,
  });
  return { p, txs, clock };
}

const scratchDump = (rs: Ruleset): string | undefined => {
  const f = new FakeNft();
  f.applySync(planFull(undefined, rs, new Map(), 0, 1000).tx);
  return f.dumpSync('ip', 'hawser-proxy');
};
const expected = (services: ReturnType<typeof svc>[], slices: ReturnType<typeof slice>[]): string | undefined =>
  scratchDump(compileProxy(buildModel(services, slices, NODE), NODE));

function listAll(p: ReturnType<typeof make>['p']): void {
  p.setInitialListDone('Service');
  p.setInitialListDone('EndpointSlice');
  p.setInitialListDone('Node');
}

describe('createProxier', () => {
  it('programs nothing until every kind has delivered its first complete list', async () => {
    const nft = new FakeNft();
    const { p, txs, clock } = make(nft);
    p.onNodeUpdate(undefined, node);
    p.onServiceUpdate(undefined, svc('web'));
    p.setInitialListDone('Service');
    p.setInitialListDone('Node');
    await clock.advance(5000);
    expect(await p.syncNow()).toBeUndefined();
    expect(txs).toHaveLength(0);
    p.onEndpointSliceUpdate(undefined, slice('web', ['10.244.1.5']));
    p.setInitialListDone('EndpointSlice');
    await clock.advance(0);
    expect(txs).toHaveLength(1);
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected([svc('web')], [slice('web', ['10.244.1.5'])]));
    await p.stop();
  });

  it('programs the base table for an empty cluster once the lists are complete', async () => {
    const nft = new FakeNft();
    const { p, txs, clock } = make(nft);
    listAll(p);
    await clock.advance(0);
    expect(txs).toHaveLength(1);
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected([], []));
    await p.stop();
  });

  it('syncs one endpoint change as a small partial transaction, coalescing changes within the minimum interval', async () => {
    const nft = new FakeNft();
    const { p, txs, clock } = make(nft);
    p.onNodeUpdate(undefined, node);
    const services = Array.from({ length: 20 }, (_, i) => svc(`s${i}`, { clusterIP: `10.96.1.${i + 1}` }));
    const slices = services.map((s, i) => slice(s.metadata!.name!, [`10.244.1.${i + 1}`]));
    services.forEach((s) => p.onServiceUpdate(undefined, s));
    slices.forEach((s) => p.onEndpointSliceUpdate(undefined, s));
    listAll(p);
    await clock.advance(0);
    expect(txs).toHaveLength(1);
    const first = txs[0]!.size;
    await clock.advance(100);
    const changed = slice('s3', ['10.244.1.4', '10.244.2.4']);
    p.onEndpointSliceUpdate(slices[3], changed);
    p.onEndpointSliceUpdate(slices[3], changed); // the same update twice
    await clock.advance(500);
    expect(txs).toHaveLength(1); // minimum interval
    await clock.advance(500);
    expect(txs).toHaveLength(2);
    expect(txs[1]!.size).toBeLessThan(first / 10);
    const now = slices.map((s, i) => (i === 3 ? changed : s));
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected(services, now));
    // An update that changes nothing relevant sends nothing.
    p.onEndpointSliceUpdate(changed, changed);
    await clock.advance(2000);
    expect(txs).toHaveLength(2);
    await p.stop();
  });

  it('deletes a removed Service\'s chains only after the stale delay', async () => {
    const nft = new FakeNft();
    const { p, clock } = make(nft);
    p.onNodeUpdate(undefined, node);
    const s = svc('web');
    const sl = slice('web', ['10.244.1.5']);
    p.onServiceUpdate(undefined, s);
    p.onEndpointSliceUpdate(undefined, sl);
    listAll(p);
    await clock.advance(0);
    p.onServiceUpdate(s, undefined);
    await clock.advance(1000);
    const chains = (): string[] => nft.listTableSync('ip', 'hawser-proxy')!.chains.map((c) => c.name).filter((n) => n.includes('/web/'));
    expect(chains().length).toBeGreaterThan(0);
    for (const c of nft.listTableSync('ip', 'hawser-proxy')!.chains.filter((x) => x.name.includes('/web/'))) expect(c.rules).toEqual([]);
    await clock.advance(1500);
    expect(chains()).toEqual([]);
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected([], []));
    await p.stop();
  });

  it('after a restart replaces the old table in one transaction with the complete new state', async () => {
    const nft = new FakeNft();
    const a = make(nft);
    a.p.onNodeUpdate(undefined, node);
    a.p.onServiceUpdate(undefined, svc('old', { clusterIP: '10.96.0.50' }));
    a.p.onEndpointSliceUpdate(undefined, slice('old', ['10.244.1.9']));
    a.p.onServiceUpdate(undefined, svc('web'));
    a.p.onEndpointSliceUpdate(undefined, slice('web', ['10.244.1.5']));
    listAll(a.p);
    await a.clock.advance(0);
    await a.p.stop();
    const b = make(nft);
    b.p.onNodeUpdate(undefined, node);
    b.p.onServiceUpdate(undefined, svc('web'));
    b.p.onEndpointSliceUpdate(undefined, slice('web', ['10.244.1.5', '10.244.1.6']));
    listAll(b.p);
    await b.clock.advance(0);
    expect(b.txs).toHaveLength(1);
    expect(b.txs[0]!.ops[1]!.verb).toBe('flush'); // add table, flush table, … one transaction
    await b.clock.advance(2000);
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected([svc('web')], [slice('web', ['10.244.1.5', '10.244.1.6'])]));
    await b.p.stop();
  });

  it('after a failed transaction keeps the old rules, retries, and makes the next sync full', async () => {
    const nft = new FakeNft();
    let failNext = false;
    const flaky: NftBackend = {
      apply: async (tx) => { if (failNext) { failNext = false; throw new Error('nft died'); } await nft.apply(tx); },
      listTable: (f, n) => nft.listTable(f, n), listTables: () => nft.listTables(), dump: (f, n) => nft.dump(f, n),
    };
    const results: Array<{ full: boolean; error?: unknown }> = [];
    const { p, clock } = make(flaky, new FakeClock(), { onSync: (r) => results.push(r) });
    p.onNodeUpdate(undefined, node);
    p.onServiceUpdate(undefined, svc('web'));
    p.onEndpointSliceUpdate(undefined, slice('web', ['10.244.1.5']));
    listAll(p);
    await clock.advance(0);
    const good = nft.dumpSync('ip', 'hawser-proxy');
    failNext = true;
    p.onEndpointSliceUpdate(slice('web', ['10.244.1.5']), slice('web', ['10.244.1.7']));
    await clock.advance(1000);
    expect(results.at(-1)!.error).toBeDefined();
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(good);
    const failedAt = results.length - 1;
    await clock.advance(5000);
    expect(results[failedAt + 1]).toMatchObject({ full: true });
    expect(results[failedAt + 1]!.error).toBeUndefined();
    expect(nft.dumpSync('ip', 'hawser-proxy')).toBe(expected([svc('web')], [slice('web', ['10.244.1.7'])]));
    await p.stop();
  });

  it('asks the conntrack cleaner to delete UDP flows to a removed endpoint, after the rules changed', async () => {
    const nft = new FakeNft();
    const calls: Array<{ filters: unknown[]; tableHadEndpoint: boolean }> = [];
    const { p, clock } = make(nft, new FakeClock(), {
      conntrack: { deleteFlows: async (filters) => { calls.push({ filters, tableHadEndpoint: nft.dumpSync('ip', 'hawser-proxy')!.includes('dnat to 10.244.2.6') }); } },
    });
    const dns = svc('dns', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
    const two = slice('dns', ['10.244.1.5', '10.244.2.6'], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
    p.onNodeUpdate(undefined, node);
    p.onServiceUpdate(undefined, dns);
    p.onEndpointSliceUpdate(undefined, two);
    listAll(p);
    await clock.advance(0);
    // The first sync: the VIP got endpoints, so flows cached while it had none are cleared.
    expect(calls.map((c) => c.filters)).toEqual([[{ proto: 'udp', origDst: '10.96.0.10', origDport: 53 }]]);
    p.onEndpointSliceUpdate(two, slice('dns', ['10.244.1.5'], [{ name: 'dns', port: 5353, protocol: 'UDP' }]));
    await clock.advance(1000);
    expect(calls[1]).toEqual({ filters: [{ proto: 'udp', origDst: '10.96.0.10', origDport: 53, dstNat: '10.244.2.6' }], tableHadEndpoint: false });
    await p.stop();
  });

  it('takes node IPs from the Node object and reports local endpoints for the health check', async () => {
    const nft = new FakeNft();
    const { p, clock } = make(nft);
    p.onNodeUpdate(undefined, node);
    const lb = svc('lb', { type: 'LoadBalancer', etp: 'Local', healthCheckNodePort: 32000, lbIPs: ['192.168.56.200'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
    p.onServiceUpdate(undefined, lb);
    p.onEndpointSliceUpdate(undefined, slice('lb', [{ ip: '10.244.0.5', node: 'node-a' }, { ip: '10.244.0.6', node: 'node-a', ready: false, serving: true, terminating: true }, '10.244.1.5']));
    listAll(p);
    await clock.advance(0);
    expect(p.healthCheckServices()).toEqual([{ namespace: 'default', name: 'lb', port: 32000, localEndpoints: 1 }]);
    await p.stop();
  });
});
