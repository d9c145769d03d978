// In-memory storage: the reference semantics for the other backends and the fastest
// choice for unit tests. Values are kept as JSON text so callers can never alias them.
import type { KubeObject } from '../../k8s/types.js';
import { StorageError, withRv, type ListOptions, type ListResult, type Storage, type StoreEvent } from './types.js';

export class MemoryStorage implements Storage {
  readonly backend = 'memory' as const;
  private data = new Map<string, { rv: number; json: string }>();
  private rev = 0;
  private listeners = new Set<(e: StoreEvent) => void>();

  async get(key: string): Promise<KubeObject | undefined> {
    const v = this.data.get(key);
    return v ? (JSON.parse(v.json) as KubeObject) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const keys = [...this.data.keys()].filter((k) => k.startsWith(prefix) && (opts.after === undefined || k > opts.after)).sort();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : keys.length;
    const page = keys.slice(0, limit);
    const result: ListResult = { items: page.map((k) => JSON.parse(this.data.get(k)!.json) as KubeObject), rv: this.rev };
    if (keys.length > page.length) result.nextKey = page[page.length - 1];
    return result;
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    if (this.data.has(key)) throw new StorageError('Exists', key);
    const rv = ++this.rev;
    const stored = withRv(obj, rv);
    this.data.set(key, { rv, json: JSON.stringify(stored) });
    this.emit({ type: 'ADDED', key, rv, object: stored });
    return stored;
  }

  async update(key: string, obj: KubeObject, expectedRv?: number): Promise<KubeObject> {
    const cur = this.data.get(key);
    if (!cur) throw new StorageError('NotFound', key);
    if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StorageError('Conflict', key);
    const rv = ++this.rev;
    const stored = withRv(obj, rv);
    this.data.set(key, { rv, json: JSON.stringify(stored) });
    this.emit({ type: 'MODIFIED', key, rv, object: stored, prev: JSON.parse(cur.json) as KubeObject });
    return stored;
  }

  async delete(key: string, expectedRv?: number): Promise<KubeObject> {
    const cur = this.data.get(key);
    if (!cur) throw new StorageError('NotFound', key);
    if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StorageError('Conflict', key);
    this.data.delete(key);
    const rv = ++this.rev;
    const prev = JSON.parse(cur.json) as KubeObject;
    const object = withRv(prev, rv);
    this.emit({ type: 'DELETED', key, rv, object, prev });
    return prev;
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
