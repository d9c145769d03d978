// bench/lab: how long `lab up` takes for 3 nodes until every node is Ready (goal ≤ 20 s),
// and the memory (RSS) of each node's agent + kubelet. Reference, measured in the same
// run: the RSS of an idle bare Node.js process (`node -e "setInterval(…)"`) — the floor
// any Node daemon pays — so the figure reads as "how many bare Node processes".
//   node dist/bench/lab/bench.js [--nodes 3] [--runs 1]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { labDown } from '../../src/lab/down.js';
import { labUp } from '../../src/lab/up.js';

const arg = (k: string, d: number) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const nodes = arg('--nodes', 3);
const runs = arg('--runs', 1);

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const rss = rssKiB(child.pid!);
  child.kill('SIGKILL');
  return rss;
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ups: number[] = [];
const perNode: number[] = [];
for (let i = 0; i < runs; i++) {
  const name = `b${[...randomBytes(5)].map((b) => (b % 36).toString(36)).join('')}`;
  const t0 = process.hrtime.bigint();
  try {
    const { state } = await labUp({ name, nodes });
    ups.push(Number(process.hrtime.bigint() - t0) / 1e9);
    await new Promise((r) => setTimeout(r, 3000)); // let the daemons settle after start-up
    for (let n = 1; n <= nodes; n++) {
      const own = state.processes.filter((p) => p.node === `node${n}` && (p.component === 'agent' || p.component === 'kubelet'));
      perNode.push(own.reduce((sum, p) => sum + rssKiB(p.pid), 0));
    }
  } finally {
    await labDown({ name });
  }
}
const bare = await bareNodeRss();
const up = median(ups);
console.log(`lab up, ${nodes} nodes until all Ready: ${up.toFixed(1)} s (median of ${runs}); goal 20 s → ${(up / 20).toFixed(2)}× the goal`);
console.log(`agent + kubelet RSS per node: ${mib(median(perNode))} (median of ${perNode.length}); ` +
  `reference idle bare node process: ${mib(bare)} → ${(median(perNode) / bare).toFixed(1)}× the reference`);
