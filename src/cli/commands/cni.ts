// `hawser cni …`: installing the CNI plugin on a node.
import type { Command } from 'commander';
import { install } from '../../../cni/install.js';

export function register(program: Command): void {
  const cni = program.command('cni').description('the hawser CNI plugin');
  cni
    .command('install')
    .description('write the plugin executable into a CNI bin dir and 10-hawser.conflist into a CNI conf dir')
    .requiredOption('--bin-dir <dir>', 'CNI bin dir (e.g. /opt/cni/bin)')
    .requiredOption('--conf-dir <dir>', 'CNI conf dir (e.g. /etc/cni/net.d)')
    .option('--pod-cidr <cidr>', "this node's pod CIDR (otherwise the node agent writes it to --pod-cidr-file)")
    .option('--pod-cidr-file <file>', 'file the node agent writes the pod CIDR to')
    .option('--data-dir <dir>', 'IPAM store directory')
    .option('--bridge <name>', 'bridge name')
    .option('--mtu <n>', 'MTU of pod interfaces', (v) => Number(v))
    .option('--cluster-cidr <cidr>', 'masquerade pod traffic leaving this CIDR')
    .option('--no-portmap', 'do not chain the portmap plugin even if it is in the bin dir')
    .option('--thin', 'install the C thin client that hands calls to the node agent (needs cc; falls back to the launcher)')
    .option('--socket <path>', "the node agent's CNI socket", '/run/hawser/cni.sock')
    .action(async (o: { binDir: string; confDir: string; podCidr?: string; podCidrFile?: string; dataDir?: string; bridge?: string; mtu?: number; clusterCidr?: string; portmap: boolean; thin?: boolean; socket: string }) => {
      const r = await install({
        binDir: o.binDir, confDir: o.confDir, podCIDR: o.podCidr, podCIDRFile: o.podCidrFile, dataDir: o.dataDir,
        bridge: o.bridge, mtu: o.mtu, clusterCIDR: o.clusterCidr, portmap: o.portmap, thin: o.thin, socketPath: o.socket,
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });
  cni
    .command('serve')
    .description('serve CNI calls from the thin client on a unix socket (what the node agent embeds)')
    .option('--socket <path>', 'socket path', '/run/hawser/cni.sock')
    .action(async (o: { socket: string }) => {
      const { startCniServer } = await import('../../../cni/fastpath/server.js');
      const server = await startCniServer({ socketPath: o.socket });
      process.stderr.write(`serving CNI on ${server.socketPath}\n`);
      for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void server.close().then(() => process.exit(0)));
    });
}
