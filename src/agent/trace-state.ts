// The node's side of `hawser trace`: what the tracer needs to walk a packet through this
// node, read from the kernel when asked (the applied tables as nft lists them, the
// addresses and the main routing table) — never the agent's memory of what it meant to
// program. Served over HTTP on a unix socket (GET /v1/trace-state), so it needs no port
// and is reachable from the machine's own namespace in the lab (unix sockets are not per
// network namespace); the socket is 0600 in a 0700 directory like the CNI socket.
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KernelNft } from '../kernel/nft/index.js';
import { listAddresses, listRoutes } from '../kernel/link/index.js';
import { listListeningSockets } from '../kernel/sockets.js';
import type { NodeTraceState } from '../trace/cluster.js';
import type { Ruleset } from '../kernel/nft/types.js';
import type { Logger } from '../log.js';

/** The tables hawser's components own (DESIGN rule 3); the tracer walks every one that exists. */
export const TRACED_TABLES = ['hawser-proxy', 'hawser-policy', 'hawser-cni'] as const;

export interface TraceStateSource {
  node: string;
  routing: 'host-gw' | 'vxlan';
  clusterCIDR: string;
  podCIDRs(): string[];
}

export async function readTraceState(src: TraceStateSource, nft = new KernelNft()): Promise<NodeTraceState> {
  const tables: Ruleset[] = [];
  for (const name of TRACED_TABLES) {
    const t = await nft.listTable('ip', name);
    if (t) tables.push(t);
  }
  const addresses = (await listAddresses()).filter((a) => a.family === 4).map((a) => ({ dev: a.dev, cidr: a.cidr }));
  const routes = (await listRoutes({ family: 4 })).map((r) => ({ dst: r.dst, ...(r.via ? { via: r.via } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.src ? { src: r.src } : {}) }));
  const listening = await listListeningSockets();
  return { node: src.node, routing: src.routing, clusterCIDR: src.clusterCIDR, podCIDRs: src.podCIDRs(), addresses, routes, tables, listening };
}

export async function startTraceStateServer(socketPath: string, src: TraceStateSource, log: Logger): Promise<Server> {
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  await rm(socketPath, { force: true });
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/v1/trace-state' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'only GET /v1/trace-state' }));
      return;
    }
    readTraceState(src).then(
      (state) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state)),
      (err: unknown) => {
        log.warn({ err: String(err) }, 'trace state read failed');
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return server;
}
