// Crash safety: whatever way a test process dies, nothing of its world stays behind —
// either its own handlers clean up (exit, SIGTERM, uncaught exception) or, after a
// SIGKILL, the next harness start sweeps it. Live worlds and foreign namespaces are
// never touched.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { World, STATE_DIR, netnsExists, processRunning, sweepLeftovers } from './lib/index.js';
import { createNetns, deleteNetns } from '../src/kernel/netns/namespace.js';

interface Built { prefix: string; netns: string[]; serverPid: number; probeOk: boolean }

async function startChild() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/crash-child.js', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume(); // the 'throw' case prints its stack: expected, not shown
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`crash child exited ${code} before reporting`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, built: JSON.parse(line) as Built, exited };
}

function assertBuilt(t: Test, b: Built) {
  t.equal(b.netns.length, 3, 'child built 3 namespaces');
  t.ok(b.netns.every(netnsExists), 'they exist while it runs');
  t.ok(processRunning(b.serverPid), 'its server runs inside');
  t.ok(b.probeOk, 'and answered');
}

function assertGone(t: Test, b: Built) {
  t.same(b.netns.filter(netnsExists), [], 'no namespace left');
  t.notOk(processRunning(b.serverPid), 'no server process left');
  t.notOk(existsSync(`${STATE_DIR}/${b.prefix}.json`), 'no state file left');
}

t.test('SIGKILL: leftovers stay, the next harness start sweeps them', async (t) => {
  const { child, built, exited } = await startChild();
  assertBuilt(t, built);
  child.kill('SIGKILL');
  await exited;
  t.ok(built.netns.every(netnsExists), 'a SIGKILLed run leaves its namespaces (nothing can run)');
  t.ok(processRunning(built.serverPid), 'and its server, reparented, still inside');

  // (Not asserting on w.swept: another harness process starting at the same moment may
  // be the one that sweeps them; what matters is that they are gone.)
  const w = await World.create();
  t.teardown(() => w.close());
  assertGone(t, built);
});

// 'end': the test forgot close() — its helper processes must not keep it alive.
for (const how of ['SIGTERM', 'SIGINT', 'exit', 'throw', 'end'] as const) {
  t.test(`${how}: the dying process cleans up itself`, async (t) => {
    const { child, built, exited } = await startChild();
    assertBuilt(t, built);
    if (how === 'SIGTERM' || how === 'SIGINT') child.kill(how);
    else child.stdin.write(`${how}\n`);
    await exited;
    assertGone(t, built);
  });
}

t.test('the sweep leaves live worlds and foreign namespaces alone', async (t) => {
  const live = await World.create();
  t.teardown(() => live.close());
  await live.addNetns('keep');
  const foreign = `hwtx${randomBytes(2).toString('hex')}-foreign`;
  await createNetns(foreign);
  t.teardown(() => deleteNetns(foreign));
  const report = await sweepLeftovers();
  t.notOk(report.netns.includes(live.ns('keep')), 'live world untouched');
  t.ok(netnsExists(live.ns('keep')));
  t.ok(netnsExists(foreign), 'a namespace not of the harness shape is untouched');
});
