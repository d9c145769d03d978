import { hostname } from 'node:os';
import type { Command } from 'commander';

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
    .option('--healthz-bind <addr>', 'health endpoint', '0.0.0.0:10256')
    .option('--metrics-bind <addr>', 'Prometheus metrics endpoint', '127.0.0.1:10249')
    .option('--log-format <fmt>', 'json | text', 'json')
    .action(async (o: Record<string, string>) => {
      if (o.routing !== 'host-gw' && o.routing !== 'vxlan') throw new Error(`--routing must be host-gw or vxlan, not ${o.routing}`);
      const { createLogger } = await import('../../log.js');
      const { runAgent } = await import('../../agent/agent.js');
      const log = createLogger('hawser-agent', o.logFormat === 'text' ? 'text' : 'json');
      const agent = await runAgent({
        kubeconfig: o.kubeconfig, nodeName: o.nodeName!, nodeIP: o.nodeIp, clusterCIDR: o.clusterCidr!,
        serviceCIDR: o.serviceCidr!, routing: o.routing, podCIDRFile: o.podCidrFile!,
        healthzBind: o.healthzBind!, metricsBind: o.metricsBind!, log,
      });
      const shutdown = (sig: string) => {
        log.info({ sig }, 'stopping');
        void agent.stop().then(() => process.exit(0));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
