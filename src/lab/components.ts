// The processes a lab runs, as plain data: where each runs, its argv, its log file.
// up.ts starts them in this order; tests assert on the argv without starting anything.
import type { LabNode, LabPlan } from './plan.js';
import type { CniMode } from './state.js';
import { REFERENCE_CNI_BIN_DIR } from './cni-config.js';

export interface ComponentSpec {
  component: string;
  node?: string;
  netns?: string;
  /** argv after the hawser entry point, or a full argv when `external` is set. */
  args: string[];
  /** A program other than hawser (etcd). */
  external?: boolean;
  logFile: string;
}

export interface LabPaths {
  apiserverDir: string;
  adminKubeconfig: string;
  /** The admin kubeconfig retargeted at the apiserver's underlay address. */
  nodeKubeconfig: string;
  /** Static tokens of the node identities (system:node:<name>, group system:nodes). */
  tokenFile: string;
  hostKubeconfig: string;
  apiserverSocket: string;
  hostPortFile: string;
  etcdDir: string;
  logDir: string;
}

export function labPaths(plan: LabPlan): LabPaths {
  const cp = plan.controlPlane.stateDir;
  return {
    apiserverDir: `${cp}/apiserver`,
    adminKubeconfig: `${cp}/apiserver/admin.kubeconfig`,
    nodeKubeconfig: `${cp}/node.kubeconfig`,
    tokenFile: `${cp}/node-tokens.csv`,
    hostKubeconfig: `${plan.stateDir}/kubeconfig`,
    apiserverSocket: `${plan.stateDir}/apiserver.sock`,
    hostPortFile: `${plan.stateDir}/host-port`,
    etcdDir: `${cp}/etcd`,
    logDir: `${plan.stateDir}/logs`,
  };
}

export interface NodePaths {
  /** This node's own identity (system:node:<name>): RBAC role + NodeRestriction apply. */
  kubeconfig: string;
  cniBinDir: string;
  cniConfDir: string;
  cniDataDir: string;
  podCIDRFile: string;
  /** The agent's CNI fast-path socket the thin client talks to. */
  cniSocket: string;
  /** The agent's trace-state socket (`hawser trace` reads every node through these). */
  traceSocket: string;
  kubeletDir: string;
}

export function nodePaths(plan: LabPlan, node: LabNode, cni: CniMode): NodePaths {
  return {
    kubeconfig: `${node.stateDir}/kubeconfig`,
    cniBinDir: cni === 'reference' ? REFERENCE_CNI_BIN_DIR : `${node.stateDir}/cni/bin`,
    cniConfDir: `${node.stateDir}/cni/net.d`,
    cniDataDir: `${node.stateDir}/cni/data`,
    podCIDRFile: `${node.stateDir}/cni/data/pod-cidr`,
    cniSocket: `${node.stateDir}/cni/agent.sock`,
    traceSocket: `${node.stateDir}/agent-trace.sock`,
    kubeletDir: `${node.stateDir}/kubelet`,
  };
}

/** kube-apiserver --token-auth-file lines: token,user,uid,"groups". */
export function nodeTokenFile(plan: LabPlan, tokens: Record<string, string>): string {
  return plan.nodes.map((n) => `${tokens[n.nodeName]},system:node:${n.nodeName},node-${n.nodeName},"system:nodes"`).join('\n') + '\n';
}

export const apiserverURL = (plan: LabPlan): string => `https://${plan.controlPlane.ip}:${plan.controlPlane.apiserverPort}`;

export function controlPlaneComponents(plan: LabPlan): ComponentSpec[] {
  const p = labPaths(plan);
  const cp = plan.controlPlane;
  const out: ComponentSpec[] = [];
  if (plan.storage === 'etcd') {
    // Loopback of the control-plane namespace: only the apiserver next to it talks to it.
    out.push({
      component: 'etcd', netns: cp.netns, external: true, logFile: `${p.logDir}/etcd.log`,
      args: ['etcd', '--name', 'default', '--data-dir', p.etcdDir,
        '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
        '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
        '--initial-cluster', 'default=http://127.0.0.1:2380'],
    });
  }
  const storage = plan.storage === 'etcd' ? ['--storage', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:2379'] : ['--storage', 'sqlite'];
  out.push({
    component: 'apiserver', netns: cp.netns, logFile: `${p.logDir}/apiserver.log`,
    // 127.0.0.1 as a SAN: the machine's kubectl reaches it through the forwarders, TLS intact.
    args: ['apiserver', '--data-dir', p.apiserverDir, '--listen', `${cp.ip}:${cp.apiserverPort}`, ...storage,
      '--advertise-address', cp.ip, '--tls-san', '127.0.0.1', '--token-file', p.tokenFile,
      '--service-cidr', plan.serviceCIDR, '--cluster-cidr', plan.clusterCIDR, '--lb-pool', plan.lbPool],
  });
  out.push({
    component: 'forward-cp', netns: cp.netns, logFile: `${p.logDir}/forward-cp.log`,
    args: ['lab', 'forward', '--lab', plan.name, '--listen', `unix:${p.apiserverSocket}`, '--to', `tcp:${cp.ip}:${cp.apiserverPort}`],
  });
  out.push({
    component: 'forward-host', logFile: `${p.logDir}/forward-host.log`,
    args: ['lab', 'forward', '--lab', plan.name, '--listen', 'tcp:127.0.0.1:0', '--to', `unix:${p.apiserverSocket}`, '--port-file', p.hostPortFile],
  });
  return out;
}

export interface NodeComponentOptions {
  cni: CniMode;
  withAgent: boolean;
}

export function nodeComponents(plan: LabPlan, node: LabNode, opts: NodeComponentOptions): ComponentSpec[] {
  const p = labPaths(plan);
  const np = nodePaths(plan, node, opts.cni);
  const out: ComponentSpec[] = [];
  if (opts.withAgent) {
    out.push({
      component: 'agent', node: node.nodeName, netns: node.netns, logFile: `${p.logDir}/agent-${node.nodeName}.log`,
      args: ['agent', '--kubeconfig', np.kubeconfig, '--node-name', node.nodeName, '--node-ip', node.ip,
        '--cluster-cidr', plan.clusterCIDR, '--service-cidr', plan.serviceCIDR, '--routing', plan.routing,
        '--pod-cidr-file', np.podCIDRFile, '--cni-socket', np.cniSocket, '--trace-socket', np.traceSocket, '--cni-data-dir', np.cniDataDir, '--healthz-bind', `${node.ip}:10256`, '--metrics-bind', '127.0.0.1:10249',
        // The lab has no cloud load balancer: the nodes announce the LB pool on the underlay.
        '--announce-lb-ips'],
    });
  }
  out.push({
    component: 'kubelet', node: node.nodeName, netns: node.netns, logFile: `${p.logDir}/kubelet-${node.nodeName}.log`,
    args: ['kubelet', '--kubeconfig', np.kubeconfig, '--node-name', node.nodeName, '--node-ip', node.ip,
      '--cni-bin-dir', np.cniBinDir, '--cni-conf-dir', np.cniConfDir, '--data-dir', np.kubeletDir,
      '--netns-prefix', plan.podNetnsPrefix],
  });
  return out;
}
