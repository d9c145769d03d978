// The policy agent of one bench node, in process: the enforcer (proxy/policy) with the real
// KernelNft adapter aimed at the node's namespace, fed like the informers feed it, and — for
// the change figure — driven by the same bounded-frequency SyncRunner the agent uses
// (src/agent/network-policy.ts), so a watch event reaches the kernel the way it does there.
// The backend stamps each apply, so a sync splits into compile + diff (before the apply)
// and apply (render + the nft run).
import { SyncRunner, systemClock } from '../../proxy/index.js';
import { createPolicyEnforcer, type PolicyEnforcer, type SyncResult, type World } from '../../proxy/policy/index.js';
import { KernelNft } from '../../src/kernel/nft/kernel.js';
import type { Transaction } from '../../src/kernel/nft/transaction.js';
import { NODE, NODE_IPS } from './cluster.js';
import { now } from './prober.js';

export class TimedBackend {
  applyStartedAt = 0;
  applyEndedAt = 0;
  lastTx: Transaction | undefined;
  constructor(readonly inner: KernelNft) {}
  async apply(tx: Transaction): Promise<void> {
    this.lastTx = tx;
    this.applyStartedAt = now();
    try { await this.inner.apply(tx); } finally { this.applyEndedAt = now(); }
  }
  listTable(...a: Parameters<KernelNft['listTable']>): ReturnType<KernelNft['listTable']> {
    return this.inner.listTable(...a);
  }
}

export interface SyncStamp { startedAt: number; endedAt: number; result: SyncResult }

export class NodeAgent {
  readonly backend: TimedBackend;
  readonly enforcer: PolicyEnforcer;
  private runner: SyncRunner | undefined;
  /** Every sync the runner ran, in order. */
  readonly syncs: SyncStamp[] = [];

  constructor(netns: string) {
    this.backend = new TimedBackend(new KernelNft({ netns, timeoutMs: 600_000 }));
    this.enforcer = createPolicyEnforcer({
      backend: this.backend, nodeName: NODE, nodeIPs: NODE_IPS, family: 'ip',
      onChange: () => this.runner?.request(),
    });
  }

  /** Every object as an informer's initial list delivers it, then the lists are marked done. */
  feed(world: World): void {
    for (const n of world.namespaces) this.enforcer.onNamespaceUpdate(undefined, n);
    for (const p of world.pods) this.enforcer.onPodUpdate(undefined, p);
    for (const p of world.policies) this.enforcer.onPolicyUpdate(undefined, p);
    for (const k of ['policies', 'pods', 'namespaces'] as const) this.enforcer.setInitialListDone(k);
  }

  /** From now on watch events trigger syncs through the agent's runner. */
  startRunner(minIntervalMs: number): void {
    this.runner = new SyncRunner(async () => {
      const startedAt = now();
      const result = await this.enforcer.syncNow();
      this.syncs.push({ startedAt, endedAt: now(), result });
    }, { minIntervalMs, maxIntervalMs: 3_600_000, retryMs: 1000, clock: systemClock });
    this.runner.start();
  }

  /** The first sync that started at or after `t` and applied something. */
  async syncAfter(t: number, deadlineMs = 30_000): Promise<SyncStamp> {
    for (;;) {
      const s = this.syncs.find((x) => x.startedAt >= t && x.result.applied);
      if (s) return s;
      if (now() - t > deadlineMs) throw new Error('no sync after the change');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  lastSyncStart(): number {
    return this.syncs.at(-1)?.startedAt ?? -Infinity;
  }

  stop(): Promise<void> {
    return this.runner?.stop() ?? Promise.resolve();
  }
}
