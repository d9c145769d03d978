// Link programming cost: `netlink` (rtnetlink from Node) vs iproute2, inside a namespace.
//
//   NETLINK_MODULE=/tmp/nl-bench/node_modules/netlink/dist/index.js \
//     node dist/bench/netlink-vs-ip/bench.js [N]
//
// Reference: one `nsenter --net=… ip …` per operation (what src/kernel/link does today).
// Candidates: `ip -n NS` per operation, one `ip -batch -` per phase, and a Node process
// started inside the namespace that uses netlink (its start-up is counted: it is the price
// of reaching a namespace from Node). Each figure: N veth pair create+delete, N /32
// address adds on one device; the ratio is reference time / candidate time.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns } from '../../src/kernel/netns/namespace.js';
import { run } from '../../src/kernel/exec.js';
import { addAddress, createVethPair, deleteLink, ipBatch } from '../../src/kernel/link/index.js';

const N = Number(process.argv[2] ?? 200);
const ns = `hwb${randomBytes(2).toString('hex')}-nl`;
const addr = (i: number) => `10.50.${i >> 8}.${i & 255}/32`;

interface Figure { veth: number; addr: number }

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function viaNsenterIp(): Promise<Figure> {
  const ip = (args: string[]) => run(['ip', ...args], { netns: ns }); // nsenter --net=… ip …
  const veth = await timed(async () => {
    for (let i = 0; i < N; i++) {
      await ip(['link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', `p${i}`]);
      await ip(['link', 'del', `v${i}`]);
    }
  });
  await ip(['link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1']);
  const a = await timed(async () => {
    for (let i = 0; i < N; i++) await ip(['addr', 'add', addr(i), 'dev', 'a0']);
  });
  await ip(['link', 'del', 'a0']);
  return { veth, addr: a };
}

/** The src/kernel/link API with a namespace name: `ip -n NAME` per operation. */
async function viaLinkApi(): Promise<Figure> {
  const veth = await timed(async () => {
    for (let i = 0; i < N; i++) {
      await createVethPair({ name: `v${i}`, peerName: `p${i}`, netns: ns });
      await deleteLink(`v${i}`, { netns: ns });
    }
  });
  await createVethPair({ name: 'a0', peerName: 'a1', netns: ns });
  const a = await timed(async () => {
    for (let i = 0; i < N; i++) await addAddress('a0', addr(i), { netns: ns });
  });
  await deleteLink('a0', { netns: ns });
  return { veth, addr: a };
}

async function viaBatch(): Promise<Figure> {
  const idx = [...Array(N).keys()];
  const veth = await timed(() => ipBatch(idx.flatMap((i) => [
    ['link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', `p${i}`],
    ['link', 'del', `v${i}`],
  ]), { netns: ns }));
  await createVethPair({ name: 'a0', peerName: 'a1', netns: ns });
  const a = await timed(() => ipBatch(idx.map((i) => ['addr', 'add', addr(i), 'dev', 'a0']), { netns: ns }));
  await deleteLink('a0', { netns: ns });
  return { veth, addr: a };
}

async function viaNetlink(): Promise<Figure & { startMs: number } | undefined> {
  if (!process.env.NETLINK_MODULE) return undefined;
  const worker = fileURLToPath(new URL('./nl-worker.js', import.meta.url));
  let inner: { vethMs: number; addrMs: number } = { vethMs: 0, addrMs: 0 };
  const total = await timed(async () => {
    const r = await run(['node', worker, String(N)], { netns: ns });
    inner = JSON.parse(r.stdout) as typeof inner;
  });
  return { veth: inner.vethMs, addr: inner.addrMs, startMs: total - inner.vethMs - inner.addrMs };
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms (${(ms * 1000 / N).toFixed(0).padStart(5)} µs/op)`;

await createNetns(ns);
try {
  const ref = await viaNsenterIp();
  const rows: [string, Figure & { startMs?: number }][] = [
    ['nsenter + ip per op (reference)', ref],
    ['link API (ip -n NAME) per op', await viaLinkApi()],
    ['ip -batch per phase', await viaBatch()],
  ];
  const nl = await viaNetlink();
  if (nl) rows.push(['netlink in a node started in the ns', nl]);
  console.log(`N = ${N}; veth = create+delete pairs, addr = /32 adds on one device`);
  for (const [name, f] of rows) {
    const start = f.startMs !== undefined ? `  + start ${f.startMs.toFixed(0)} ms` : '';
    console.log(`${name.padEnd(38)} veth ${fmt(f.veth)} x${(ref.veth / f.veth).toFixed(1).padStart(5)}` +
      `   addr ${fmt(f.addr)} x${(ref.addr / f.addr).toFixed(1).padStart(5)}${start}`);
  }
  if (!nl) console.log('netlink: skipped (set NETLINK_MODULE to a scratch install of the netlink package)');
} finally {
  await deleteNetns(ns);
}
