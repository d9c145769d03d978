// bench/proxy (issue 7): the service proxy's four figures, each beside a reference measured
// in the same run, as a ratio (the machine is shared and noisy: absolute times mislead).
//   1. new TCP connections/s through a ClusterIP with N Services programmed
//      vs. the same path with conntrack only and no NAT               (goal ≥ 0.95 at 30k)
//   2. full sync of S Services × E endpoints into an empty table
//      vs. a bare `nft -f` of the same size in kube-proxy's shape      (goal ≤ 1 s)
//   3. one endpoint change at S Services: handler → transaction committed, p50/p99
//      vs. a bare `nft -f` of a one-element change at that size       (goal p99 ≤ 100 ms)
//   4. the proxier's resident memory at S Services vs. an idle bare Node process (goal ≤ 150 MB)
// Root only; everything lives in namespaces of one netns-tests World. Not part of CI.
//   npm run build && node dist/bench/proxy/bench.js [--quick] [--services 1,1000,10000,30000]
//     [--conns 10000] [--concurrency 8] [--rounds 9] [--rate-endpoints 2]
//     [--sync-services 10000] [--sync-endpoints 5] [--sync-runs 3] [--changes 30]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../../netns-tests/lib/index.js';
import { run } from '../../src/kernel/exec.js';
import { REF_TABLE, kubeShapeRuleset, oneElementChange } from './kube-shape.js';
import { SVC_PORT, serviceIP, targetOf } from './objects.js';
import { ProxierProcess } from './proxier-process.js';
import type { WorkerReply } from './protocol.js';
import { bareNodeRssKiB, fmtMs, median, pct, ratio } from './stats.js';
import { buildLoadGenerator, buildPaths, load, nodeNs, refTarget, type LoadOptions, type LoadResult } from './topology.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const opt = (k: string, full: string, q: string): string => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1]! : quick ? q : full; };
const num = (k: string, full: number, q: number): number => Number(opt(k, String(full), String(q)));
const o = {
  services: opt('--services', '1,1000,10000,30000', '1,1000').split(',').filter(Boolean).map(Number),
  // Many short alternating rounds rather than a few long ones: other jobs on the machine
  // come and go within seconds, and a paired ratio per round cancels what both sides share.
  conns: num('--conns', 10_000, 3000),
  concurrency: num('--concurrency', 8, 8),
  rounds: num('--rounds', 9, 5),
  rateEndpoints: num('--rate-endpoints', 2, 2),
  syncServices: num('--sync-services', 10_000, 2000),
  syncEndpoints: num('--sync-endpoints', 5, 5),
  syncRuns: num('--sync-runs', 3, 1),
  changes: num('--changes', 30, 20),
};

const gen = await buildLoadGenerator();
const w = await World.create();
const scratch = mkdtempSync(join(tmpdir(), 'hawser-bench-proxy-'));
// On 'exit' too: the World's SIGINT handler exits the process without unwinding to `finally`.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const nft = (ns: string, args: string[], input?: string) => w.exec(ns, ['nft', ...args], { input, timeoutMs: 600_000 });
const dropTable = (ns: string, table: string) => w.exec(ns, ['nft', 'delete', 'table', 'ip', table], { allowFailure: true, timeoutMs: 600_000 });
const timed = async (f: () => Promise<unknown>): Promise<number> => { const t0 = performance.now(); await f(); return performance.now() - t0; };
const summary: string[] = [];
const say = (line: string) => { console.log(line); summary.push(line); };

/** Figure 1 at one size: alternate reference and ClusterIP rounds, compare per round. */
async function connectionRate(n: number): Promise<void> {
  const p = await ProxierProcess.start();
  const loaded = await p.request({ op: 'load', netns: w.ns(nodeNs('svc')), services: n, endpoints: o.rateEndpoints }, 'loaded');
  await p.stop(); // the table stays; no periodic resync may land inside a round
  const vip = `${serviceIP(targetOf(n))}:${SVC_PORT}`;
  const lo: LoadOptions = { conns: o.conns, concurrency: o.concurrency, warmup: 500 };
  const ref: LoadResult[] = [];
  const svc: LoadResult[] = [];
  for (let r = 0; r < o.rounds; r++) {
    // Alternating order, so a trend in the machine's load favours neither side.
    for (const side of r % 2 === 0 ? ['ref', 'svc'] as const : ['svc', 'ref'] as const) {
      const x = await load(w, side, gen, side === 'ref' ? refTarget : vip, lo);
      if (x.errors > 0) console.log(`  ${side} round ${r}: ${x.errors} failed connections (${x.firstError})`);
      (side === 'ref' ? ref : svc).push(x);
    }
  }
  const perRound = svc.map((x, i) => x.rate / ref[i]!.rate);
  const [rs, rr] = [median(svc.map((x) => x.rate)), median(ref.map((x) => x.rate))];
  say(`1. ${n} Service${n === 1 ? '' : 's'} (full sync ${fmtMs(loaded.syncMs)}): ClusterIP ${rs.toFixed(0)} conn/s (p50 ${median(svc.map((x) => x.p50us)).toFixed(0)} µs), ` +
    `conntrack-only ${rr.toFixed(0)} conn/s (p50 ${median(ref.map((x) => x.p50us)).toFixed(0)} µs) → ${ratio(median(perRound))} ` +
    `(per round ${perRound.map((x) => x.toFixed(2)).join(' ')}; goal ≥ 0.95 at 30k)`);
  await dropTable(nodeNs('svc'), 'hawser-proxy');
}

/**
 * Figure 2: the proxier's full sync from an empty table; references: the same size in
 * kube-proxy's shape by one bare nft run, and the proxier's own transaction text by one
 * bare nft run (what the proxier adds on top of the tool). Returns the last worker, which
 * keeps its table for figures 3 and 4; table kube-ref stays loaded for figure 3.
 */
async function fullSync(): Promise<ProxierProcess> {
  const { syncServices: n, syncEndpoints: e } = o;
  const kube = kubeShapeRuleset(n, e);
  const dumped = join(scratch, 'hawser-full-sync.nft');
  const sync: number[] = [];
  const kubeMs: number[] = [];
  const floor: number[] = [];
  let worker: ProxierProcess | undefined;
  let last: Extract<WorkerReply, { op: 'loaded' }> | undefined;
  for (let r = 0; r < o.syncRuns; r++) {
    const hawser = async () => {
      await worker?.stop();
      await dropTable('fs', 'hawser-proxy');
      worker = await ProxierProcess.start();
      last = await worker.request({ op: 'load', netns: w.ns('fs'), services: n, endpoints: e, dumpTo: dumped }, 'loaded');
      sync.push(last.syncMs);
    };
    const reference = async () => {
      await dropTable('kr', REF_TABLE);
      kubeMs.push(await timed(() => nft('kr', ['-f', '-'], kube)));
    };
    if (r % 2 === 0) { await hawser(); await reference(); } else { await reference(); await hawser(); }
    // The bare load of the proxier's own text needs the proxier's table name: in its own namespace.
    await dropTable('fl', 'hawser-proxy');
    floor.push(await timed(() => nft('fl', ['-f', dumped])));
  }
  await dropTable('fl', 'hawser-proxy');
  const l = last!;
  say(`2. full sync ${n} Services × ${e} endpoints: proxier ${fmtMs(median(sync))} (median of ${sync.length}: ${sync.map(fmtMs).join(' ')}; goal 1 s → ${ratio(median(sync) / 1000)} the goal); ` +
    `kube-proxy shape by bare nft -f ${fmtMs(median(kubeMs))} → ${ratio(median(sync) / median(kubeMs))}`);
  say(`   breakdown of the last sync: ${Object.entries(l.phases).map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ')} (apply = render + nft); feed ${fmtMs(l.feedMs)} (before, not counted); ` +
    `render alone ${fmtMs(l.renderMs)}, ${l.ops} ops, ${(l.textBytes / 1e6).toFixed(1)} MB of nft text; ` +
    `the same text by bare nft -f ${fmtMs(median(floor))} → proxier/bare ${ratio(median(sync) / median(floor))}`);
  return worker!;
}

/** Figure 3: endpoint changes through the proxier, interleaved with bare one-element nft runs. */
async function endpointChanges(p: ProxierProcess): Promise<void> {
  const applied: number[] = [];
  const nftOnly: number[] = [];
  const confirmed: number[] = [];
  const ref: number[] = [];
  for (let k = 0; k < o.changes; k++) {
    const c = await p.request({ op: 'change', k }, 'changed');
    applied.push(c.appliedMs);
    nftOnly.push(c.nftMs);
    confirmed.push(c.confirmMs);
    ref.push(await timed(() => nft('kr', ['-f', '-'], oneElementChange(o.syncServices, k))));
  }
  say(`3. one endpoint change at ${o.syncServices} Services (${o.changes} changes): handler → committed p50 ${fmtMs(pct(applied, 0.5))} p99 ${fmtMs(pct(applied, 0.99))} ` +
    `(of which the nft run p50 ${fmtMs(pct(nftOnly, 0.5))}; + nft list chain confirming it p50 ${fmtMs(pct(confirmed, 0.5))}); ` +
    `bare nft -f one element p50 ${fmtMs(pct(ref, 0.5))} p99 ${fmtMs(pct(ref, 0.99))} → ${ratio(pct(applied, 0.5) / pct(ref, 0.5))} (p50), ` +
    `${ratio(pct(applied, 0.99) / pct(ref, 0.99))} (p99); goal p99 100 ms → ${ratio(pct(applied, 0.99) / 100)} the goal`);
}

/** Figure 4: the worker's memory after the full sync and the changes, and its peak. */
async function memory(p: ProxierProcess): Promise<void> {
  const m = await p.request({ op: 'memory' }, 'memory');
  const bare = await bareNodeRssKiB();
  const mb = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
  say(`4. proxier RSS with ${o.syncServices} Services × ${o.syncEndpoints} endpoints, idle 10 s: ${mb(m.rssKiB)}; idle bare node ${mb(bare)} → ${ratio(m.rssKiB / bare)}; ` +
    `goal 150 MB → ${ratio(m.rssKiB * 1024 / 150e6)} the goal. After a forced GC ${mb(m.afterGcRssKiB)} (JS heap in use ${mb(m.heapUsedKiB)}); ` +
    `peak during the full sync ${mb(m.hwmKiB)}`);
}

try {
  console.log(`bench/proxy ${JSON.stringify(o)}; world ${w.prefix}; load average ${(await run(['cat', '/proc/loadavg'])).stdout.trim()}`);
  await buildPaths(w, gen);
  for (const ns of ['fs', 'kr', 'fl']) await w.addNetns(ns);
  for (const n of o.services) await connectionRate(n);
  const p = await fullSync();
  await endpointChanges(p);
  await memory(p);
  await p.stop();
  console.log('\nsummary\n' + summary.join('\n'));
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await w.close();
}
