// List-then-watch of one resource with a field selector (the kubelet's pods:
// spec.nodeName=<node>), over rest.ts. The semantics client-go's reflector has:
//   list → remember resourceVersion → watch from it → on stream end, watch again from the
//   last version seen (BOOKMARKs included) → on 410 Expired or any error, list again and
//   report the differences (objects gone while we were not watching are deleted).
// Handlers get (current, previous); `current` undefined means deleted.
import { ApiError, type Rest } from './rest.js';

export interface Obj { metadata?: { uid?: string; resourceVersion?: string; name?: string; namespace?: string } }

export interface WatchEvent<T> { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: T & { code?: number } }

export interface InformerOptions<T> {
  api: Rest;
  /** Collection path, e.g. /api/v1/pods */
  path: string;
  fieldSelector?: string;
  onChange(cur: T | undefined, prev: T | undefined): void;
  onError?(err: unknown): void;
  /** Watch request timeout the server should apply (s); a fresh watch follows. */
  timeoutSeconds?: number;
  retryMs?: number;
}

export function listQuery(fieldSelector?: string): string {
  return fieldSelector ? `?fieldSelector=${encodeURIComponent(fieldSelector)}` : '';
}

export function watchQuery(rv: string, fieldSelector: string | undefined, timeoutSeconds: number): string {
  const q = new URLSearchParams({ watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) });
  if (fieldSelector) q.set('fieldSelector', fieldSelector);
  return `?${q.toString()}`;
}

const key = (o: Obj) => o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;

/** Apply a fresh list to the cache: the differences as change calls (pure over the map). */
export function reconcileList<T extends Obj>(cache: Map<string, T>, items: T[], onChange: (cur: T | undefined, prev: T | undefined) => void): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    const prev = cache.get(k);
    cache.set(k, item);
    if (!prev || prev.metadata?.resourceVersion !== item.metadata?.resourceVersion) onChange(item, prev);
  }
  for (const [k, prev] of [...cache]) {
    if (seen.has(k)) continue;
    cache.delete(k);
    onChange(undefined, prev);
  }
}

export class Informer<T extends Obj> {
  private readonly cache = new Map<string, T>();
  private rv = '';
  private stopped = false;
  private current: { abort: () => void } | undefined;

  constructor(private readonly o: InformerOptions<T>) {}

  list(): T[] {
    return [...this.cache.values()];
  }

  private async relist(): Promise<void> {
    const l = await this.o.api.get<{ metadata?: { resourceVersion?: string }; items: T[] }>(`${this.o.path}${listQuery(this.o.fieldSelector)}`);
    reconcileList(this.cache, l.items ?? [], this.o.onChange);
    this.rv = l.metadata?.resourceVersion ?? '';
  }

  /** Lists once (resolves when the first list is in the cache), then watches in the background. */
  async start(): Promise<void> {
    await this.relist();
    void this.loop();
  }

  private handle(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') {
      throw new ApiError(ev.object.code ?? 500, '', `watch error ${JSON.stringify(ev.object).slice(0, 200)}`);
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return;
    const k = key(ev.object);
    const prev = this.cache.get(k);
    if (ev.type === 'DELETED') {
      this.cache.delete(k);
      this.o.onChange(undefined, prev ?? ev.object);
    } else {
      this.cache.set(k, ev.object);
      this.o.onChange(ev.object, prev);
    }
  }

  private async loop(): Promise<void> {
    let needList = false;
    while (!this.stopped) {
      try {
        if (needList) { await this.relist(); needList = false; }
        let failure: unknown;
        const s = this.o.api.stream(`${this.o.path}${watchQuery(this.rv, this.o.fieldSelector, this.o.timeoutSeconds ?? 300)}`, (line) => {
          if (failure) return;
          try { this.handle(JSON.parse(line) as WatchEvent<T>); } catch (err) { failure = err; s.abort(); }
        });
        this.current = s;
        await s.done;
        if (failure) throw failure;
      } catch (err) {
        if (this.stopped) return;
        // 410: our version was compacted away; anything else: we may have missed events.
        needList = true;
        if (!(err instanceof ApiError && err.status === 410)) {
          this.o.onError?.(err);
          await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000));
        }
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.current?.abort();
  }
}
