import { hostname } from 'node:os';
import type { Command } from 'commander';
import { SCHEDULER_ANNOTATION, SCHEDULERS, type Scheduler } from '../../../proxy/types.js';

export function register(program: Command): void {
  program
    .command('agent')
    .description('per-node daemon: routes to other nodes\' pods, pod CIDR for the CNI plugin, service proxy, NetworkPolicy')
    .option('--kubeconfig <path>', 'kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('--node-name <name>', 'this node\'s Node object', hostname())
    .option('--node-ip <ip>', 'this node\'s underlay address (default: the Node\'s InternalIP)')
    .option('--cluster-cidr <cidr>', 'pod network of the whole cluster', '10.244.0.0/16')
    .option('--service-cidr <cidr>', 'Service ClusterIP range', '10.96.0.0/16')
    .option('--routing <mode>', 'cross-node pod routing: host-gw | vxlan', 'host-gw')
    .option('--pod-cidr-file <path>', 'where the CNI plugin reads this node\'s pod CIDR', '/run/hawser/pod-cidr')
    .option('--cni-socket <path>', 'serve the CNI thin client (hawser cni install --thin) on this unix socket; "" = off', '/run/hawser/cni.sock')
    .option('--trace-socket <path>', 'serve this node\'s applied tables, addresses and routes to `hawser trace` on this unix socket; "" = off', '/run/hawser/agent.sock')
    .option('--cni-data-dir <dir>', 'the CNI plugin\'s IPAM store, swept every minute for pods whose network namespace is gone; "" = off', '/var/lib/hawser/cni')
    .option('--healthz-bind <addr>', 'health endpoint', '0.0.0.0:10256')
    .option('--metrics-bind <addr>', 'Prometheus metrics endpoint', '127.0.0.1:10249')
    .option('--no-proxy', 'do not run the service proxy (table hawser-proxy)')
    .option('--no-network-policy', 'do not enforce NetworkPolicies (table hawser-policy)')
    .option('--announce-lb-ips', 'answer ARP for LoadBalancer IPs on the node\'s L2 segment (one elected node per IP, as MetalLB\'s layer-2 mode); leave off where a cloud load balancer delivers them', false)
    .option('--scheduler <name>', `default load-balancing of a Service's endpoints (per Service: annotation ${SCHEDULER_ANNOTATION}): ${SCHEDULERS.join(' | ')}`, 'random')
    .option('--masquerade-all', 'SNAT all Service traffic, not only where needed', false)
    .option('--policy-deny <verdict>', 'what a NetworkPolicy denial does to a packet: drop | reject', 'drop')
    .option('--log-denied', 'log every denied new connection with the policy\'s name', false)
    .option('--min-sync-period <ms>', 'minimum time between two syncs of a table', '1000')
    .option('--log-format <fmt>', 'json | text', 'json')
    .action(async (o: Record<string, string | boolean>) => {
      if (o.routing !== 'host-gw' && o.routing !== 'vxlan') throw new Error(`--routing must be host-gw or vxlan, not ${o.routing}`);
      if (!(SCHEDULERS as readonly string[]).includes(String(o.scheduler))) throw new Error(`--scheduler must be one of ${SCHEDULERS.join(', ')}, not ${o.scheduler}`);
      if (o.policyDeny !== 'drop' && o.policyDeny !== 'reject') throw new Error(`--policy-deny must be drop or reject, not ${o.policyDeny}`);
      const minSync = Number(o.minSyncPeriod);
      if (!Number.isInteger(minSync) || minSync < 0) throw new Error(`--min-sync-period must be a number of milliseconds, not ${o.minSyncPeriod}`);
      const { createLogger } = await import('../../log.js');
      const { runAgent } = await import('../../agent/agent.js');
      const log = createLogger('hawser-agent', o.logFormat === 'text' ? 'text' : 'json');
      const str = (k: string) => o[k] as string;
      const agent = await runAgent({
        kubeconfig: o.kubeconfig as string | undefined, nodeName: str('nodeName'), nodeIP: o.nodeIp as string | undefined,
        clusterCIDR: str('clusterCidr'), serviceCIDR: str('serviceCidr'), routing: o.routing, podCIDRFile: str('podCidrFile'), cniSocket: str('cniSocket'), traceSocket: str('traceSocket'), cniDataDir: str('cniDataDir'),
        healthzBind: str('healthzBind'), metricsBind: str('metricsBind'),
        proxy: o.proxy !== false, networkPolicy: o.networkPolicy !== false,
        announceLoadBalancerIPs: o.announceLbIps === true,
        scheduler: str('scheduler') as Scheduler, masqueradeAll: o.masqueradeAll === true,
        policyDeny: o.policyDeny, logDenied: o.logDenied === true, minSyncIntervalMs: minSync, log,
      });
      const shutdown = (sig: string) => {
        log.info({ sig }, 'stopping');
        void agent.stop().then(() => process.exit(0));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
