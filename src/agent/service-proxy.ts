// The agent's service proxy: Services, EndpointSlices and Nodes from the informers into the
// proxier (proxy/), which programs table hawser-proxy in this node's namespace; stale UDP
// flows removed with conntrack after each sync; one HTTP health server per
// healthCheckNodePort (externalTrafficPolicy Local), as kube-proxy serves them; metrics
// named like kube-proxy's so existing dashboards read them.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createProxier, healthCheckAnswer, type Proxier, type Scheduler, type SyncResult, type WatchedKind } from '../../proxy/index.js';
import { deleteConntrackFlows } from '../kernel/conntrack.js';
import { KernelNft } from '../kernel/nft/kernel.js';
import type { Logger } from '../log.js';
import type { HealthSource } from './health.js';
import { HealthCheckPorts } from './healthcheck-ports.js';

export interface ServiceProxyOptions {
  nodeName: string;
  nodeIP?: string;
  clusterCIDR: string;
  serviceCIDR: string;
  scheduler: Scheduler;
  masqueradeAll: boolean;
  minSyncIntervalMs: number;
  registry: Registry;
  log: Logger;
  /** Where healthCheckNodePort servers listen (default all addresses). */
  healthCheckHost?: string;
}

export class ServiceProxy implements HealthSource {
  readonly name = 'service-proxy';
  private readonly proxier: Proxier;
  private readonly health: HealthCheckPorts;
  private lastOk: number | undefined;
  /** The last sync attempt failed (or none succeeded yet): a sync is still owed. */
  private owed = true;
  private readonly failures: Counter;

  constructor(private readonly o: ServiceProxyOptions) {
    const r = o.registry;
    const duration = new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds', help: 'Time of one sync of the proxy rules (compile, diff, nft transaction)',
      labelNames: ['full'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [r],
    });
    this.failures = new Counter({ name: 'hawser_proxy_sync_failures_total', help: 'Syncs whose nft transaction failed', registers: [r] });
    const last = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'When the proxy rules were last synced successfully', registers: [r] });
    const services = new Gauge({ name: 'hawser_proxy_programmed_service_ports', help: 'Service ports in the applied ruleset', registers: [r] });
    const endpoints = new Gauge({ name: 'hawser_proxy_programmed_endpoints', help: 'Endpoints in the applied ruleset', registers: [r] });
    const ops = new Counter({ name: 'hawser_proxy_transaction_operations_total', help: 'nft operations sent', registers: [r] });
    this.health = new HealthCheckPorts(o.healthCheckHost ?? '0.0.0.0', (s) => healthCheckAnswer(s, this.healthy()), o.log);

    this.proxier = createProxier({
      backend: new KernelNft(),
      nodeName: o.nodeName, family: 'IPv4',
      nodeIPs: o.nodeIP ? [o.nodeIP] : undefined,
      clusterCIDRs: [o.clusterCIDR], serviceCIDRs: [o.serviceCIDR],
      scheduler: o.scheduler, masqueradeAll: o.masqueradeAll,
      minSyncIntervalMs: o.minSyncIntervalMs,
      conntrack: { deleteFlows: async (filters) => { await deleteConntrackFlows(filters); } },
      onConntrackError: (err, filters) => o.log.warn({ err: String(err), filters: filters.length }, 'stale UDP flow cleanup failed'),
      onSync: (res: SyncResult) => {
        if (res.error) {
          this.owed = true;
          this.failures.inc();
          o.log.warn({ err: String(res.error), full: res.full }, 'proxy sync failed; the next sync is full');
          return;
        }
        this.lastOk = Date.now();
        this.owed = false;
        duration.observe({ full: String(res.full) }, res.durationMs / 1000);
        last.set(this.lastOk / 1000);
        services.set(res.services);
        endpoints.set(res.endpoints);
        ops.inc(res.ops);
        if (res.ops > 0) o.log.info({ full: res.full, ops: res.ops, services: res.services, endpoints: res.endpoints, ms: Math.round(res.durationMs) }, 'proxy rules synced');
        void this.health.set(this.proxier.healthCheckServices());
      },
    });
  }

  onService(prev: V1Service | undefined, cur: V1Service | undefined): void {
    this.proxier.onServiceUpdate(prev, cur);
  }

  onEndpointSlice(prev: V1EndpointSlice | undefined, cur: V1EndpointSlice | undefined): void {
    this.proxier.onEndpointSliceUpdate(prev, cur);
  }

  onNode(prev: V1Node | undefined, cur: V1Node | undefined): void {
    // Only this node's object matters to the proxier (its addresses, topology labels).
    if ((cur ?? prev)?.metadata?.name !== this.o.nodeName) return;
    this.proxier.onNodeUpdate(prev, cur);
  }

  listed(kind: WatchedKind): void {
    this.proxier.setInitialListDone(kind);
  }

  lastAppliedRuleset() {
    return this.proxier.lastAppliedRuleset();
  }

  lastSyncOk(): number | undefined {
    return this.lastOk;
  }

  pending(): boolean {
    return this.owed;
  }

  private healthy(): boolean {
    return this.lastOk !== undefined && (!this.owed || Date.now() - this.lastOk < 60_000);
  }

  async stop(): Promise<void> {
    await this.proxier.stop();
    await this.health.close();
  }
}
