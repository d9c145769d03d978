// The service proxy as the agent sees it: informer handlers in, one nftables table out.
// Handlers only record previous/current pairs (DESIGN rule 5); a bounded-frequency runner
// compiles, diffs and applies one transaction per sync.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { NftBackend } from '../src/kernel/nft/backend.js';
import type { Ruleset } from '../src/kernel/nft/types.js';
import type { NodeConfig } from './types.js';
import type { ConntrackFilter } from './conntrack.js';
import type { HealthCheckService } from './healthcheck.js';

/** Deletes conntrack entries (`conntrack -D` in the node's namespace); implemented in src/kernel. */
export interface ConntrackCleaner {
  deleteFlows(filters: ConntrackFilter[]): Promise<void>;
}

export type WatchedKind = 'Service' | 'EndpointSlice' | 'Node';
export const WATCHED_KINDS: readonly WatchedKind[] = ['Service', 'EndpointSlice', 'Node'];

/** Timers the runner uses; tests pass a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SyncResult {
  full: boolean;
  /** Number of transaction operations sent (0: nothing changed). */
  ops: number;
  /** Service ports in the applied ruleset. */
  services: number;
  endpoints: number;
  durationMs: number;
  /** UDP conntrack filters the sync asked the cleaner to delete. */
  staleFlows?: number;
  error?: unknown;
}

export interface ProxierOptions extends Omit<NodeConfig, 'nodeIPs' | 'scheduler'> {
  backend: NftBackend;
  /** This node's addresses; when empty they are taken from the Node object's status. */
  nodeIPs?: string[];
  scheduler?: NodeConfig['scheduler'];
  /** Minimum time between syncs (kube-proxy --config-sync min-sync-period, default 1 s). */
  minSyncIntervalMs?: number;
  /** Periodic full resync (kube-proxy --sync-period, default 30 s... here 1 h: partial syncs are exact). */
  maxSyncIntervalMs?: number;
  /** How long flushed stale chains wait before deletion (≥ 1 s, upstream's kernel < 6.2 reason). */
  staleChainDelayMs?: number;
  clock?: Clock;
  /** Removes stale UDP flows after a sync (upstream kube-proxy's conntrack cleanup); optional. */
  conntrack?: ConntrackCleaner;
  /** Called when the conntrack cleanup fails (it never fails a sync: rules are already in place). */
  onConntrackError?: (e: unknown, filters: ConntrackFilter[]) => void;
  /** Called after every sync attempt (metrics, logs). */
  onSync?: (r: SyncResult) => void;
}

export interface Proxier {
  onServiceUpdate(prev: V1Service | undefined, cur: V1Service | undefined): void;
  onEndpointSliceUpdate(prev: V1EndpointSlice | undefined, cur: V1EndpointSlice | undefined): void;
  onNodeUpdate(prev: V1Node | undefined, cur: V1Node | undefined): void;
  /** The informer of `kind` delivered its first complete list; syncing starts when all three have. */
  setInitialListDone(kind: WatchedKind): void;
  /** Run a sync now (still never before the initial lists); resolves when it is done. */
  syncNow(): Promise<SyncResult | undefined>;
  /** What was last applied successfully, or undefined before the first sync. */
  lastAppliedRuleset(): Ruleset | undefined;
  /** Services with a healthCheckNodePort and their ready local endpoints, as last applied (healthcheck.ts answers). */
  healthCheckServices(): HealthCheckService[];
  stop(): Promise<void>;
}
