// The client side of bench/apiserver, in a worker thread: the apiserver runs on the main
// thread, so the load generator gets its own event loop (and the second vCPU) instead of
// queueing behind the server it measures — as etcd, a separate process, gets its own.
// Every figure and its raw-store reference are timed here, with one clock.
//
// HTTP: undici Pools (one for writes and lists with `concurrency` connections, one with a
// connection per watch stream), TLS with the apiserver's CA unless the run is --plain.
// Raw stores: better-sqlite3 on its own file (same schema and pragmas as
// src/apiserver/storage/sqlite.ts), and etcd3 clients on the same etcd.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import Database from 'better-sqlite3';
import { Etcd3, type Watcher } from 'etcd3';
import { runPool } from './stats.js';

export interface DriverInit {
  url: string;
  token: string;
  ca?: string;
  concurrency: number;
  /** Raw SQLite reference file (sqlite runs). */
  rawSqlitePath?: string;
  /** etcd for the raw references (etcd runs: puts and lists; every run: the watch fan-out). */
  etcdUrl?: string;
  /** Distinguishes this run's raw etcd keys from another run's on the same etcd. */
  runPrefix: string;
}

export type Command =
  | { op: 'template'; ns: string }
  | { op: 'httpCreates'; ns: string; from: number; count: number }
  | { op: 'rawCreates'; store: 'sqlite' | 'etcd-put' | 'etcd-txn'; ns: string; from: number; count: number }
  | { op: 'httpList'; ns: string }
  | { op: 'rawList'; store: 'sqlite' | 'etcd'; ns: string }
  | { op: 'openWatchers'; ns: string; n: number; raw: boolean }
  | { op: 'fanoutEvent'; kind: 'http' | 'etcd'; ns: string; seq: number; timeoutMs: number }
  | { op: 'closeWatchers' }
  | { op: 'close' };

export interface CreatesResult { ms: number }
export interface ListResult { ms: number; items: number; bytes: number }
/** Per watcher: ms from just before the write until its event arrived (missing ones are absent). */
export interface FanoutResult { delivered: number[]; missing: number; ackMs: number }

const init = workerData as DriverInit;
const origin = new URL(init.url);
const connect = init.ca ? { ca: init.ca } : undefined;
const headers = { authorization: `Bearer ${init.token}`, 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'hawser-bench/apiserver' };
const pool = new Pool(origin.origin, { connections: init.concurrency, pipelining: 1, connect });
let watchPool: Pool | undefined;

const payload = 'x'.repeat(512);
const objName = (i: number) => `cm-${String(i).padStart(6, '0')}`;
const body = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'bench' } }, data: { payload } });

/** The object as the apiserver stored it (system metadata, managedFields): the raw stores get this JSON. */
let template: Record<string, unknown> & { metadata: Record<string, unknown> };
const storedJson = (ns: string, name: string, withRv: boolean) => {
  const { resourceVersion, ...meta } = template.metadata;
  return JSON.stringify({ ...template, metadata: { ...meta, name, namespace: ns, ...(withRv ? { resourceVersion } : {}) } });
};

let sqlite: Database.Database | undefined;
let sqliteInsert: Database.Statement | undefined;
let sqliteRange: Database.Statement<[string, string, number], { key: string; value: string }> | undefined;
if (init.rawSqlitePath) {
  sqlite = new Database(init.rawSqlitePath);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, rv INTEGER NOT NULL, value TEXT NOT NULL) WITHOUT ROWID');
  sqliteInsert = sqlite.prepare('INSERT INTO kv (key, rv, value) VALUES (?, ?, ?)');
  sqliteRange = sqlite.prepare('SELECT key, value FROM kv WHERE key > ? AND key < ? ORDER BY key LIMIT ?');
}
let sqliteRv = 0;

// Separate clients for writes and for watches, as the HTTP side has separate pools.
// The same receive limit as EtcdStorage (gRPC's default 4 MiB fails a 10,000-object list).
const etcdOptions = { hosts: init.etcdUrl ?? '', grpcOptions: { 'grpc.max_receive_message_length': -1 } };
const etcd = init.etcdUrl ? new Etcd3(etcdOptions) : undefined;
const etcdWatch = init.etcdUrl ? new Etcd3(etcdOptions) : undefined;
const rawKey = (store: string, ns: string, name: string) => `/${init.runPrefix}/${store}/registry/core/configmaps/${ns}/${name}`;

async function httpCreate(ns: string, name: string): Promise<void> {
  const res = await pool.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, headers, body: body(name) });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`create ${ns}/${name}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
}

// ---- watch fan-out -------------------------------------------------------------------

interface Pending { name: string; t0: number; times: number[]; n: number; done: () => void }
let pending: Pending | undefined;
let watchers = 0;
const rawWatchers: Watcher[] = [];
let rawWatcherCount = 0;
const NAME = /"name":"([^"]+)"/;

function arrived(name: string, t: number): void {
  const p = pending;
  if (!p || p.name !== name) return;
  p.times.push(t - p.t0);
  if (p.times.length === p.n) p.done();
}

async function openHttpWatcher(ns: string, rv: string): Promise<void> {
  const res = await watchPool!.request({ method: 'GET', path: `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}`, headers });
  if (res.statusCode !== 200) throw new Error(`watch: HTTP ${res.statusCode}: ${await res.body.text()}`);
  let buf = '';
  res.body.setEncoding('utf8');
  res.body.on('data', (chunk: string) => {
    const t = performance.now();
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const m = NAME.exec(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m) arrived(m[1]!, t);
    }
  });
  res.body.on('error', () => { /* closed at the end of the run */ });
}

async function fanoutEvent(kind: 'http' | 'etcd', ns: string, seq: number, timeoutMs: number): Promise<FanoutResult> {
  const name = `fan-${kind}-${seq}`;
  const n = kind === 'http' ? watchers : rawWatcherCount;
  let done!: () => void;
  const all = new Promise<void>((r) => { done = r; });
  const p: Pending = { name, t0: 0, times: [], n, done };
  pending = p;
  p.t0 = performance.now();
  if (kind === 'http') await httpCreate(ns, name);
  else await etcd!.put(rawKey('fan', ns, name)).value(storedJson(ns, name, false));
  const ackMs = performance.now() - p.t0;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
  clearTimeout(timer);
  pending = undefined;
  return { delivered: [...p.times], missing: n - p.times.length, ackMs };
}

// ---- commands ------------------------------------------------------------------------

async function handle(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'template': {
      const res = await pool.request({ method: 'POST', path: `/api/v1/namespaces/${c.ns}/configmaps`, headers, body: body('template') });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`template: HTTP ${res.statusCode}: ${text}`);
      template = JSON.parse(text) as typeof template;
      return { json: text, bytes: Buffer.byteLength(text) };
    }
    case 'httpCreates': {
      const t0 = performance.now();
      await runPool(c.from, c.count, init.concurrency, (i) => httpCreate(c.ns, objName(i)));
      return { ms: performance.now() - t0 } satisfies CreatesResult;
    }
    case 'rawCreates': {
      const names = Array.from({ length: c.count }, (_, k) => objName(c.from + k));
      if (c.store === 'sqlite') {
        // Synchronous: one INSERT per transaction (autocommit), as each create is committed alone.
        const values = names.map((name) => storedJson(c.ns, name, true));
        const t0 = performance.now();
        for (let k = 0; k < names.length; k++) sqliteInsert!.run(`/registry/core/configmaps/${c.ns}/${names[k]!}`, ++sqliteRv, values[k]!);
        return { ms: performance.now() - t0 } satisfies CreatesResult;
      }
      const values = names.map((name) => storedJson(c.ns, name, false));
      const t0 = performance.now();
      await runPool(0, names.length, init.concurrency, async (k) => {
        const key = rawKey(c.store, c.ns, names[k]!);
        if (c.store === 'etcd-put') await etcd!.put(key).value(values[k]!);
        else {
          // What EtcdStorage.create sends: put only if the key has never been created.
          const r = await etcd!.if(key, 'Create', '==', 0).then(etcd!.put(key).value(values[k]!)).commit();
          if (!r.succeeded) throw new Error(`raw txn: ${key} exists`);
        }
      });
      return { ms: performance.now() - t0 } satisfies CreatesResult;
    }
    case 'httpList': {
      const t0 = performance.now();
      const res = await pool.request({ method: 'GET', path: `/api/v1/namespaces/${c.ns}/configmaps`, headers });
      let bytes = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) { bytes += (chunk as Buffer).length; chunks.push(chunk as Buffer); }
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`list: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`);
      // Counted after the clock stopped: the figure is the time to the last byte.
      const items = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: unknown[] }).items.length;
      return { ms, items, bytes } satisfies ListResult;
    }
    case 'rawList': {
      if (c.store === 'sqlite') {
        const prefix = `/registry/core/configmaps/${c.ns}/`;
        const t0 = performance.now();
        const rows = sqliteRange!.all(prefix, `${prefix}\x7f`, -1);
        const ms = performance.now() - t0;
        return { ms, items: rows.length, bytes: rows.reduce((s, r) => s + r.value.length, 0) } satisfies ListResult;
      }
      const prefix = rawKey('etcd-put', c.ns, '');
      const t0 = performance.now();
      const r = await etcd!.getAll().prefix(prefix).exec();
      const ms = performance.now() - t0;
      return { ms, items: r.kvs.length, bytes: r.kvs.reduce((s, kv) => s + kv.value.length, 0) } satisfies ListResult;
    }
    case 'openWatchers': {
      watchPool = new Pool(origin.origin, { connections: c.n, pipelining: 1, connect, bodyTimeout: 0, headersTimeout: 0 });
      const list = await pool.request({ method: 'GET', path: `/api/v1/namespaces/${c.ns}/configmaps?limit=1`, headers });
      const rv = (JSON.parse(await list.body.text()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      const t0 = performance.now();
      await runPool(0, c.n, 50, () => openHttpWatcher(c.ns, rv));
      watchers = c.n;
      const httpMs = performance.now() - t0;
      let rawMs = 0;
      if (c.raw && etcdWatch) {
        const t1 = performance.now();
        await runPool(0, c.n, 50, async () => {
          const w = await etcdWatch.watch().prefix(rawKey('fan', c.ns, '')).create();
          w.on('put', (kv) => {
            const t = performance.now();
            const key = kv.key.toString('utf8');
            arrived(key.slice(key.lastIndexOf('/') + 1), t);
          });
          rawWatchers.push(w);
        });
        rawWatcherCount = c.n;
        rawMs = performance.now() - t1;
      }
      return { httpMs, rawMs };
    }
    case 'fanoutEvent': return fanoutEvent(c.kind, c.ns, c.seq, c.timeoutMs);
    case 'closeWatchers': {
      await watchPool?.destroy();
      watchPool = undefined;
      watchers = 0;
      await Promise.all(rawWatchers.splice(0).map((w) => w.cancel().catch(() => {})));
      rawWatcherCount = 0;
      return {};
    }
    case 'close': {
      await watchPool?.destroy();
      await pool.destroy();
      etcd?.close();
      etcdWatch?.close();
      sqlite?.close();
      return {};
    }
  }
}

parentPort!.on('message', (m: { id: number; cmd: Command }) => {
  handle(m.cmd).then(
    (result) => parentPort!.postMessage({ id: m.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }),
  );
});
