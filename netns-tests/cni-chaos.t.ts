// Crash safety: many ADD/DEL cycles, 4 at a time, with the plugin process SIGKILLed at
// random moments (mid-lock, mid-wiring, mid-write). A runtime answers a failed ADD with
// DEL and retries a failed DEL, and so does this test. Invariants checked throughout and
// at the end: no address is ever held by two live pods, and once every DEL has
// succeeded there is no reservation, no index entry, no host veth and no stale lock left.
// 80 cycles by default (≈ 1.5 min here); HAWSER_CHAOS_CYCLES=1000 for the full run.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from './lib/index.js';
import { install } from '../cni/install.js';
import { listLinks } from '../src/kernel/link/index.js';
import { netnsPath } from '../src/kernel/netns/paths.js';

const CYCLES = Number(process.env.HAWSER_CHAOS_CYCLES ?? 80);
const PARALLEL = 4;

const w = await World.create();
const tmp = mkdtempSync(join(tmpdir(), `${w.prefix}-cnichaos-`));
t.teardown(async () => {
  await w.close();
  rmSync(tmp, { recursive: true, force: true });
});

const dataDir = join(tmp, 'data');
const inst = await install({ binDir: join(tmp, 'bin'), confDir: join(tmp, 'conf'), portmap: false });
const node = await w.addNetns('node');
const config = JSON.stringify({ cniVersion: '1.1.0', name: 'chaos', type: 'hawser', podCIDR: '10.244.8.0/24', dataDir });

/** One plugin call that may be SIGKILLed after killAfterMs (undefined: never). */
function call(command: 'ADD' | 'DEL', id: string, netns: string, killAfterMs?: number) {
  return new Promise<{ exit: number | null; stdout: string; killed: boolean }>((resolve) => {
    const child = spawn('nsenter', [`--net=${netnsPath(node)}`, '--', inst.plugin], {
      env: { PATH: process.env.PATH, CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let stdout = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stdin.on('error', () => undefined);
    child.stdin.end(config);
    // nsenter and the launcher exec: the pid is the plugin's Node process.
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => { killed = true; child.kill('SIGKILL'); }, killAfterMs);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ exit: code, stdout, killed });
    });
  });
}

const live = new Map<string, string>(); // container → address, for pods whose ADD succeeded
const violations: string[] = [];
let kills = 0;
let completedAdds = 0;

async function worker(slot: number, cycles: number): Promise<void> {
  await w.addNetns(`w${slot}`);
  const netns = w.path(`w${slot}`);
  for (let i = 0; i < cycles; i++) {
    const id = `chaos-${slot}-${i}`;
    const kill = Math.random() < 0.4 ? Math.random() * 600 : undefined;
    const add = await call('ADD', id, netns, kill);
    if (add.killed) kills++;
    if (add.exit === 0) {
      completedAdds++;
      const ip = (JSON.parse(add.stdout) as { ips: { address: string }[] }).ips[0]!.address;
      for (const [other, oip] of live) if (oip === ip) violations.push(`${ip} held by ${other} and ${id}`);
      live.set(id, ip);
    }
    // The runtime's answer to any ADD outcome here: tear down (DEL, possibly killed, retried).
    const delKill = Math.random() < 0.3 ? Math.random() * 400 : undefined;
    let del = await call('DEL', id, netns, delKill);
    if (del.killed) kills++;
    for (let tries = 0; del.exit !== 0 && tries < 5; tries++) del = await call('DEL', id, netns);
    if (del.exit !== 0) violations.push(`DEL ${id} kept failing: ${del.stdout}`);
    live.delete(id);
  }
}

t.test(`${CYCLES} ADD/DEL cycles, ${PARALLEL} at a time, random SIGKILLs`, async (t) => {
  const per = Math.ceil(CYCLES / PARALLEL);
  await Promise.all(Array.from({ length: PARALLEL }, (_, s) => worker(s, per)));
  t.same(violations, [], 'no address held twice, every DEL eventually succeeded');
  t.ok(kills > 0, `the plugin was killed ${kills} times`);
  t.ok(completedAdds > 0, `${completedAdds} ADDs completed`);
  const store = join(dataDir, 'chaos');
  const files = existsSync(store) ? readdirSync(store) : [];
  t.same(files.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)), [], 'no reservation left');
  t.same(existsSync(join(store, 'att')) ? readdirSync(join(store, 'att')) : [], [], 'no index entry left');
  t.notOk(files.includes('lock'), 'no lock left behind (stale ones were taken over)');
  t.same((await listLinks({ netns: node, kind: 'veth' })).map((l) => l.name), [], 'no host veth left');
});
