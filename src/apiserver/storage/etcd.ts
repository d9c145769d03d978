// etcd storage (etcd 3.4, npm etcd3). resourceVersion is etcd's mod_revision, as in
// kube-apiserver: values are stored without it and stamped on read. Create-only is a txn
// on create_revision == 0, optimistic concurrency a txn on mod_revision. Events come from
// one etcd watch on the whole prefix, so two apiservers on one etcd see each other's
// writes. etcd 3.4 never compacts by itself: history older than one interval is
// compacted periodically (REFERENCE.md).
import { Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import type { KubeObject } from '../../k8s/types.js';
import { StorageError, prefixEnd, withRv, type ListOptions, type ListResult, type Storage, type StoreEvent } from './types.js';

export interface EtcdOptions {
  endpoints: string[];
  /** Prepended to every key (default "/hawser"). */
  prefix?: string;
  /** How often old revisions are compacted (default 5 minutes; 0 = never). */
  compactIntervalMs?: number;
}

function strip(obj: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return JSON.stringify({ ...obj, metadata: meta });
}

export class EtcdStorage implements Storage {
  readonly backend = 'etcd' as const;
  private listeners = new Set<(e: StoreEvent) => void>();
  private watcher: Watcher | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private lastSeen = 0;

  private constructor(private client: Etcd3, private prefix: string) {}

  static async connect(o: EtcdOptions): Promise<EtcdStorage> {
    // gRPC's default 4 MiB receive limit fails any list above ~4,000 1 KB objects with
    // RESOURCE_EXHAUSTED; kube-apiserver lifts it the same way (MaxCallRecvMsgSize).
    const client = new Etcd3({ hosts: o.endpoints, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
    const s = new EtcdStorage(client, o.prefix ?? '/hawser');
    try {
      const rev = await s.revision();
      s.lastSeen = rev;
      await s.watchFrom(rev + 1);
      const every = o.compactIntervalMs ?? 5 * 60_000;
      if (every > 0) {
        let mark = rev;
        s.compactTimer = setInterval(() => {
          const target = mark;
          mark = s.lastSeen;
          if (target > 0) s.client.kv.compact({ revision: target }).catch(() => { /* already compacted */ });
        }, every);
        s.compactTimer.unref();
      }
    } catch (e) {
      client.close();
      throw new StorageError('Unavailable', o.endpoints.join(','), `etcd not reachable at ${o.endpoints.join(',')}: ${(e as Error).message}`);
    }
    return s;
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  private decode(kv: IKeyValue, rv = Number(kv.mod_revision)): KubeObject {
    return withRv(JSON.parse(kv.value.toString('utf8')) as KubeObject, rv);
  }

  private async watchFrom(startRevision: number): Promise<void> {
    const w = await this.client.watch().prefix(this.k('/registry/')).withPreviousKV().startRevision(String(startRevision)).create();
    this.watcher = w;
    const keyOf = (kv: IKeyValue) => kv.key.toString('utf8').slice(this.prefix.length);
    w.on('put', (kv, prev) => {
      const rv = Number(kv.mod_revision);
      this.lastSeen = Math.max(this.lastSeen, rv);
      const type = kv.create_revision === kv.mod_revision ? 'ADDED' : 'MODIFIED';
      this.emit({ type, key: keyOf(kv), rv, object: this.decode(kv), prev: prev ? this.decode(prev) : undefined });
    });
    w.on('delete', (kv, prev) => {
      const rv = Number(kv.mod_revision);
      this.lastSeen = Math.max(this.lastSeen, rv);
      if (!prev) return; // without the old value there is nothing to tell watchers
      const old = this.decode(prev);
      this.emit({ type: 'DELETED', key: keyOf(kv), rv, object: withRv(old, rv), prev: old });
    });
  }

  async get(key: string): Promise<KubeObject | undefined> {
    const r = await this.client.kv.range({ key: Buffer.from(this.k(key)) });
    const kv = r.kvs[0];
    return kv ? this.decode(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.after !== undefined && opts.after >= prefix ? `${opts.after}\0` : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const r = await this.client.kv.range({
      key: Buffer.from(this.k(start)), range_end: Buffer.from(this.k(prefixEnd(prefix))), limit: limit ? limit + 1 : 0,
    });
    const page = limit ? r.kvs.slice(0, limit) : r.kvs;
    const result: ListResult = { items: page.map((kv) => this.decode(kv)), rv: Number(r.header.revision) };
    if (r.kvs.length > page.length || (limit && r.more)) result.nextKey = page[page.length - 1]!.key.toString('utf8').slice(this.prefix.length);
    return result;
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    const k = this.k(key);
    const r = await this.client.if(k, 'Create', '==', 0).then(this.client.put(k).value(strip(obj))).commit();
    if (!r.succeeded) throw new StorageError('Exists', key);
    return withRv(obj, Number(r.header.revision));
  }

  async update(key: string, obj: KubeObject, expectedRv?: number): Promise<KubeObject> {
    const k = this.k(key);
    const txn = expectedRv === undefined ? this.client.if(k, 'Create', '>', 0) : this.client.if(k, 'Mod', '==', expectedRv);
    const r = await txn.then(this.client.put(k).value(strip(obj))).commit();
    if (!r.succeeded) {
      if (!(await this.get(key))) throw new StorageError('NotFound', key);
      throw new StorageError('Conflict', key);
    }
    return withRv(obj, Number(r.header.revision));
  }

  async delete(key: string, expectedRv?: number): Promise<KubeObject> {
    const k = this.k(key);
    for (;;) {
      const cur = await this.client.kv.range({ key: Buffer.from(k) });
      const kv = cur.kvs[0];
      if (!kv) throw new StorageError('NotFound', key);
      if (expectedRv !== undefined && Number(kv.mod_revision) !== expectedRv) throw new StorageError('Conflict', key);
      const r = await this.client.if(k, 'Mod', '==', kv.mod_revision).then(this.client.delete().key(k)).commit();
      if (r.succeeded) return this.decode(kv);
      if (expectedRv !== undefined) throw new StorageError('Conflict', key);
    }
  }

  async revision(): Promise<number> {
    const r = await this.client.kv.range({ key: Buffer.from(this.k('/revision-probe')) });
    return Number(r.header.revision);
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
    if (this.compactTimer) clearInterval(this.compactTimer);
    try {
      await this.watcher?.cancel();
    } catch {
      /* connection already gone */
    }
    this.client.close();
  }
}
