// The answer of a Service's healthCheckNodePort (externalTrafficPolicy Local), as upstream
// kube-proxy gives it (pkg/proxy/healthcheck/service_health.go): 200 while this node has a
// ready local endpoint and the proxy is healthy, else 503 — so an external load balancer
// sends traffic only to nodes that can serve it locally, and drains a node whose endpoints
// are all terminating. The agent serves it over HTTP; this is the pure part.
import type { ServicePort } from './types.js';

export interface HealthCheckService {
  namespace: string;
  name: string;
  /** The Service's healthCheckNodePort. */
  port: number;
  /** Ready endpoints on this node (terminating ones do not count). */
  localEndpoints: number;
}

export interface HealthCheckAnswer {
  status: 200 | 503;
  headers: Record<string, string>;
  body: string;
}

/** One entry per Service with a healthCheckNodePort, from its ServicePorts. */
export function healthCheckServices(ports: readonly ServicePort[]): HealthCheckService[] {
  const by = new Map<string, HealthCheckService>();
  for (const p of ports) {
    if (p.healthCheckNodePort <= 0) continue;
    const key = `${p.id.namespace}/${p.id.name}`;
    // Every port of a Service shares the endpoints' pods; count distinct ready local addresses.
    const ready = new Set(p.endpoints.filter((e) => e.local && e.ready).map((e) => e.ip));
    const prev = by.get(key);
    by.set(key, { namespace: p.id.namespace, name: p.id.name, port: p.healthCheckNodePort, localEndpoints: Math.max(prev?.localEndpoints ?? 0, ready.size) });
  }
  return [...by.values()].sort((a, b) => a.port - b.port);
}

export function healthCheckAnswer(s: HealthCheckService, proxyHealthy: boolean): HealthCheckAnswer {
  const ok = s.localEndpoints > 0 && proxyHealthy;
  const body = JSON.stringify({ service: { namespace: s.namespace, name: s.name }, localEndpoints: s.localEndpoints, serviceProxyHealthy: proxyHealthy }, null, 2);
  return {
    status: ok ? 200 : 503,
    headers: {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'X-Load-Balancing-Endpoint-Weight': String(s.localEndpoints),
    },
    body,
  };
}
