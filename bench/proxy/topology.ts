// The traffic side of bench/proxy: two identical client → node → server paths built from
// netns-tests/lib's World, and the Go load generator (connload/) run inside them.
//   path "ref":  node has conntrack only (one `ct state` rule, no NAT); client → server:9090
//   path "svc":  node has table hawser-proxy;  client → ClusterIP:80 → DNAT → server:8080
// Two paths instead of one reprogrammed node: both stay loaded, so rounds can alternate
// between them every few seconds and share whatever else the machine is doing. Distinct
// server ports on top (REFERENCE.md: a backend reached directly and through DNAT on the
// same port can see SYN retries from TIME_WAIT checks).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from '../../netns-tests/lib/index.js';
import { run } from '../../src/kernel/exec.js';
import { CLIENT_IP, SERVER_IP, TARGET_PORT } from './objects.js';

export const REF_PORT = 9090;
export type Path = 'ref' | 'svc';
const short = (p: Path, role: 'c' | 'n' | 's'): string => `${role}${p}`;
export const nodeNs = (p: Path): string => short(p, 'n');

const here = dirname(fileURLToPath(import.meta.url));
/** dist/bench/proxy → the repository root, where the Go source lives (tsc does not copy it). */
const SOURCE = join(here, '..', '..', '..', 'bench', 'proxy', 'connload', 'main.go');
const BINARY = join(here, 'connload');

/** Build connload unless the binary is newer than its source (stdlib only: no network). */
export async function buildLoadGenerator(): Promise<string> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs > statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(here, { recursive: true });
  await run(['go', 'build', '-o', BINARY, SOURCE], { timeoutMs: 300_000, env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' } });
  return BINARY;
}

async function buildPath(w: World, p: Path): Promise<void> {
  const [c, n, s] = [short(p, 'c'), short(p, 'n'), short(p, 's')];
  for (const x of [c, n, s]) await w.addNetns(x);
  await w.connect(c, 'eth0', n, 'to-c');
  await w.connect(n, 'to-s', s, 'eth0');
  await w.addAddress(c, 'eth0', `${CLIENT_IP}/24`);
  await w.addAddress(n, 'to-c', '10.244.1.1/24');
  await w.addAddress(n, 'to-s', '10.244.2.1/24');
  await w.addAddress(s, 'eth0', `${SERVER_IP}/24`);
  await w.addRoute(c, { dst: 'default', via: '10.244.1.1' });
  await w.addRoute(s, { dst: 'default', via: '10.244.2.1' });
  await w.enableForwarding(n);
}

/** Both paths, the reference node's conntrack-only table, and the two servers. */
export async function buildPaths(w: World, gen: string): Promise<void> {
  await buildPath(w, 'ref');
  await buildPath(w, 'svc');
  // A `ct` expression is what registers conntrack's hooks in a namespace: without any rule
  // using it the reference would measure plain routing, which has no connection state.
  await w.exec(nodeNs('ref'), ['nft', '-f', '-'], {
    input: 'table ip bench-ref {\n\tchain forward { type filter hook forward priority 0; policy accept; ct state invalid drop; }\n}\n',
  });
  await startServer(w, short('ref', 's'), gen, `${SERVER_IP}:${REF_PORT}`);
  await startServer(w, short('svc', 's'), gen, `${SERVER_IP}:${TARGET_PORT}`);
}

async function startServer(w: World, ns: string, gen: string, listen: string): Promise<ChildProcess> {
  const child = w.spawn(ns, [gen, 'serve', '-listen', listen]);
  child.unref();
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`connload serve ${listen} exited ${code}`)));
  });
  return child;
}

export interface LoadResult {
  conns: number;
  errors: number;
  elapsedMs: number;
  rate: number;
  p50us: number;
  p90us: number;
  p99us: number;
  firstError?: string;
}

export interface LoadOptions { conns: number; concurrency: number; warmup: number }

/** One generator run from the path's client to `target` (ip:port). */
export async function load(w: World, p: Path, gen: string, target: string, o: LoadOptions): Promise<LoadResult> {
  const child = w.spawn(short(p, 'c'), [gen, 'client', '-target', target,
    '-n', String(o.conns), '-c', String(o.concurrency), '-warmup', String(o.warmup)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`connload client ${target} in ${p} exited ${code}`);
  return JSON.parse(out) as LoadResult;
}

export const refTarget = `${SERVER_IP}:${REF_PORT}`;
