// The built-in image `hawser/echo`: on each declared port an echo server that answers with
// who answered (pod name, pod IP, node, the local address the packet arrived at — after
// any DNAT) and whom it saw (the client's source address and port — after any SNAT):
// what a network engineer needs to see NAT at work.
//   TCP ports: HTTP when the client speaks HTTP, otherwise one JSON line then close
//              (a client that sends nothing gets its line after a short wait).
//   UDP ports: one JSON line per datagram.
import dgram from 'node:dgram';
import net from 'node:net';

export interface EchoPort { port: number; protocol: 'TCP' | 'UDP' }

export interface EchoIdentity { name: string; podIP: string; node: string }

export interface EchoReply {
  /** The pod that answered (also `name`, the field netns-tests' parseEcho reads). */
  pod: string;
  name: string;
  podIP: string;
  node: string;
  proto: 'http' | 'tcp' | 'udp';
  port: number;
  local: string;
  peer: string;
  path?: string;
}

export function parsePorts(text: string): EchoPort[] {
  return text.split(',').filter(Boolean).map((p) => {
    const m = /^(\d+)(?:\/(TCP|UDP|tcp|udp))?$/.exec(p.trim());
    if (!m) throw new Error(`bad port ${JSON.stringify(p)}: want PORT[/TCP|UDP]`);
    return { port: Number(m[1]), protocol: (m[2] ?? 'TCP').toUpperCase() as 'TCP' | 'UDP' };
  });
}

function plain(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

export function hostPort(addr: string | undefined, port: number | undefined): string {
  const a = plain(addr);
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

export function echoReply(id: EchoIdentity, proto: EchoReply['proto'], port: number, local: string, peer: string, path?: string): EchoReply {
  return { pod: id.name, name: id.name, podIP: id.podIP, node: id.node, proto, port, local, peer, ...(path ? { path } : {}) };
}

const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) (\S+) HTTP\/1\.[01]\r?\n/;

function serveTcp(id: EchoIdentity, port: number, waitMs: number): Promise<net.Server> {
  const server = net.createServer((sock) => {
    sock.on('error', () => { /* client reset */ });
    const local = hostPort(sock.localAddress, sock.localPort);
    const peer = hostPort(sock.remoteAddress, sock.remotePort);
    let buf = '';
    let done = false;
    const answerRaw = () => {
      if (done) return;
      done = true;
      sock.end(JSON.stringify(echoReply(id, 'tcp', port, local, peer)) + '\n');
    };
    const timer = setTimeout(answerRaw, waitMs);
    sock.on('data', (d: Buffer) => {
      if (done) return;
      buf += d.toString('latin1');
      const m = HTTP_METHOD.exec(buf);
      if (!m) {
        if (buf.length > 16 || buf.includes('\n')) { clearTimeout(timer); answerRaw(); }
        return;
      }
      if (!buf.includes('\r\n\r\n') && !buf.includes('\n\n')) return;
      clearTimeout(timer);
      done = true;
      const body = JSON.stringify(echoReply(id, 'http', port, local, peer, m[2])) + '\n';
      sock.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${m[1] === 'HEAD' ? '' : body}`);
    });
    sock.on('end', () => { clearTimeout(timer); answerRaw(); });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ipv6Only: false }, () => resolve(server));
  });
}

function serveUdp(id: EchoIdentity, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: 'udp6', reuseAddr: true });
  sock.on('message', (_msg, rinfo) => {
    const local = hostPort(id.podIP || '::', port);
    sock.send(JSON.stringify(echoReply(id, 'udp', port, local, hostPort(rinfo.address, rinfo.port))) + '\n', rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port }, () => resolve(sock));
  });
}

export interface RunningEcho { close(): Promise<void> }

export async function startEcho(id: EchoIdentity, ports: EchoPort[], rawWaitMs = 300): Promise<RunningEcho> {
  const closers: (() => Promise<void>)[] = [];
  for (const p of ports) {
    if (p.protocol === 'TCP') {
      const s = await serveTcp(id, p.port, rawWaitMs);
      closers.push(() => new Promise((r) => s.close(() => r())));
    } else {
      const s = await serveUdp(id, p.port);
      closers.push(() => new Promise((r) => s.close(() => r())));
    }
  }
  return { close: async () => { await Promise.all(closers.map((c) => c())); } };
}
