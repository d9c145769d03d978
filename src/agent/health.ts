// The agent's operational endpoints, as kube-proxy has them: /healthz and /livez on
// 0.0.0.0:10256 (load balancers probe /healthz to learn whether this node proxies), and
// Prometheus /metrics on 127.0.0.1:10249.
// /healthz is healthy when every component's last successful sync is recent enough (or it
// has nothing queued) — the same "lastUpdated/currentTime" JSON kube-proxy answers.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthSource {
  name: string;
  /** ms timestamp of the last successful sync; undefined before the first one. */
  lastSyncOk(): number | undefined;
  /** True while a sync is wanted but has not happened yet. */
  pending(): boolean;
}

export function healthStatus(sources: HealthSource[], now: number, staleAfterMs: number): { healthy: boolean; body: object } {
  const components = sources.map((s) => {
    const last = s.lastSyncOk();
    const healthy = last !== undefined && (!s.pending() || now - last <= staleAfterMs);
    return { name: s.name, healthy, lastUpdated: last ? new Date(last).toISOString() : null };
  });
  const healthy = components.every((c) => c.healthy);
  return { healthy, body: { currentTime: new Date(now).toISOString(), nodeHealthy: healthy, components } };
}

function parseBind(bind: string): { host: string; port: number } {
  const i = bind.lastIndexOf(':');
  return { host: bind.slice(0, i) || '0.0.0.0', port: Number(bind.slice(i + 1)) };
}

function listen(server: Server, bind: string): Promise<Server> {
  const { host, port } = parseBind(bind);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export async function startHealthServer(bind: string, sources: HealthSource[], staleAfterMs = 60_000): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (path === '/healthz') {
      const { healthy, body } = healthStatus(sources, Date.now(), staleAfterMs);
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(404).end();
  });
  return listen(server, bind);
}

export async function startMetricsServer(bind: string, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return listen(server, bind);
}
