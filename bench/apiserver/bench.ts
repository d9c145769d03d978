// The apiserver against its raw stores (issue 3): create throughput, list latency at N
// objects, and the watch fan-out to W concurrent watchers, for SQLite and etcd, each beside
// the raw store's own figure measured in the same run.
//
//   npm run build && node dist/bench/apiserver/bench.js [--quick] [--objects 10000] [--watchers 1000]
//     [--concurrency 16] [--rounds 5] [--list-repeats 10] [--events 20] [--backends sqlite,etcd] [--plain]
//
// Run by hand, not in npm test. The apiserver is the real one (startApiServer: TLS, token
// authentication, RBAC authorizer, allocators; controllers off) on 127.0.0.1:0 in this
// process; the client side (undici, better-sqlite3, etcd3) runs in a worker thread
// (driver.ts). etcd is Debian's /usr/bin/etcd on loopback (netns-tests/lib/etcd.ts), killed
// on exit and on Ctrl-C; everything lives in one temp directory, removed on exit.
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startApiServer, type RunningApiServer } from '../../src/apiserver/start.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { collectionPrefix, storageKey } from '../../src/apiserver/registry.js';
import { ETCD_BIN, startTestEtcd, type TestEtcd } from '../../netns-tests/lib/etcd.js';
import type { Command, CreatesResult, DriverInit, FanoutResult, ListResult } from './driver.js';
import { fmtMs, fmtRate, median, pct, ratio, runPool, thousands } from './stats.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    objects: { type: 'string' },
    watchers: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
    'list-repeats': { type: 'string' },
    events: { type: 'string' },
    backends: { type: 'string', default: 'sqlite,etcd' },
    plain: { type: 'boolean', default: false },
  },
});
const num = (v: string | undefined, quick: number, full: number) => (v !== undefined ? Number(v) : args.quick ? quick : full);
const OBJECTS = num(args.objects, 2000, 10_000);
const WATCHERS = num(args.watchers, 200, 1000);
const CONCURRENCY = num(args.concurrency, 16, 16);
const ROUNDS = num(args.rounds, 4, 5);
const LIST_REPEATS = num(args['list-repeats'], 5, 10);
const EVENTS = num(args.events, 5, 20);
const BACKENDS = args.backends.split(',').filter(Boolean) as ('sqlite' | 'etcd')[];
const GOAL_CREATES = 2000;
const GOAL_FANOUT_P99 = 200;

// ---- scratch directory, etcd, cleanup ---------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'hawser-bench-apiserver-'));
let etcd: TestEtcd | undefined;
const cleanupSync = () => {
  if (etcd && etcd.child.exitCode === null) etcd.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping etcd, removing ${dir}`);
    cleanupSync();
    process.exit(130);
  });
}

const log = (s: string) => console.log(s);

// ---- the worker ------------------------------------------------------------------------

class Driver {
  private worker: Worker;
  private seq = 0;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(init: DriverInit) {
    this.worker = new Worker(new URL('./driver.js', import.meta.url), { workerData: init });
    this.worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(`driver: ${m.error}`));
      else w?.resolve(m.result);
    });
    this.worker.on('error', (e) => { for (const w of this.waiting.values()) w.reject(e); this.waiting.clear(); });
  }

  call<T>(cmd: Command): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, cmd });
    });
  }

  async close(): Promise<void> {
    await this.call({ op: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}

// ---- one backend -----------------------------------------------------------------------

interface Figures {
  backend: 'sqlite' | 'etcd';
  createRate: number;
  rawCreateRate: number;
  rawCreateWhat: string;
  txnCreateRate?: number;
  storageCreateRate: number;
  restCreateRate: number;
  list: number[];
  rawList: number[];
  listBytes: number;
  storageList: number[];
  restList: number[];
  stringify: number[];
  fanout: number[];
  fanoutAll: number[];
  fanoutAck: number[];
  fanoutMissing: number;
  rawFanout: number[];
  rawFanoutAll: number[];
  rawFanoutMissing: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runBackend(backend: 'sqlite' | 'etcd'): Promise<Figures> {
  const dataDir = join(dir, backend);
  let server: RunningApiServer | undefined;
  let driver: Driver | undefined;
  try {
    server = await startApiServer({
      dataDir, storage: backend, etcdEndpoints: etcd ? [etcd.url] : undefined, etcdPrefix: `/hawser-bench`,
      listen: '127.0.0.1:0', insecure: args.plain, controllers: false, logger: false,
    });
    const { rest, registry, storage } = server.app.hawser;
    const nsDef = registry.get('', 'v1', 'namespaces')!;
    const cmDef = registry.get('', 'v1', 'configmaps')!;
    for (const ns of ['bench', 'fan', 'warm', 'inproc']) await rest.create(nsDef, undefined, { metadata: { name: ns } });
    log(`\n== ${backend}: apiserver at ${server.url} (${args.plain ? 'plain HTTP' : 'TLS'}), store ${backend === 'etcd' ? etcd!.url : join(dataDir, 'state.db')}`);

    mkdirSync(join(dir, 'raw'), { recursive: true });
    driver = new Driver({
      url: server.url, token: server.adminToken, ca: server.caCert, concurrency: CONCURRENCY,
      rawSqlitePath: backend === 'sqlite' ? join(dir, 'raw', 'raw.db') : undefined,
      etcdUrl: etcd?.url, runPrefix: `raw-${backend}`,
    });
    const d = driver;
    const { json: templateJson, bytes } = await d.call<{ json: string; bytes: number }>({ op: 'template', ns: 'warm' });
    const template = JSON.parse(templateJson) as KubeObject;
    const rawStore = backend === 'sqlite' ? 'sqlite' : 'etcd-put';

    // Warm-up (not counted): JIT, connection pools, SQLite page cache.
    const warm = Math.min(500, OBJECTS);
    await d.call({ op: 'httpCreates', ns: 'warm', from: 0, count: warm });
    await d.call({ op: 'rawCreates', store: rawStore, ns: 'warm', from: 0, count: warm });
    if (backend === 'etcd') await d.call({ op: 'rawCreates', store: 'etcd-txn', ns: 'warm', from: 0, count: warm });

    // 1. Creates, in rounds that alternate which side goes first.
    let httpMs = 0; let rawMs = 0; let txnMs = 0;
    const per = Math.ceil(OBJECTS / ROUNDS);
    for (let r = 0, from = 0; from < OBJECTS; r++, from += per) {
      const count = Math.min(per, OBJECTS - from);
      const steps: (() => Promise<void>)[] = [
        async () => { httpMs += (await d.call<CreatesResult>({ op: 'httpCreates', ns: 'bench', from, count })).ms; },
        async () => { rawMs += (await d.call<CreatesResult>({ op: 'rawCreates', store: rawStore, ns: 'bench', from, count })).ms; },
      ];
      if (backend === 'etcd') steps.push(async () => { txnMs += (await d.call<CreatesResult>({ op: 'rawCreates', store: 'etcd-txn', ns: 'bench', from, count })).ms; });
      if (r % 2) steps.reverse();
      for (const s of steps) await s();
    }
    const createRate = OBJECTS / (httpMs / 1000);
    const rawCreateRate = OBJECTS / (rawMs / 1000);
    log(`creates: ${thousands(OBJECTS)} ConfigMaps of ${bytes} B stored JSON, ${CONCURRENCY} in flight, ${ROUNDS} alternating rounds: apiserver ${fmtRate(createRate)}, raw ${fmtRate(rawCreateRate)}`);

    // Where a create's time goes, in this process without HTTP: the Storage backend alone, then Rest.create.
    const inproc = Math.max(200, Math.ceil(OBJECTS / ROUNDS));
    let t0 = performance.now();
    await runPool(0, inproc, CONCURRENCY, async (i) => {
      const name = `s-${i}`;
      await storage.create(storageKey(cmDef, 'inproc', name), { ...template, metadata: { ...template.metadata, name, namespace: 'inproc' } });
    });
    const storageCreateRate = inproc / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await runPool(0, inproc, CONCURRENCY, async (i) => {
      await rest.create(cmDef, 'inproc', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `r-${i}`, labels: { app: 'bench' } }, data: { payload: 'x'.repeat(512) } }, { fieldManager: 'hawser-bench' });
    });
    const restCreateRate = inproc / ((performance.now() - t0) / 1000);
    log(`  in-process (no HTTP, ${thousands(inproc)} each): Storage.create ${fmtRate(storageCreateRate)}, Rest.create ${fmtRate(restCreateRate)}`);

    // 2. Lists of the whole collection at OBJECTS objects.
    const list: number[] = []; const rawList: number[] = [];
    let listBytes = 0;
    for (let r = 0; r < LIST_REPEATS; r++) {
      const steps = [
        async () => {
          const x = await d.call<ListResult>({ op: 'httpList', ns: 'bench' });
          if (x.items !== OBJECTS) throw new Error(`apiserver list returned ${x.items} items, expected ${OBJECTS}`);
          list.push(x.ms); listBytes = x.bytes;
        },
        async () => {
          const x = await d.call<ListResult>({ op: 'rawList', store: backend, ns: 'bench' });
          if (x.items !== OBJECTS) throw new Error(`raw list returned ${x.items} items, expected ${OBJECTS}`);
          rawList.push(x.ms);
        },
      ];
      if (r % 2) steps.reverse();
      for (const s of steps) await s();
    }
    const storageList: number[] = []; const restList: number[] = []; const stringify: number[] = [];
    const prefix = collectionPrefix(cmDef, 'bench');
    for (let r = 0; r < Math.max(3, LIST_REPEATS / 2); r++) {
      t0 = performance.now();
      await storage.list(prefix);
      storageList.push(performance.now() - t0);
      t0 = performance.now();
      const l = await rest.list(cmDef, 'bench');
      restList.push(performance.now() - t0);
      t0 = performance.now();
      JSON.stringify(l);
      stringify.push(performance.now() - t0);
    }
    log(`list of ${thousands(OBJECTS)} (${(listBytes / 1e6).toFixed(1)} MB): apiserver p50 ${fmtMs(median(list))}, raw p50 ${fmtMs(median(rawList))}; in-process Storage.list ${fmtMs(median(storageList))}, Rest.list ${fmtMs(median(restList))}, JSON.stringify of it ${fmtMs(median(stringify))}`);

    // 3. Fan-out: WATCHERS HTTP watch streams and WATCHERS raw etcd3 watchers, one event at a time, alternating.
    const opened = await d.call<{ httpMs: number; rawMs: number }>({ op: 'openWatchers', ns: 'fan', n: WATCHERS, raw: !!etcd });
    log(`watchers: ${thousands(WATCHERS)} HTTP streams open in ${fmtMs(opened.httpMs)}${etcd ? `, ${thousands(WATCHERS)} etcd3 watchers in ${fmtMs(opened.rawMs)}` : ''} (apiserver counts ${server.app.hawser.cache.watcherCount()})`);
    await sleep(500);
    const f = { fanout: [] as number[], fanoutAll: [] as number[], fanoutAck: [] as number[], fanoutMissing: 0, rawFanout: [] as number[], rawFanoutAll: [] as number[], rawFanoutMissing: 0 };
    for (let e = 0; e < EVENTS; e++) {
      const kinds: ('http' | 'etcd')[] = etcd ? (e % 2 ? ['etcd', 'http'] : ['http', 'etcd']) : ['http'];
      for (const kind of kinds) {
        const x = await d.call<FanoutResult>({ op: 'fanoutEvent', kind, ns: 'fan', seq: e, timeoutMs: 10_000 });
        const all = x.missing ? Infinity : Math.max(...x.delivered);
        if (kind === 'http') { f.fanout.push(...x.delivered); f.fanoutAll.push(all); f.fanoutAck.push(x.ackMs); f.fanoutMissing += x.missing; }
        else { f.rawFanout.push(...x.delivered); f.rawFanoutAll.push(all); f.rawFanoutMissing += x.missing; }
        await sleep(50);
      }
    }
    await d.call({ op: 'closeWatchers' });
    log(`fan-out to ${thousands(WATCHERS)}, ${EVENTS} events: apiserver p50 ${fmtMs(median(f.fanout))} p99 ${fmtMs(pct(f.fanout, 0.99))}` +
      (etcd ? `, raw etcd p50 ${fmtMs(median(f.rawFanout))} p99 ${fmtMs(pct(f.rawFanout, 0.99))}` : ''));

    return {
      backend, createRate, rawCreateRate, rawCreateWhat: backend === 'sqlite' ? 'better-sqlite3 INSERT, autocommit' : `etcd3 put, ${CONCURRENCY} in flight`,
      txnCreateRate: backend === 'etcd' ? OBJECTS / (txnMs / 1000) : undefined,
      storageCreateRate, restCreateRate, list, rawList, listBytes, storageList, restList, stringify, ...f,
    };
  } finally {
    await driver?.close();
    await server?.close();
  }
}

// ---- report ----------------------------------------------------------------------------

function report(all: Figures[]): void {
  const met = (ok: boolean) => (ok ? 'met' : 'not met');
  log(`\n## Results (${thousands(OBJECTS)} objects, ${thousands(WATCHERS)} watchers, ${CONCURRENCY} in flight, ${args.plain ? 'plain HTTP' : 'TLS'}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})\n`);
  log('| backend | figure | apiserver | raw store, same run | ratio | goal |');
  log('|---|---|---|---|---|---|');
  for (const f of all) {
    const b = f.backend;
    const goal = b === 'sqlite' ? `≥ ${thousands(GOAL_CREATES)}/s: ${met(f.createRate >= GOAL_CREATES)}` : '';
    log(`| ${b} | creates/s | ${fmtRate(f.createRate)} | ${fmtRate(f.rawCreateRate)} (${f.rawCreateWhat}) | ${ratio(f.createRate / f.rawCreateRate)} | ${goal} |`);
    if (f.txnCreateRate) log(`| ${b} | … the create-only txn EtcdStorage sends | | ${fmtRate(f.txnCreateRate)} (etcd3 txn, ${CONCURRENCY} in flight) | ${ratio(f.createRate / f.txnCreateRate)} | |`);
    log(`| ${b} | … in-process, no HTTP | Rest.create ${fmtRate(f.restCreateRate)}, Storage.create ${fmtRate(f.storageCreateRate)} | | | |`);
    log(`| ${b} | list ${thousands(OBJECTS)} (p50 / p99) | ${fmtMs(median(f.list))} / ${fmtMs(pct(f.list, 0.99))} (${(f.listBytes / 1e6).toFixed(1)} MB) | ${fmtMs(median(f.rawList))} / ${fmtMs(pct(f.rawList, 0.99))} (${b === 'sqlite' ? 'SELECT' : 'etcd3 getAll prefix'}) | ${ratio(median(f.list) / median(f.rawList))} | |`);
    log(`| ${b} | … in-process p50 | Storage.list ${fmtMs(median(f.storageList))}, Rest.list ${fmtMs(median(f.restList))}, + JSON.stringify ${fmtMs(median(f.stringify))} | | | |`);
    const p99 = pct(f.fanout, 0.99);
    const ref = f.rawFanout.length ? `${fmtMs(median(f.rawFanout))} / ${fmtMs(pct(f.rawFanout, 0.99))} (${thousands(WATCHERS)} etcd3 watchers${b === 'sqlite' ? '; SQLite has no watch' : ''})` : 'n/a (no etcd)';
    const r = f.rawFanout.length ? `${ratio(median(f.fanout) / median(f.rawFanout))} / ${ratio(p99 / pct(f.rawFanout, 0.99))}` : '';
    log(`| ${b} | fan-out to ${thousands(WATCHERS)} (p50 / p99) | ${fmtMs(median(f.fanout))} / ${fmtMs(p99)} | ${ref} | ${r} | p99 ≤ ${GOAL_FANOUT_P99} ms: ${met(p99 <= GOAL_FANOUT_P99 && f.fanoutMissing === 0)} |`);
    log(`| ${b} | … all ${thousands(WATCHERS)} received (median / max of ${EVENTS} events) | ${fmtMs(median(f.fanoutAll))} / ${fmtMs(Math.max(...f.fanoutAll))}; create answered ${fmtMs(median(f.fanoutAck))} | ${f.rawFanoutAll.length ? `${fmtMs(median(f.rawFanoutAll))} / ${fmtMs(Math.max(...f.rawFanoutAll))}` : ''} | | |`);
    if (f.fanoutMissing || f.rawFanoutMissing) log(`| ${b} | missing deliveries (10 s timeout) | ${f.fanoutMissing} | ${f.rawFanoutMissing} | | |`);
  }
  log('\nratio = apiserver ÷ raw store (below 1 for rates and above 1 for latencies means the apiserver is slower); p99 is nearest-rank.');
}

try {
  if (BACKENDS.some((b) => b !== 'sqlite' && b !== 'etcd')) throw new Error(`--backends takes sqlite,etcd; got ${args.backends}`);
  if (existsSync(ETCD_BIN)) {
    etcd = await startTestEtcd('hawser-bench', join(dir, 'etcd'));
    log(`etcd ${etcd.url} (pid ${etcd.child.pid}, data under ${dir})`);
  } else {
    log(`${ETCD_BIN} is not installed: etcd rows and the etcd watch reference are skipped`);
  }
  const all: Figures[] = [];
  for (const b of BACKENDS) {
    if (b === 'etcd' && !etcd) continue;
    all.push(await runBackend(b));
  }
  report(all);
} finally {
  if (etcd && etcd.child.exitCode === null) {
    etcd.child.kill('SIGTERM');
    await Promise.race([new Promise((r) => etcd!.child.once('exit', r)), sleep(3000)]);
  }
  cleanupSync();
}
