// Durability (issue 3 acceptance): kill -9 the apiserver process during 1,000 concurrent
// creates, restart it on the same state, and check that every create that was answered
// 201 is there and that resourceVersions keep increasing — on SQLite and on etcd.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startTestEtcd } from './lib/etcd.js';

const HAWSER = fileURLToPath(new URL('../../bin/hawser.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hawser-durability-'));
const children: ChildProcess[] = [];
t.teardown(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = '';
    child[stream]!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(text)) resolve(log);
    });
    child.on('exit', (c) => reject(new Error(`${String(child.spawnargs[0])} exited ${c}: ${log.slice(-2000)}`)));
  });
}

async function startEtcd(): Promise<string> {
  const etcd = await startTestEtcd('hawser-dur', dir);
  children.push(etcd.child);
  return etcd.url;
}

async function startApiserver(dataDir: string, storageArgs: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [HAWSER, 'apiserver', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'warn', ...storageArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out = await waitFor(child, 'stdout', 'hawser apiserver ready at');
  return { child, url: /ready at (\S+)/.exec(out)![1]! };
}

async function crashDuringCreates(t: Test, name: string, storageArgs: string[]) {
  const dataDir = join(dir, name);
  const first = await startApiserver(dataDir, storageArgs);
  const token = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split(',')[0]!;
  const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const agent = new Agent({ connect: { ca }, connections: 64 });
  t.teardown(() => agent.close());
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const acked = new Map<string, number>();
  let killed = false;
  const create = async (url: string, n: string) => {
    try {
      const r = await request(`${url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers, body: JSON.stringify({ metadata: { name: n } }), dispatcher: agent });
      const body = (await r.body.json()) as { metadata?: { resourceVersion?: string } };
      if (r.statusCode === 201) {
        acked.set(n, Number(body.metadata!.resourceVersion));
        // Kill while most creates are still in flight.
        if (acked.size === 300 && !killed) { killed = true; first.child.kill('SIGKILL'); }
      }
    } catch { /* connection cut by the kill */ }
  };
  await Promise.all(Array.from({ length: 1000 }, (_, i) => create(first.url, `cm-${i}`)));
  t.ok(killed, 'the apiserver was killed during the creates');
  t.ok(acked.size >= 300 && acked.size < 1000, `${acked.size} creates were acknowledged before the kill`);
  const second = await startApiserver(dataDir, storageArgs);
  const r = await request(`${second.url}/api/v1/namespaces/default/configmaps`, { headers, dispatcher: agent });
  const list = (await r.body.json()) as { items: { metadata: { name: string } }[] };
  const present = new Set(list.items.map((o) => o.metadata.name));
  const missing = [...acked.keys()].filter((n) => !present.has(n));
  t.same(missing, [], 'every acknowledged create survived the kill');
  const maxAcked = Math.max(...acked.values());
  const after = await request(`${second.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers, body: JSON.stringify({ metadata: { name: 'after-restart' } }), dispatcher: agent });
  const rv = Number(((await after.body.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
  t.ok(rv > maxAcked, `resourceVersion after restart (${rv}) > every acknowledged one (${maxAcked})`);
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
}


t.test('sqlite', async (t) => crashDuringCreates(t, 'sqlite', ['--storage', 'sqlite']));
t.test('etcd', { skip: existsSync('/usr/bin/etcd') ? false : 'etcd is not installed' }, async (t) => {
  const url = await startEtcd();
  await crashDuringCreates(t, 'etcd', ['--storage', 'etcd', '--etcd-endpoints', url]);
});
