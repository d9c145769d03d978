// ADD and DEL latency of the hawser plugin vs the reference bridge + host-local plugins
// (/usr/lib/cni), measured in the same run, both as the standalone Node plugin and as
// the thin client talking to an agent, interleaved call by call so that machine
// load hits both alike; plus the wall time of 20 concurrent ADDs. Each plugin runs
// inside its own "node" namespace, pods in their own namespaces (never the root ns).
//   node dist/bench/cni/bench.js [N=40] [--spin]
// --spin keeps both vCPUs busy with lowest-priority spinners: waking an idle vCPU here
// sometimes costs ≈ 10 ms, which would otherwise dominate the figures (REFERENCE.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { World } from '../../netns-tests/lib/index.js';
import { install } from '../../cni/install.js';
import { invoke } from './invoke.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 40);
const CONCURRENT = 20;
const spinners: ChildProcess[] = process.argv.includes('--spin')
  ? [0, 1].map(() => spawn('nice', ['-n', '19', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }))
  : [];

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cnibench-`));
const cleanup = async () => {
  for (const s of spinners) s.kill('SIGKILL');
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
};

try {
  const inst = await install({ binDir: join(tmp, 'bin'), confDir: join(tmp, 'conf'), portmap: false });
  const socketPath = join(tmp, 'run', 'cni.sock');
  const thin = await install({ binDir: join(tmp, 'thinbin'), confDir: join(tmp, 'conf'), portmap: false, thin: true, socketPath });
  if (thin.form !== 'thin') throw new Error('thin client did not build (cc missing?)');
  const impls = [
    {
      label: 'reference bridge+host-local',
      plugin: '/usr/lib/cni/bridge',
      node: await w.addNetns('refnode'),
      config: {
        cniVersion: '1.0.0', name: 'refnet', type: 'bridge', bridge: 'refbr0', isGateway: true, hairpinMode: true,
        ipam: { type: 'host-local', subnet: '10.200.0.0/16', dataDir: join(tmp, 'ref'), routes: [{ dst: '0.0.0.0/0' }] },
      },
    },
    {
      label: 'hawser',
      plugin: inst.plugin,
      node: await w.addNetns('hwnode'),
      config: { cniVersion: '1.0.0', name: 'hwnet', type: 'hawser', podCIDR: '10.201.0.0/16', dataDir: join(tmp, 'hw') },
    },
    {
      label: 'hawser thin client + agent',
      plugin: thin.plugin,
      node: await w.addNetns('fastnode'),
      config: { cniVersion: '1.0.0', name: 'fastnet', type: 'hawser', podCIDR: '10.202.0.0/16', dataDir: join(tmp, 'fast') },
    },
  ];
  // The agent's CNI server in the node namespace (what `hawser agent` embeds).
  const server = w.spawn('fastnode', [process.execPath, fileURLToPath(new URL('../../cni/fastpath/serve.js', import.meta.url)), '--socket', socketPath]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('CNI server not ready')), 10_000);
    createInterface({ input: server.stdout! }).on('line', (l) => { if (l.startsWith('ready')) { clearTimeout(timer); resolve(); } });
  });
  // Each plugin gets its own pods: both name the pod interface eth0.
  const pods = await Promise.all(impls.map((_, k) => Promise.all(Array.from({ length: N + CONCURRENT }, async (_, i) => {
    await w.addNetns(`p${k}-${i}`);
    return w.path(`p${k}-${i}`);
  }))));
  const times = impls.map(() => ({ add: [] as number[], del: [] as number[] }));
  const call = (k: number, command: 'ADD' | 'DEL', i: number) =>
    invoke({ plugin: impls[k]!.plugin, command, nodeNetns: impls[k]!.node, containerId: `b${i}`, netns: pods[k]![i]!, config: impls[k]!.config });

  // Warm-up: the first ADD creates the bridge; page cache for node and the binaries.
  for (let k = 0; k < impls.length; k++) {
    await call(k, 'ADD', 0);
    await call(k, 'DEL', 0);
  }
  for (let i = 0; i < N; i++) {
    const order = [0, 1, 2].sort(() => Math.random() - 0.5);
    for (const k of order) {
      const a = await call(k, 'ADD', i);
      if (a.exit !== 0) throw new Error(`${impls[k]!.label} ADD failed: ${a.stdout}${a.stderr}`);
      times[k]!.add.push(a.ms);
    }
    for (const k of order.reverse()) {
      const d = await call(k, 'DEL', i);
      if (d.exit !== 0) throw new Error(`${impls[k]!.label} DEL failed: ${d.stdout}${d.stderr}`);
      times[k]!.del.push(d.ms);
    }
  }

  const wall: number[] = [];
  const dups: number[] = [];
  for (let k = 0; k < impls.length; k++) {
    const ids = Array.from({ length: CONCURRENT }, (_, j) => N + j);
    const t0 = performance.now();
    const rs = await Promise.all(ids.map((i) => call(k, 'ADD', i)));
    wall.push(performance.now() - t0);
    const ips = rs.map((r) => (r.json as { ips?: { address: string }[] } | undefined)?.ips?.[0]?.address);
    if (ips.some((ip) => ip === undefined)) throw new Error(`${impls[k]!.label}: a concurrent ADD failed`);
    dups.push(ips.length - new Set(ips).size);
    await Promise.all(ids.map((i) => call(k, 'DEL', i)));
  }

  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`CNI plugin latency, N=${N} interleaved ADD/DEL pairs${spinners.length ? ', vCPUs kept busy' : ''} (ms)`);
  console.log(`${'plugin'.padEnd(30)} ${'ADD p50'.padStart(7)} ${'ADD p90'.padStart(7)} ${'DEL p50'.padStart(7)} ${'DEL p90'.padStart(7)} ${`${CONCURRENT}×ADD wall`.padStart(12)} dup IPs`);
  impls.forEach((impl, k) => {
    const t = times[k]!;
    console.log(`${impl.label.padEnd(30)} ${f(pct(t.add, 0.5))} ${f(pct(t.add, 0.9))} ${f(pct(t.del, 0.5))} ${f(pct(t.del, 0.9))} ${f(wall[k]!).padStart(12)} ${dups[k]}`);
  });
  const r = times[0]!;
  for (const k of [1, 2]) {
    const h = times[k]!;
    console.log(`ratio ${impls[k]!.label} / reference: ADD p50 ×${(pct(h.add, 0.5) / pct(r.add, 0.5)).toFixed(2)}, DEL p50 ×${(pct(h.del, 0.5) / pct(r.del, 0.5)).toFixed(2)}, ${CONCURRENT} concurrent ADDs wall ×${(wall[k]! / wall[0]!).toFixed(2)} (≤ 1.0 is the goal)`);
  }
} finally {
  await cleanup();
}
