// The policy agent's state holder: watch handlers record objects, syncNow() compiles the
// whole desired table, diffs it with what was last applied and sends one transaction.
// Handlers never touch the kernel (DESIGN rule 5): a runner owned by the agent decides
// when to call syncNow() — `onChange` tells it something changed.
//
// No sync happens before the first full list of policies, pods and namespaces arrived: a
// partial view would program too little isolation (a pod whose policy is not listed yet
// is wide open) or too few peers (its allowed clients would be cut off).
import type { Transaction } from '../../src/kernel/nft/transaction.js';
import type { Family, Ruleset, TableContent } from '../../src/kernel/nft/types.js';
import { compilePolicy, type CompileOptions } from './compile.js';
import { readCounters, type PolicyCounters } from './counters.js';
import { TABLE } from './names.js';
import { diffPolicy } from './diff.js';
import { keyOf, type Namespace, type NetworkPolicy, type Pod, type World } from './types.js';

/** What applies a transaction: the kernel adapter or the fake from src/kernel/nft. */
export interface PolicyBackend {
  apply(tx: Transaction): Promise<unknown>;
  /** Needed only for counters(). */
  listTable?(family: Family, name: string): Promise<TableContent | undefined>;
}

export type WatchedKind = 'policies' | 'pods' | 'namespaces';
export const WATCHED_KINDS: readonly WatchedKind[] = ['policies', 'pods', 'namespaces'];

export interface PolicyEnforcerOptions extends Omit<CompileOptions, 'nodeName'> {
  backend: PolicyBackend;
  nodeName: string;
  /** This node's own addresses (InternalIP, the pod bridge's gateway): always allowed. */
  nodeIPs?: string[];
  /** Called whenever recorded state changed and a sync is due. */
  onChange?: () => void;
}

export type SyncResult =
  | { applied: false; reason: 'waiting-for-lists' | 'unchanged' }
  | { applied: true; full: boolean; operations: number; ruleset: Ruleset };

export interface PolicyEnforcer {
  onPolicyUpdate(prev: NetworkPolicy | undefined, cur: NetworkPolicy | undefined): void;
  onPodUpdate(prev: Pod | undefined, cur: Pod | undefined): void;
  onNamespaceUpdate(prev: Namespace | undefined, cur: Namespace | undefined): void;
  setNodeIPs(ips: string[]): void;
  /** The informer of `kind` delivered its first complete list. */
  setInitialListDone(kind: WatchedKind): void;
  /** Every watched kind has been listed once: syncs may program the kernel. */
  ready(): boolean;
  /**
   * Compile, diff against the last applied ruleset, apply one transaction. Calls are
   * serialised. After a failed apply the kernel state is unknown: the next sync replaces
   * the whole table.
   */
  syncNow(): Promise<SyncResult>;
  lastAppliedRuleset(): Ruleset | undefined;
  /** The recorded cluster state, for the tracer and the reference evaluator. */
  world(): World;
  /** Per-policy allow counts and per-pod deny counts as the kernel has them now. */
  counters(): Promise<PolicyCounters | undefined>;
}

export function createPolicyEnforcer(opts: PolicyEnforcerOptions): PolicyEnforcer {
  const policies = new Map<string, NetworkPolicy>();
  const pods = new Map<string, Pod>();
  const namespaces = new Map<string, Namespace>();
  const listed = new Set<WatchedKind>();
  let nodeIPs = [...(opts.nodeIPs ?? [])];
  let last: Ruleset | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const record = <T extends { metadata?: { name?: string; namespace?: string } }>(
    store: Map<string, T>, key: (o: T) => string, prev: T | undefined, cur: T | undefined,
  ) => {
    if (prev && (!cur || key(prev) !== key(cur))) store.delete(key(prev));
    if (cur) store.set(key(cur), cur);
    opts.onChange?.();
  };

  const world = (): World => ({
    policies: [...policies.values()],
    pods: [...pods.values()],
    namespaces: [...namespaces.values()],
    nodeIPs: { [opts.nodeName]: nodeIPs },
  });

  const ready = () => WATCHED_KINDS.every((k) => listed.has(k));

  async function sync(): Promise<SyncResult> {
    if (!ready()) return { applied: false, reason: 'waiting-for-lists' };
    const next = compilePolicy({ ...world(), nodeName: opts.nodeName, family: opts.family, denyVerdict: opts.denyVerdict, logDenied: opts.logDenied });
    const tx = diffPolicy(last, next);
    if (tx.size === 0) return { applied: false, reason: 'unchanged' };
    const full = last === undefined;
    last = undefined;
    await opts.backend.apply(tx);
    last = next;
    return { applied: true, full, operations: tx.size, ruleset: next };
  }

  return {
    onPolicyUpdate: (prev, cur) => record(policies, keyOf, prev, cur),
    onPodUpdate: (prev, cur) => record(pods, keyOf, prev, cur),
    onNamespaceUpdate: (prev, cur) => record(namespaces, (n) => n.metadata?.name ?? '', prev, cur),
    setNodeIPs(ips) {
      nodeIPs = [...ips];
      opts.onChange?.();
    },
    setInitialListDone(kind) {
      listed.add(kind);
      opts.onChange?.();
    },
    ready,
    syncNow() {
      const run = queue.then(sync, sync);
      queue = run.catch(() => undefined);
      return run;
    },
    lastAppliedRuleset: () => last,
    world,
    async counters() {
      const listed = await opts.backend.listTable?.(opts.family ?? 'ip', TABLE);
      return listed ? readCounters(listed) : undefined;
    },
  };
}
