// `hawser apiserver`: the Kubernetes-compatible apiserver (issue 3).
import type { Command } from 'commander';
import { startApiServer } from '../../apiserver/start.js';
import type { Backend } from '../../apiserver/storage/index.js';

interface Flags {
  dataDir: string;
  storage: Backend;
  etcdEndpoints?: string;
  etcdPrefix?: string;
  listen: string;
  advertiseAddress?: string;
  tlsSan: string[];
  insecure?: boolean;
  tokenFile?: string;
  serviceCidr: string;
  clusterCidr: string;
  lbPool: string;
  nodePortRange: string;
  controllers: boolean;
  logFormat: string;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the Kubernetes-compatible apiserver (kubectl and client-node work against it)')
    .requiredOption('--data-dir <dir>', 'state, PKI, tokens and admin.kubeconfig live here')
    .option('--storage <backend>', 'sqlite | memory | etcd', 'sqlite')
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --storage etcd)')
    .option('--etcd-prefix <prefix>', 'key prefix in etcd', '/hawser')
    .option('--listen <host:port>', 'address to serve on (port 0 = any free port)', '127.0.0.1:6443')
    .option('--advertise-address <ip>', 'address other nodes reach the apiserver on (also a certificate SAN)')
    .option('--tls-san <name>', 'extra certificate SAN (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--insecure', 'serve plain HTTP (debugging only)')
    .option('--token-file <file>', 'extra identities: lines of token,user,uid,"group1,group2"')
    .option('--service-cidr <cidr>', 'ClusterIP range (used by the allocators)', '10.96.0.0/16')
    .option('--cluster-cidr <cidr>', 'pod network, split into per-node /24s', '10.244.0.0/16')
    .option('--lb-pool <range>', 'LoadBalancer address pool', '192.168.56.200-192.168.56.250')
    .option('--node-port-range <range>', 'NodePort range', '30000-32767')
    .option('--no-controllers', 'serve the API only: no EndpointSlice, LoadBalancer, node-ipam, scheduler, workload, GC or node-lifecycle controllers (Service IP and NodePort allocation still run)')
    .option('--log-format <fmt>', 'json | text', 'json')
    .option('--log-level <level>', 'pino level', 'info')
    .action(async (f: Flags) => {
      if (!['sqlite', 'memory', 'etcd'].includes(f.storage)) throw new Error(`--storage must be sqlite, memory or etcd (got ${f.storage})`);
      const logger = f.logFormat === 'text'
        ? { level: f.logLevel, transport: { target: 'pino-pretty', options: { colorize: false } } }
        : { level: f.logLevel };
      const srv = await startApiServer({
        dataDir: f.dataDir,
        storage: f.storage,
        etcdEndpoints: f.etcdEndpoints?.split(',').map((s) => s.trim()).filter(Boolean),
        etcdPrefix: f.etcdPrefix,
        listen: f.listen,
        advertiseAddress: f.advertiseAddress,
        extraSans: f.tlsSan,
        insecure: f.insecure,
        tokenFile: f.tokenFile,
        serviceCidr: f.serviceCidr,
        clusterCidr: f.clusterCidr,
        lbPool: f.lbPool,
        nodePortRange: f.nodePortRange,
        controllers: f.controllers,
        logger,
      });
      srv.app.log.info({ url: srv.url, kubeconfig: srv.kubeconfigPath, storage: f.storage }, 'apiserver ready');
      // One line on stdout that scripts and tests can wait for.
      process.stdout.write(`hawser apiserver ready at ${srv.url} kubeconfig ${srv.kubeconfigPath}\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        srv.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
