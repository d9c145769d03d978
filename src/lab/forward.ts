// A byte forwarder between a TCP address and a unix socket, used in pairs to give the
// machine's own kubectl a way to the lab apiserver without touching the root namespace:
//
//   root ns:           127.0.0.1:<port>  ──▶ <state>/apiserver.sock
//   control-plane ns:  <state>/apiserver.sock ──▶ 192.168.56.5:6443
//
// Unix sockets are named by a file path, not by a network namespace, so the socket is the
// bridge between the two namespaces. TLS passes through untouched.
import net from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';

export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** 'tcp:127.0.0.1:0', 'unix:/run/x.sock' */
export function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path.startsWith('/')) throw new Error(`unix endpoint needs an absolute path: ${text}`);
    return { kind: 'unix', path };
  }
  const m = /^tcp:(.+):(\d+)$/.exec(text);
  if (!m) throw new Error(`endpoint must be tcp:HOST:PORT or unix:/PATH, got ${text}`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

function connect(to: Endpoint): net.Socket {
  return to.kind === 'unix' ? net.connect(to.path) : net.connect(to.port, to.host);
}

export interface Forwarder {
  /** The bound TCP port (useful when listening on port 0). */
  port: number | undefined;
  close(): Promise<void>;
}

export async function startForwarder(listen: Endpoint, to: Endpoint, portFile?: string): Promise<Forwarder> {
  const server = net.createServer((client) => {
    const upstream = connect(to);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  if (listen.kind === 'unix') rmSync(listen.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (listen.kind === 'unix') server.listen(listen.path, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : undefined;
  if (portFile && port !== undefined) writeFileSync(portFile, `${port}\n`);
  return {
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
