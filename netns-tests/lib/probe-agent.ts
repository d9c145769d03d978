// A client that lives inside one namespace and makes TCP/UDP/HTTP requests on demand:
// one JSON request per stdin line, one JSON answer per stdout line (same id).
// Long-lived on purpose: starting Node costs ≈ 100 ms here, a probe well under 1 ms, and
// a probe can then end the moment its answer arrives (a socat UDP client can only stop
// at its inactivity timeout). Every probe has a deadline; the agent never hangs a test.
import net from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import { createInterface } from 'node:readline';
import type { ProbeRequest, ProbeAnswer, ProbeErrorKind } from './probe-protocol.js';

function kindOf(err: NodeJS.ErrnoException): ProbeErrorKind {
  switch (err.code) {
    case 'ECONNREFUSED': return 'refused';
    case 'ECONNRESET': return 'reset';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'unreachable';
    case 'ETIMEDOUT': return 'timeout';
    default: return 'error';
  }
}

function tcp(req: ProbeRequest, done: (a: Omit<ProbeAnswer, 'id'>) => void): () => void {
  const sock = net.connect({ host: req.host, port: req.port, localAddress: req.bindAddress, localPort: req.bindPort });
  let data = '';
  sock.setEncoding('utf8');
  sock.on('connect', () => { if (req.send !== undefined) sock.write(req.send); sock.end(); });
  sock.on('data', (d: string) => { data += d; });
  sock.on('end', () => done({ ok: true, reply: data }));
  sock.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, kind: kindOf(err), error: String(err.message) }));
  return () => sock.destroy();
}

function udp(req: ProbeRequest, done: (a: Omit<ProbeAnswer, 'id'>) => void): () => void {
  const sock = dgram.createSocket(net.isIPv6(req.host) ? 'udp6' : 'udp4');
  // A connected UDP socket receives the ICMP port-unreachable of a REJECT as ECONNREFUSED,
  // which tells "rejected" from "dropped" (no answer at all).
  sock.on('message', (msg) => done({ ok: true, reply: msg.toString('utf8') }));
  sock.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, kind: kindOf(err), error: String(err.message) }));
  sock.bind({ address: req.bindAddress, port: req.bindPort ?? 0 }, () => {
    sock.connect(req.port, req.host, () => sock.send(req.send ?? 'probe\n'));
  });
  return () => { try { sock.close(); } catch { /* already closed */ } };
}

function httpGet(req: ProbeRequest, done: (a: Omit<ProbeAnswer, 'id'>) => void): () => void {
  const r = http.get({
    host: req.host, port: req.port, path: req.path ?? '/', agent: false,
    localAddress: req.bindAddress, localPort: req.bindPort,
  }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => { body += d; });
    res.on('end', () => done({ ok: true, reply: body, status: res.statusCode }));
    res.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, kind: kindOf(err), error: String(err.message) }));
  });
  r.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, kind: kindOf(err), error: String(err.message) }));
  return () => r.destroy();
}

const ops = { tcp, udp, http: httpGet };

function handle(line: string): void {
  let req: ProbeRequest;
  try {
    req = JSON.parse(line) as ProbeRequest;
  } catch {
    return;
  }
  let finished = false;
  let cancel: () => void = () => undefined;
  const done = (a: Omit<ProbeAnswer, 'id'>) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    cancel();
    process.stdout.write(JSON.stringify({ id: req.id, ...a }) + '\n');
  };
  const timer = setTimeout(() => done({ ok: false, kind: 'timeout', error: `no answer within ${req.timeoutMs} ms` }), req.timeoutMs);
  try {
    cancel = ops[req.op](req, done);
  } catch (err) {
    done({ ok: false, kind: 'error', error: String(err) });
  }
}

createInterface({ input: process.stdin }).on('line', handle).on('close', () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');
