// Messages between bench.ts and the proxier worker (worker.ts) over the fork IPC channel.
export type WorkerRequest =
  | { op: 'load'; netns: string; services: number; endpoints: number; /** write the full sync's nft text here */ dumpTo?: string }
  | { op: 'change'; k: number }
  | { op: 'memory' }
  | { op: 'stop' };

export interface Memory { rssKiB: number; hwmKiB: number }

/** Where a full sync's time went (ms): compile, read the table back, plan the transaction, render + nft, bookkeeping. */
export interface SyncPhases { compile: number; list: number; plan: number; apply: number; after: number }

export type WorkerReply =
  | { op: 'ready' }
  | ({ op: 'loaded'; feedMs: number; syncMs: number; renderMs: number; textBytes: number; ops: number; phases: SyncPhases } & Memory)
  | { op: 'changed'; appliedMs: number; nftMs: number; confirmMs: number; cleanupMs: number }
  | ({ op: 'memory'; afterGcRssKiB: number; heapUsedKiB: number } & Memory)
  | { op: 'stopped' }
  | { op: 'error'; message: string };
