// The watch cache: a bounded history of store events (by count and by age) and the
// fan-out to watchers. A watch from revision N replays the kept events after N and then
// follows live ones; when events after N have already been dropped the watch fails with
// 410 Expired, which makes clients re-list (client-go reflector behaviour).
import type { KubeObject } from '../../k8s/types.js';
import type { Storage, StoreEvent } from '../storage/types.js';

export interface WatchCacheOptions {
  /** Most events kept (default 50,000). */
  capacity?: number;
  /** Events older than this are dropped (default 10 minutes). */
  maxAgeMs?: number;
  now?: () => number;
}

export interface Watcher {
  /** Only events whose key starts with this prefix are delivered. */
  prefix: string;
  /** Called synchronously for every matching event, in revision order. */
  onEvent(e: StoreEvent): void;
}

export class TooOldError extends Error {
  constructor(readonly requested: number, readonly oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'TooOldError';
  }
}

interface Kept { e: StoreEvent; at: number }

export class WatchCache {
  private events: Kept[] = [];
  private head = 0;
  /** Watches must start at or after this revision: everything after it is kept. */
  private floor: number;
  private latest: number;
  private watchers = new Set<Watcher>();
  private unsubscribe: () => void;
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  private constructor(storage: Storage, startRv: number, opts: WatchCacheOptions) {
    this.capacity = opts.capacity ?? 50_000;
    this.maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
    this.floor = startRv;
    this.latest = startRv;
    this.unsubscribe = storage.subscribe((e) => this.push(e));
  }

  static async create(storage: Storage, opts: WatchCacheOptions = {}): Promise<WatchCache> {
    // Subscribe first, then read the revision: a write in between is then both kept and
    // covered (watchers filter on rv > start anyway).
    const c = new WatchCache(storage, 0, opts);
    const rv = await storage.revision();
    c.floor = c.size() > 0 ? c.events[c.head]!.e.rv - 1 : rv;
    c.latest = Math.max(c.latest, rv);
    return c;
  }

  private size(): number {
    return this.events.length - this.head;
  }

  /** The newest revision seen. */
  revision(): number {
    return this.latest;
  }

  oldestWatchable(): number {
    return this.floor;
  }

  private push(e: StoreEvent): void {
    if (e.rv <= this.latest && this.size() > 0) return; // duplicate delivery (etcd reconnect)
    this.latest = Math.max(this.latest, e.rv);
    this.events.push({ e, at: this.now() });
    this.trim();
    for (const w of this.watchers) if (e.key.startsWith(w.prefix)) w.onEvent(e);
  }

  private trim(): void {
    const cutoff = this.now() - this.maxAgeMs;
    while (this.size() > 0 && (this.size() > this.capacity || this.events[this.head]!.at < cutoff)) {
      this.floor = this.events[this.head]!.e.rv;
      this.head++;
    }
    // Compact the array now and then so it does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Starts a watch for events with rv > fromRv. Throws TooOldError when some of them
   * are no longer kept. Replay and registration happen in one synchronous step, so no
   * event can fall between them.
   */
  watch(fromRv: number, w: Watcher): () => void {
    this.trim();
    if (fromRv < this.floor) throw new TooOldError(fromRv, this.floor);
    for (let i = this.head; i < this.events.length; i++) {
      const e = this.events[i]!.e;
      if (e.rv > fromRv && e.key.startsWith(w.prefix)) w.onEvent(e);
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  close(): void {
    this.unsubscribe();
    this.watchers.clear();
  }
}

export type { KubeObject };
