// Traffic inside a World: echo servers, probe clients with deadlines, ping, SCTP.
// Clients never hang and never throw for network outcomes: they return
// { ok: true, reply, echo } or { ok: false, kind, error }.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { World } from './world.js';
import { processRunning } from './teardown.js';
import { parseEcho, type EchoReply, type ServerSpec } from './echo-protocol.js';
import type { ProbeAnswer, ProbeErrorKind, ProbeRequest } from './probe-protocol.js';

export type ProbeResult =
  | { ok: true; reply: string; echo: EchoReply | undefined; status?: number }
  | { ok: false; kind: ProbeErrorKind; error: string };

export interface ProbeOptions {
  /** Deadline for the whole exchange (default 2000 ms). */
  timeoutMs?: number;
  bindAddress?: string;
  bindPort?: number;
  send?: string;
  path?: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Wait for the first stdout line of a child (its "ready" line), with a deadline. */
function firstLine(child: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${what}: not ready within ${timeoutMs} ms ${stderr}`)); }, timeoutMs);
    rl.once('line', (line) => { clearTimeout(timer); rl.close(); resolve(line); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited ${code}: ${stderr}`)); });
  });
}

export interface EchoServer {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Kill and wait until the process is gone. Polls with a ref'd timer: helper processes
 * are unref'd, so their 'exit' event alone would not keep the test process alive.
 */
function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    child.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while (child.pid !== undefined && processRunning(child.pid) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
  };
}

/** Start an echo server (echo-server.ts) inside `ns`; resolves once every port is bound. */
/**
 * A helper process must not keep the test process alive (a test that forgets close()
 * would otherwise hang at its end); the World's exit handler still kills it.
 */
function detachFromLoop(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
}

export async function startEchoServer(w: World, ns: string, spec: ServerSpec): Promise<EchoServer> {
  const child = w.spawn(ns, [process.execPath, here('./echo-server.js'), JSON.stringify(spec)]);
  const ready = JSON.parse(await firstLine(child, 10_000, `echo server ${spec.name}`)) as { pid: number; failed: unknown[] };
  detachFromLoop(child);
  if (ready.failed.length > 0) {
    child.kill('SIGKILL');
    throw new Error(`echo server ${spec.name} could not listen: ${JSON.stringify(ready.failed)}`);
  }
  return { pid: ready.pid, stop: stopper(child) };
}

/** One long-lived probe agent per (world, namespace). */
class Prober {
  private nextId = 1;
  private readonly pending = new Map<number, (a: ProbeAnswer) => void>();
  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const a = JSON.parse(line) as ProbeAnswer;
      this.pending.get(a.id)?.(a);
      this.pending.delete(a.id);
    });
    child.once('exit', () => {
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, kind: 'error', error: 'probe agent exited' });
      this.pending.clear();
    });
  }

  static async start(w: World, ns: string): Promise<Prober> {
    const child = w.spawn(ns, [process.execPath, here('./probe-agent.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    await firstLine(child, 10_000, `probe agent in ${ns}`);
    detachFromLoop(child);
    return new Prober(child);
  }

  request(req: Omit<ProbeRequest, 'id'>): Promise<ProbeAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      // The agent enforces the deadline; this ref'd backstop keeps our event loop alive
      // while a probe is pending (the agent is unref'd) and covers a wedged agent.
      const backstop = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, kind: 'timeout', error: 'probe agent did not answer' });
      }, req.timeoutMs + 2000);
      this.pending.set(id, (a) => { clearTimeout(backstop); resolve(a); });
      this.child.stdin!.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }
}

const probers = new WeakMap<World, Map<string, Promise<Prober>>>();

function proberFor(w: World, ns: string): Promise<Prober> {
  w.ns(ns); // only this world's namespaces
  let m = probers.get(w);
  if (!m) probers.set(w, (m = new Map()));
  let p = m.get(ns);
  if (!p) m.set(ns, (p = Prober.start(w, ns)));
  return p;
}

async function probe(w: World, ns: string, op: ProbeRequest['op'], host: string, port: number, opts: ProbeOptions): Promise<ProbeResult> {
  const prober = await proberFor(w, ns);
  const a = await prober.request({ op, host, port, timeoutMs: opts.timeoutMs ?? 2000, bindAddress: opts.bindAddress, bindPort: opts.bindPort, send: opts.send, path: opts.path });
  if (!a.ok) return { ok: false, kind: a.kind ?? 'error', error: a.error ?? 'failed' };
  return { ok: true, reply: a.reply ?? '', echo: parseEcho(a.reply ?? ''), status: a.status };
}

/** TCP connect from `ns`; the reply is what the server sent before closing. */
export const tcpProbe = (w: World, ns: string, host: string, port: number, opts: ProbeOptions = {}) =>
  probe(w, ns, 'tcp', host, port, opts);
/** One UDP datagram from `ns` and the first datagram back; an ICMP reject is kind 'refused'. */
export const udpProbe = (w: World, ns: string, host: string, port: number, opts: ProbeOptions = {}) =>
  probe(w, ns, 'udp', host, port, opts);
/** HTTP GET from `ns`; ok for any status (check `status`). */
export const httpProbe = (w: World, ns: string, host: string, port: number, opts: ProbeOptions = {}) =>
  probe(w, ns, 'http', host, port, opts);

export interface PingResult {
  ok: boolean;
  output: string;
}

/** ICMP echo from `ns`; ok when at least one reply came back within timeoutMs. */
export async function ping(w: World, ns: string, host: string, opts: { count?: number; timeoutMs?: number } = {}): Promise<PingResult> {
  const secs = Math.max(1, Math.ceil((opts.timeoutMs ?? 2000) / 1000));
  const r = await w.exec(ns, ['ping', '-n', '-c', String(opts.count ?? 1), '-w', String(secs), host],
    { allowFailure: true, timeoutMs: secs * 1000 + 2000 });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

/**
 * Whether the kernel can open SCTP sockets in `ns`. This machine's kernel has
 * CONFIG_IP_SCTP unset (only conntrack/NAT/nft SCTP support); /proc/sys/net/sctp exists
 * in every namespace when the SCTP stack is there.
 */
export async function sctpSupported(w: World, ns: string): Promise<boolean> {
  return (await w.exec(ns, ['test', '-d', '/proc/sys/net/sctp'], { allowFailure: true })).code === 0;
}

/**
 * How SCTP traffic is made in `ns`: 'kernel' (socat on real SCTP sockets), 'raw' (the
 * INIT / INIT-ACK exchange over raw sockets by sctp-raw.py — IPv4 only), or 'none'.
 */
export async function sctpMode(w: World, ns: string): Promise<'kernel' | 'raw' | 'none'> {
  if (await sctpSupported(w, ns)) return 'kernel';
  return rawScript() && (await w.exec(ns, ['python3', '-c', '0'], { allowFailure: true })).code === 0 ? 'raw' : 'none';
}

/** sctp-raw.py is not compiled: find it beside this file, or in the source tree from dist/. */
function rawScript(): string | undefined {
  return [here('./sctp-raw.py'), here('../../../netns-tests/lib/sctp-raw.py')].find((p) => existsSync(p));
}

/**
 * An SCTP echo server answering like echo-server.ts (the peer is what the server saw).
 * With a kernel SCTP stack: socat; without: sctp-raw.py, which answers INIT with an
 * INIT-ACK carrying the echo reply. Start ONE per namespace, listing all its ports.
 */
export async function startSctpServer(w: World, ns: string, spec: { name: string; ports: number[] }): Promise<EchoServer> {
  const mode = await sctpMode(w, ns);
  if (mode === 'none') throw new Error('SCTP: no kernel SCTP stack and no python3 for raw SCTP');
  if (mode === 'raw') {
    const child = w.spawn(ns, ['python3', rawScript()!, 'server', JSON.stringify(spec)]);
    const ready = JSON.parse(await firstLine(child, 10_000, `sctp server ${spec.name}`)) as { pid: number };
    detachFromLoop(child);
    return { pid: ready.pid, stop: stopper(child) };
  }
  const servers = await Promise.all(spec.ports.map((port) => startSocatSctp(w, ns, spec.name, port)));
  return { pid: servers[0]!.pid, stop: async () => { await Promise.all(servers.map((s) => s.stop())); } };
}

async function startSocatSctp(w: World, ns: string, name: string, port: number): Promise<EchoServer> {
  const answer = `printf '{"name":"%s","proto":"sctp","port":${port},"local":"%s:%s","peer":"%s:%s"}\\n' "$ECHO_NAME" "$SOCAT_SOCKADDR" "$SOCAT_SOCKPORT" "$SOCAT_PEERADDR" "$SOCAT_PEERPORT"`;
  const child = w.spawn(ns, ['socat', '-d', '-d', `SCTP-LISTEN:${port},fork,reuseaddr`, `SYSTEM:${answer}`],
    { env: { ...process.env, ECHO_NAME: name } });
  // socat -d -d logs "listening on" to stderr once bound.
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sctp server: not listening: ${err}`)), 5000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (/listening on/.test(err)) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sctp server exited ${code}: ${err}`)); });
  });
  detachFromLoop(child);
  return { pid: child.pid!, stop: stopper(child) };
}

/**
 * SCTP from `ns`: ok with the server's echo reply; 'refused' for ABORT or an ICMP
 * unreachable (a REJECT), 'timeout' for silence (a DROP); 'unsupported' when neither
 * kernel SCTP nor raw SCTP is available.
 */
export async function sctpProbe(w: World, ns: string, host: string, port: number, opts: { timeoutMs?: number; bindAddress?: string; bindPort?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const mode = await sctpMode(w, ns);
  if (mode === 'none') return { ok: false, kind: 'unsupported', error: 'SCTP: no kernel SCTP stack and no python3 for raw SCTP' };
  if (mode === 'raw') {
    const r = await w.exec(ns, ['python3', rawScript()!, 'client', host, String(port), String(timeoutMs), opts.bindAddress ?? '', String(opts.bindPort ?? '')],
      { allowFailure: true, timeoutMs: timeoutMs + 3000 });
    if (r.code !== 0) return { ok: false, kind: 'error', error: r.stderr.trim() };
    const a = JSON.parse(r.stdout) as { ok: boolean; reply?: string; kind?: ProbeErrorKind; error?: string };
    if (!a.ok) return { ok: false, kind: a.kind ?? 'error', error: a.error ?? 'failed' };
    return { ok: true, reply: a.reply ?? '', echo: parseEcho(a.reply ?? '') };
  }
  const secs = (timeoutMs / 1000).toFixed(1);
  const bind = [opts.bindAddress && `bind=${opts.bindAddress}`, opts.bindPort && `sourceport=${opts.bindPort}`].filter(Boolean);
  const addr = host.includes(':') ? `SCTP6:[${host}]:${port}` : `SCTP4:${host}:${port}`;
  const r = await w.exec(ns, ['socat', '-T', secs, '-t', secs, 'STDIO', [addr, `connect-timeout=${secs}`, ...bind].join(',')],
    { allowFailure: true, timeoutMs: timeoutMs + 2000 });
  if (r.code === 0 && r.stdout !== '') return { ok: true, reply: r.stdout, echo: parseEcho(r.stdout) };
  const kind: ProbeErrorKind = /refused/i.test(r.stderr) ? 'refused' : /unreachable/i.test(r.stderr) ? 'unreachable' : 'timeout';
  return { ok: false, kind, error: r.stderr.trim() || 'no answer' };
}
