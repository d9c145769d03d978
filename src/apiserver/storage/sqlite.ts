// SQLite storage (better-sqlite3, WAL). One row per object plus one row holding the
// global revision; every write is one transaction, so a create that was answered 201 is
// on disk even if the process is killed right after (WAL + synchronous=NORMAL survives a
// process crash; only an OS crash may lose the last commits).
import Database from 'better-sqlite3';
import type { KubeObject } from '../../k8s/types.js';
import { StorageError, prefixEnd, withRv, type ListOptions, type ListResult, type Storage, type StoreEvent } from './types.js';

export interface SqliteOptions {
  /** File path, or ":memory:". */
  path: string;
  /** `FULL` also survives power loss, at a throughput cost. */
  synchronous?: 'NORMAL' | 'FULL';
}

export class SqliteStorage implements Storage {
  readonly backend = 'sqlite' as const;
  private db: Database.Database;
  private listeners = new Set<(e: StoreEvent) => void>();
  private rev: number;
  private stmts;

  constructor(opts: SqliteOptions) {
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, rv INTEGER NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS revision (id INTEGER PRIMARY KEY CHECK (id = 1), rv INTEGER NOT NULL);
      INSERT OR IGNORE INTO revision (id, rv) VALUES (1, 0);
    `);
    this.stmts = {
      get: this.db.prepare<[string], { rv: number; value: string }>('SELECT rv, value FROM kv WHERE key = ?'),
      range: this.db.prepare<[string, string, number], { key: string; value: string }>(
        'SELECT key, value FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
      insert: this.db.prepare('INSERT INTO kv (key, rv, value) VALUES (?, ?, ?)'),
      update: this.db.prepare('UPDATE kv SET rv = ?, value = ? WHERE key = ?'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      getRev: this.db.prepare<[], { rv: number }>('SELECT rv FROM revision WHERE id = 1'),
      setRev: this.db.prepare('UPDATE revision SET rv = ? WHERE id = 1'),
    };
    this.rev = this.stmts.getRev.get()!.rv;
  }

  async get(key: string): Promise<KubeObject | undefined> {
    const row = this.stmts.get.get(key);
    return row ? (JSON.parse(row.value) as KubeObject) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.after !== undefined && opts.after >= prefix ? opts.after : prefix;
    // The range is exclusive at the start; `prefix` itself is never a key (keys add a name).
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const rows = this.stmts.range.all(start, prefixEnd(prefix), limit === -1 ? -1 : limit + 1);
    const page = limit === -1 ? rows : rows.slice(0, limit);
    const result: ListResult = { items: page.map((r) => JSON.parse(r.value) as KubeObject), rv: this.rev };
    if (rows.length > page.length) result.nextKey = page[page.length - 1]!.key;
    return result;
  }

  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    const stored = this.write(() => {
      if (this.stmts.get.get(key)) throw new StorageError('Exists', key);
      const rv = this.rev + 1;
      const s = withRv(obj, rv);
      this.stmts.insert.run(key, rv, JSON.stringify(s));
      this.stmts.setRev.run(rv);
      return s;
    });
    this.rev++;
    this.emit({ type: 'ADDED', key, rv: this.rev, object: stored });
    return stored;
  }

  async update(key: string, obj: KubeObject, expectedRv?: number): Promise<KubeObject> {
    const [stored, prev] = this.write(() => {
      const cur = this.stmts.get.get(key);
      if (!cur) throw new StorageError('NotFound', key);
      if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StorageError('Conflict', key);
      const rv = this.rev + 1;
      const s = withRv(obj, rv);
      this.stmts.update.run(rv, JSON.stringify(s), key);
      this.stmts.setRev.run(rv);
      return [s, JSON.parse(cur.value) as KubeObject] as const;
    });
    this.rev++;
    this.emit({ type: 'MODIFIED', key, rv: this.rev, object: stored, prev });
    return stored;
  }

  async delete(key: string, expectedRv?: number): Promise<KubeObject> {
    const prev = this.write(() => {
      const cur = this.stmts.get.get(key);
      if (!cur) throw new StorageError('NotFound', key);
      if (expectedRv !== undefined && cur.rv !== expectedRv) throw new StorageError('Conflict', key);
      this.stmts.del.run(key);
      this.stmts.setRev.run(this.rev + 1);
      return JSON.parse(cur.value) as KubeObject;
    });
    this.rev++;
    this.emit({ type: 'DELETED', key, rv: this.rev, object: withRv(prev, this.rev), prev });
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
    if (this.db.open) this.db.close();
  }
}
