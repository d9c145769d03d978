// The proxier under test, alone in its own Node process (forked by bench.ts): so its
// resident memory is the proxier's (plus Node's floor), not the benchmark's, and so a
// 30k-Service sync does not share an event loop with the load generator's bookkeeping.
// It plays the informers: feeds V1 objects, marks the lists done, and drives syncs into
// table hawser-proxy of one namespace through the real KernelNft adapter. Talks to the
// parent over the fork IPC channel: one request → one reply.
import { readFileSync, writeFileSync } from 'node:fs';
import { createProxier, type Proxier, type SyncResult } from '../../proxy/index.js';
import { portObjectName } from '../../proxy/names.js';
import { KernelNft } from '../../src/kernel/nft/kernel.js';
import { renderTransaction } from '../../src/kernel/nft/render.js';
import { run } from '../../src/kernel/exec.js';
import type { NftBackend } from '../../src/kernel/nft/backend.js';
import type { Transaction } from '../../src/kernel/nft/transaction.js';
import { CLUSTER_CIDR, NODE_NAME, NS, SERVICE_CIDR, buildCluster, changedIP, endpointIPs, endpointSlice, serviceName } from './objects.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/**
 * Stamps the two kernel calls of a sync — so a full sync splits into compile (before the
 * read-back), read-back, plan (diff + assembling the transaction), apply — and keeps the
 * last transaction to size it afterwards.
 */
class TimedBackend implements NftBackend {
  listStartedAt = 0;
  applyMs = 0;
  listEndedAt = 0;
  applyStartedAt = 0;
  applyEndedAt = 0;
  lastTx: Transaction | undefined;
  constructor(private readonly inner: KernelNft) {}
  async apply(tx: Transaction): Promise<void> {
    this.lastTx = tx;
    this.applyStartedAt = performance.now();
    try { await this.inner.apply(tx); } finally {
      this.applyEndedAt = performance.now();
      this.applyMs = this.applyEndedAt - this.applyStartedAt;
    }
  }
  async listTable(...a: Parameters<NftBackend['listTable']>): ReturnType<NftBackend['listTable']> {
    this.listStartedAt = performance.now();
    try { return await this.inner.listTable(...a); } finally { this.listEndedAt = performance.now(); }
  }
  listTables(): ReturnType<NftBackend['listTables']> { return this.inner.listTables(); }
  dump(...a: Parameters<NftBackend['dump']>): ReturnType<NftBackend['dump']> { return this.inner.dump(...a); }
}

let proxier: Proxier | undefined;
let backend: TimedBackend | undefined;
let netns = '';
let cluster = { n: 0, perService: 0, target: 0 };
/** Resolvers waiting for the next sync to finish (onSync fires once per sync attempt). */
let syncWaiters: Array<(r: SyncResult) => void> = [];
const nextSync = (): Promise<SyncResult> => new Promise((r) => syncWaiters.push(r));

function memory(): { rssKiB: number; hwmKiB: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kib = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

/**
 * Memory as the OS sees it once the proxier has been idle for a while (V8 shrinks its heap
 * on idle by itself), then after a forced full GC (what is really retained).
 */
async function idleMemory(): Promise<WorkerReply> {
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = memory();
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 1000));
  return { op: 'memory', ...idle, afterGcRssKiB: memory().rssKiB, heapUsedKiB: process.memoryUsage().heapUsed / 1024 };
}

async function load(req: Extract<WorkerRequest, { op: 'load' }>): Promise<WorkerReply> {
  netns = req.netns;
  backend = new TimedBackend(new KernelNft({ netns, timeoutMs: 600_000 }));
  proxier = createProxier({
    backend, nodeName: NODE_NAME, family: 'IPv4', nodeIPs: ['10.244.1.1'],
    clusterCIDRs: [CLUSTER_CIDR], serviceCIDRs: [SERVICE_CIDR],
    // 0: a change is applied as soon as it is seen. The agent's default (1 s) batches
    // changes on purpose; that wait is policy, not the cost of the path being measured.
    minSyncIntervalMs: 0,
    onSync: (r) => { const w = syncWaiters; syncWaiters = []; for (const f of w) f(r); },
  });
  const t0 = performance.now();
  {
    const c = buildCluster(req.services, req.endpoints);
    cluster = { n: req.services, perService: req.endpoints, target: c.target };
    for (const s of c.services) proxier.onServiceUpdate(undefined, s);
    for (const s of c.slices) proxier.onEndpointSliceUpdate(undefined, s);
  }
  const feedMs = performance.now() - t0;
  for (const k of ['Service', 'EndpointSlice', 'Node'] as const) proxier.setInitialListDone(k);
  const t1 = performance.now();
  const r = await proxier.syncNow();
  const t3 = performance.now();
  if (!r?.full) throw new Error(`expected a full sync, got ${JSON.stringify(r)}`);
  // Out of the timed path: how long rendering alone takes, and how big the text is.
  const t2 = performance.now();
  const text = backend.lastTx ? renderTransaction(backend.lastTx).text : '';
  const renderMs = performance.now() - t2;
  if (req.dumpTo) writeFileSync(req.dumpTo, text);
  const b = backend;
  return {
    op: 'loaded', feedMs, syncMs: t3 - t1, ops: r.ops, renderMs, textBytes: text.length, ...memory(),
    phases: { compile: b.listStartedAt - t1, list: b.listEndedAt - b.listStartedAt, plan: b.applyStartedAt - b.listEndedAt, apply: b.applyMs, after: t3 - b.applyEndedAt },
  };
}

/**
 * One endpoint change: one address of Service i's slice replaced. Timed from the handler
 * call to the end of the transaction (nft exited 0: the batch is committed, so the rule is
 * in the kernel); then, untimed, `nft list chain` confirms the policy chain names the new
 * endpoint. Then it waits for the stale-chain deletion (≥ 1 s later) to pass, so the
 * next change does not queue behind it.
 */
async function change(k: number): Promise<WorkerReply> {
  if (!proxier || !backend) throw new Error('not loaded');
  const { n, perService, target } = cluster;
  // Spread over the table (a prime stride); the target keeps its single real endpoint.
  let i = (target + 1 + k * 7919) % n;
  if (i === target) i = (i + 1) % n;
  const before = endpointIPs(i, perService, target);
  const after = [...before];
  after[k % after.length] = changedIP(k);
  const t0 = performance.now();
  const applied = nextSync();
  proxier.onEndpointSliceUpdate(endpointSlice(i, before), endpointSlice(i, after));
  const r = await applied;
  const appliedMs = performance.now() - t0;
  const cleanup = nextSync();
  if (r.error || r.full || r.ops === 0) throw new Error(`change ${k}: unexpected sync ${JSON.stringify(r)}`);
  const nftMs = backend.applyMs;
  const chain = portObjectName('svc', { namespace: NS, name: serviceName(i), port: 'http', protocol: 'TCP' });
  const listed = await run(['nft', 'list', 'chain', 'ip', 'hawser-proxy', chain], { netns, timeoutMs: 60_000 });
  const confirmMs = performance.now() - t0;
  if (!listed.stdout.includes(`__${changedIP(k)}/`)) throw new Error(`change ${k}: ${chain} does not name ${changedIP(k)}:\n${listed.stdout}`);
  // Stale-chain deletion: its own sync, staleChainDelayMs (1 s) after the change.
  const cleaned = await Promise.race([cleanup, new Promise<undefined>((res) => setTimeout(res, 10_000))]);
  return { op: 'changed', appliedMs, nftMs, confirmMs, cleanupMs: cleaned ? backend.applyMs : NaN };
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.op) {
    case 'load': return load(req);
    case 'change': return change(req.k);
    case 'memory': return idleMemory();
    case 'stop': await proxier?.stop(); setImmediate(() => process.exit(0)); return { op: 'stopped' };
  }
}

process.on('message', (req: WorkerRequest) => {
  handle(req).then((r) => process.send!(r), (e: unknown) => process.send!({ op: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
});
// The parent died (even by SIGKILL): nothing else would ever stop this process.
process.on('disconnect', () => process.exit(0));
process.send!({ op: 'ready' });
