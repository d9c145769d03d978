// `hawser kubelet`: the lab kubelet (pods as processes in network namespaces, CNI called
// like containerd does). For the lab and tests only; real clusters run the real kubelet.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('kubelet')
    .description('lab kubelet: registers the Node, runs pods bound to it in network namespaces, calls CNI like containerd')
    .requiredOption('--kubeconfig <path>', 'kubeconfig for the apiserver')
    .requiredOption('--node-name <name>', 'Node name to register')
    .requiredOption('--node-ip <ip>', 'InternalIP of the node')
    .option('--cni-bin-dir <dirs>', 'CNI plugin directories, colon-separated', '/opt/cni/bin')
    .option('--cni-conf-dir <dir>', 'CNI network config directory', '/etc/cni/net.d')
    .option('--data-dir <dir>', 'state: pod records, container logs, CNI result cache', '/var/lib/hawser-kubelet')
    .option('--netns-prefix <prefix>', 'prefix of pod sandbox namespace names', 'hawser-pod-')
    .option('--log-format <fmt>', 'json | text', 'json')
    .action(async (o: Record<string, string>) => {
      const { createLogger } = await import('../../log.js');
      const { runKubelet } = await import('../../kubelet/kubelet.js');
      const log = createLogger('hawser-kubelet', o.logFormat === 'text' ? 'text' : 'json');
      const kubelet = await runKubelet({
        kubeconfig: o.kubeconfig!, nodeName: o.nodeName!, nodeIP: o.nodeIp!,
        cniBinDirs: o.cniBinDir!.split(':').filter(Boolean), cniConfDir: o.cniConfDir!, dataDir: o.dataDir!,
        netnsPrefix: o.netnsPrefix!, log,
      });
      const shutdown = (sig: string) => {
        log.info({ sig }, 'stopping (pods keep running; a restarted kubelet adopts them)');
        void kubelet.stop().finally(() => process.exit(0));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
