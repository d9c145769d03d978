// The servers tests talk to. Run inside a namespace (World.spawn → nsenter --net):
//   node echo-server.js '{"name":"a","listen":[{"proto":"tcp","port":80},{"proto":"udp","port":80}]}'
// Every answer is ONE JSON line (an EchoReply) saying who answered (name, proto, local
// address) and whom the server saw (peer = the client's source address:port after any
// NAT) — what service and policy tests assert on. TCP answers on accept and closes;
// UDP answers each datagram; HTTP answers every request (any path).
// Prints {"ready":true,…} on stdout once every listener is bound (or failed).
import net from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';
import type { EchoReply, Listen, ServerSpec } from './echo-protocol.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d. */
function plain(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function hostPort(addr: string | undefined, port: number | undefined): string {
  const a = plain(addr);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function reply(l: Listen, local: string, peer: string, extra: Partial<EchoReply> = {}): string {
  const r: EchoReply = { name: spec.name, proto: l.proto, port: l.port, local, peer, ...extra };
  return JSON.stringify(r) + '\n';
}

function listenTcp(l: Listen): Promise<void> {
  const server = net.createServer((sock) => {
    sock.on('error', () => { /* client reset: nothing to answer */ });
    sock.end(reply(l, hostPort(sock.localAddress, sock.localPort), hostPort(sock.remoteAddress, sock.remotePort)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: l.port, host: l.host }, () => resolve());
  });
}

function listenUdp(l: Listen): Promise<void> {
  const v6 = l.host === undefined || l.host.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
  sock.on('message', (_msg, rinfo) => {
    const a = sock.address();
    // With a wildcard bind the local address is '::'; the peer is what tests need.
    sock.send(reply(l, hostPort(a.address, a.port), hostPort(rinfo.address, rinfo.port)), rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port: l.port, address: l.host }, () => resolve());
  });
}

function listenHttp(l: Listen): Promise<void> {
  const server = http.createServer((req, res) => {
    const body = reply(l, hostPort(req.socket.localAddress, req.socket.localPort),
      hostPort(req.socket.remoteAddress, req.socket.remotePort), { path: req.url ?? '/' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: l.port, host: l.host }, () => resolve());
  });
}

const listeners: Record<Listen['proto'], (l: Listen) => Promise<void>> = { tcp: listenTcp, udp: listenUdp, http: listenHttp };
const failed: { proto: string; port: number; error: string }[] = [];
for (const l of spec.listen ?? []) {
  try {
    await listeners[l.proto](l);
  } catch (err) {
    failed.push({ proto: l.proto, port: l.port, error: String(err) });
  }
}
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, failed }) + '\n');
// Stay up until killed: the World (or the sweep) ends us.
process.on('SIGTERM', () => process.exit(0));
