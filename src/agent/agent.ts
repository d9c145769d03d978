// `hawser agent`: the per-node daemon. Informers over the public API feed the components;
// each component tracks changes and syncs on its own schedule; /healthz reports them all.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Server } from 'node:http';
import { loadKubeConfig } from '../client/kubeconfig.js';
import { NODES, watch } from '../client/kinds.js';
import type { RunningInformer } from '../client/informer.js';
import type { Logger } from '../log.js';
import { startHealthServer, startMetricsServer, type HealthSource } from './health.js';
import { NodeNetworkController } from './node-network.js';
import type { RoutingMode } from './node-routes.js';

export interface AgentOptions {
  kubeconfig?: string;
  nodeName: string;
  nodeIP?: string;
  clusterCIDR: string;
  serviceCIDR: string;
  routing: RoutingMode;
  podCIDRFile: string;
  healthzBind: string;
  metricsBind: string;
  log: Logger;
}

export interface RunningAgent {
  stop(): Promise<void>;
}

export async function runAgent(opts: AgentOptions): Promise<RunningAgent> {
  const kc = loadKubeConfig(opts.kubeconfig);
  const log = opts.log;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const informers: RunningInformer<never>[] = [];
  const sources: HealthSource[] = [];
  const onError = (kind: string) => (err: unknown) => log.warn({ kind, err: String(err) }, 'watch failed; restarting');

  const nodeNet = new NodeNetworkController({
    nodeName: opts.nodeName, nodeIP: opts.nodeIP, clusterCIDR: opts.clusterCIDR,
    routing: opts.routing, podCIDRFile: opts.podCIDRFile, log: log.child({ component: 'node-network' }),
  });
  sources.push(nodeNet);
  informers.push(watch(kc, NODES, {
    onChange: (p, c) => nodeNet.onNodeChange(p, c),
    onSynced: () => nodeNet.onSynced(),
    onError: onError('nodes'),
  }) as RunningInformer<never>);

  const servers: Server[] = [
    await startHealthServer(opts.healthzBind, sources),
    await startMetricsServer(opts.metricsBind, registry),
  ];
  log.info({ node: opts.nodeName, routing: opts.routing, healthz: opts.healthzBind, metrics: opts.metricsBind }, 'agent started');

  return {
    async stop() {
      nodeNet.stop();
      await Promise.all(informers.map((i) => i.stop()));
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
