// `hawser agent`: the per-node daemon. One informer per watched kind over the public API
// feeds every component that needs the kind; each component tracks changes and syncs on
// its own schedule (DESIGN rule 5); /healthz reports them all.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Server } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadKubeConfig } from '../client/kubeconfig.js';
import { AGENT_LEASES, ENDPOINT_SLICES, NAMESPACES, NETWORK_POLICIES, NODES, PODS, SERVICES, watch, type KindSpec } from '../client/kinds.js';
import type { RunningInformer } from '../client/informer.js';
import type { Scheduler } from '../../proxy/index.js';
import type { Logger } from '../log.js';
import { startHealthServer, startMetricsServer, type HealthSource } from './health.js';
import { NetworkPolicyAgent } from './network-policy.js';
import { LbAnnouncer } from './lb-announcer.js';
import { AGENT_LEASE_LABEL } from './agent-lease.js';
import { restFromKubeConfig } from '../client/rest-access.js';
import { NodeNetworkController } from './node-network.js';
import type { RoutingMode } from './node-routes.js';
import { ServiceProxy } from './service-proxy.js';
import { IpamSweeper } from './ipam-sweeper.js';
import { startTraceStateServer } from './trace-state.js';
import { NETWORK_NAME as CNI_NETWORK } from '../../cni/install.js';

export interface AgentOptions {
  kubeconfig?: string;
  nodeName: string;
  nodeIP?: string;
  clusterCIDR: string;
  serviceCIDR: string;
  routing: RoutingMode;
  podCIDRFile: string;
  /** Serve the CNI thin client's calls here ('' = do not serve: the plugin runs standalone). */
  cniSocket: string;
  /** Serve this node's trace state (`hawser trace`) on this unix socket ('' = off). */
  traceSocket: string;
  /** The CNI plugin's IPAM store, swept for pods gone without a DEL ('' = no sweep). */
  cniDataDir: string;
  healthzBind: string;
  metricsBind: string;
  /** Run the service proxy (table hawser-proxy). */
  proxy: boolean;
  /** Enforce NetworkPolicies (table hawser-policy). */
  networkPolicy: boolean;
  /** Announce LoadBalancer IPs on the node's L2 segment (ARP), as MetalLB's layer-2 mode. */
  announceLoadBalancerIPs: boolean;
  scheduler: Scheduler;
  masqueradeAll: boolean;
  policyDeny: 'drop' | 'reject';
  logDenied: boolean;
  minSyncIntervalMs: number;
  log: Logger;
}

export interface RunningAgent {
  proxy?: ServiceProxy;
  policy?: NetworkPolicyAgent;
  announcer?: LbAnnouncer;
  stop(): Promise<void>;
}

/** Upstream kube-proxy's list selector: Services handed to another proxy, and headless ones, are not ours. */
export const PROXIED_SERVICES = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';

interface Subscriber<T> {
  change(prev: T | undefined, cur: T | undefined): void;
  synced(): void;
}

export async function runAgent(opts: AgentOptions): Promise<RunningAgent> {
  const kc = loadKubeConfig(opts.kubeconfig);
  const log = opts.log;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const informers: RunningInformer<never>[] = [];
  const sources: HealthSource[] = [];
  const subscribe = <T extends KubernetesObject>(kind: KindSpec<T>, subs: Subscriber<T>[], sel: { labelSelector?: string } = {}) => {
    if (subs.length === 0) return;
    informers.push(watch(kc, kind, {
      onChange: (p, c) => { for (const s of subs) s.change(p, c); },
      onSynced: () => { for (const s of subs) s.synced(); },
      onError: (err) => log.warn({ kind: kind.path, err: String(err) }, 'watch failed; restarting'),
    }, sel) as unknown as RunningInformer<never>);
  };

  const nodeNet = new NodeNetworkController({
    nodeName: opts.nodeName, nodeIP: opts.nodeIP, clusterCIDR: opts.clusterCIDR,
    routing: opts.routing, podCIDRFile: opts.podCIDRFile, log: log.child({ component: 'node-network' }),
  });
  sources.push(nodeNet);

  const proxy = opts.proxy ? new ServiceProxy({
    nodeName: opts.nodeName, nodeIP: opts.nodeIP, clusterCIDR: opts.clusterCIDR, serviceCIDR: opts.serviceCIDR,
    scheduler: opts.scheduler, masqueradeAll: opts.masqueradeAll, minSyncIntervalMs: opts.minSyncIntervalMs,
    registry, log: log.child({ component: 'service-proxy' }),
  }) : undefined;
  if (proxy) sources.push(proxy);

  const policy = opts.networkPolicy ? new NetworkPolicyAgent({
    nodeName: opts.nodeName, nodeIP: opts.nodeIP, denyVerdict: opts.policyDeny, logDenied: opts.logDenied,
    minSyncIntervalMs: opts.minSyncIntervalMs, registry, log: log.child({ component: 'network-policy' }),
  }) : undefined;
  if (policy) {
    sources.push(policy);
    await policy.ensureBridgeFiltering();
  }

  const announcer = opts.announceLoadBalancerIPs ? new LbAnnouncer({
    nodeName: opts.nodeName, nodeIP: opts.nodeIP, api: restFromKubeConfig(kc), registry, log: log.child({ component: 'lb-announcer' }),
  }) : undefined;
  if (announcer) {
    sources.push(announcer);
    announcer.start();
  }

  const some = <T>(...xs: (Subscriber<T> | undefined)[]) => xs.filter((x): x is Subscriber<T> => x !== undefined);
  subscribe(NODES, some(
    { change: (p, c) => nodeNet.onNodeChange(p, c), synced: () => nodeNet.onSynced() },
    proxy && { change: (p, c) => proxy.onNode(p, c), synced: () => proxy.listed('Node') },
    policy && { change: (p, c) => policy.onNode(p, c), synced: () => undefined },
    announcer && { change: (p, c) => announcer.onNode(p, c), synced: () => announcer.setListed('Node') },
  ));
  subscribe(SERVICES, some(
    proxy && { change: (p, c) => proxy.onService(p, c), synced: () => proxy.listed('Service') },
    announcer && { change: (p, c) => announcer.onService(p, c), synced: () => announcer.setListed('Service') },
  ), { labelSelector: PROXIED_SERVICES });
  subscribe(ENDPOINT_SLICES, some(
    proxy && { change: (p, c) => proxy.onEndpointSlice(p, c), synced: () => proxy.listed('EndpointSlice') },
    announcer && { change: (p, c) => announcer.onEndpointSlice(p, c), synced: () => announcer.setListed('EndpointSlice') },
  ));
  subscribe(AGENT_LEASES, some(announcer && { change: (p, c) => announcer.onLease(p, c), synced: () => announcer.setListed('Lease') }), { labelSelector: AGENT_LEASE_LABEL });
  subscribe(NETWORK_POLICIES, some(policy && { change: (p, c) => policy.onPolicy(p, c), synced: () => policy.listed('policies') }));
  subscribe(PODS, some(policy && { change: (p, c) => policy.onPod(p, c), synced: () => policy.listed('pods') }));
  subscribe(NAMESPACES, some(policy && { change: (p, c) => policy.onNamespace(p, c), synced: () => policy.listed('namespaces') }));

  // The CNI fast path: the thin client in the CNI bin dir hands every call to this warm
  // process (cni/fastpath/README.md); started after the node network controller exists so
  // the pod CIDR file it reads is maintained.
  const cniServer = opts.cniSocket ? await (await import('../../cni/fastpath/server.js')).startCniServer({ socketPath: opts.cniSocket }) : undefined;

  const sweeper = opts.cniDataDir ? new IpamSweeper({ dataDir: opts.cniDataDir, network: CNI_NETWORK, intervalMs: 60_000, log: log.child({ component: 'ipam-sweeper' }) }) : undefined;
  sweeper?.start();

  const servers: Server[] = [
    await startHealthServer(opts.healthzBind, sources),
    await startMetricsServer(opts.metricsBind, registry),
  ];
  if (opts.traceSocket) {
    servers.push(await startTraceStateServer(opts.traceSocket, {
      node: opts.nodeName, routing: opts.routing, clusterCIDR: opts.clusterCIDR, podCIDRs: () => nodeNet.podCIDRs,
    }, log.child({ component: 'trace-state' })));
  }
  log.info({
    node: opts.nodeName, routing: opts.routing, proxy: opts.proxy, networkPolicy: opts.networkPolicy, cniSocket: opts.cniSocket || null, traceSocket: opts.traceSocket || null,
    healthz: opts.healthzBind, metrics: opts.metricsBind,
  }, 'agent started');

  return {
    proxy, policy, announcer,
    async stop() {
      nodeNet.stop();
      await Promise.all(informers.map((i) => i.stop()));
      await cniServer?.close();
      await sweeper?.stop();
      await announcer?.stop();
      await proxy?.stop();
      await policy?.stop();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
