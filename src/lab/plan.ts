// The lab's topology as plain data: which namespaces, links, addresses, routes and sysctls
// make up a lab, following the addressing plan in DESIGN.md. No I/O here; apply.ts turns
// a plan into kernel state and teardown.ts removes it.
//
//   hl-<name>-ul   the "physical" switch: bridge br0, one port per member, no address
//   hl-<name>-ext  external client / router      192.168.56.2
//   hl-<name>-cp   control plane (apiserver)     192.168.56.5   (.3/.4 kept free for a
//                                                               second router or etcd)
//   hl-<name>-n1…  nodes                         192.168.56.10, .11, …
//   hl-<name>-p-…  pod sandboxes (created by each node's kubelet)
//
// Every namespace carries the prefix `hl-<name>-`, so a lab is found and swept by its name
// alone, and two labs with different names never share anything. Link names only have
// to be unique inside their namespace, so they are short constants (eth0, br0, port names).

export type Routing = 'host-gw' | 'vxlan';
export type Storage = 'sqlite' | 'etcd';

export interface LabOptions {
  name: string;
  nodes: number;
  routing?: Routing;
  storage?: Storage;
  /** Root of all labs' state (default /run/hawser-lab). */
  stateRoot?: string;
}

export interface LabMember {
  role: 'client' | 'control-plane' | 'node';
  netns: string;
  /** Interface name inside the member namespace. */
  dev: string;
  /** Address on the underlay, without prefix length. */
  ip: string;
  /** The member's port on the underlay bridge (in the underlay namespace). */
  port: string;
}

export interface LabNode extends LabMember {
  role: 'node';
  /** Kubernetes Node name. */
  nodeName: string;
  index: number;
  /**
   * The pod CIDR this lab hands the CNI plugin when no node agent distributes the
   * controller-assigned one (see up.ts).
   */
  staticPodCIDR: string;
  stateDir: string;
}

export interface PlannedLink { name: string; netns: string; peerName: string; peerNetns: string; master: string }
export interface PlannedAddress { netns: string; dev: string; cidr: string }
export interface PlannedRoute { netns: string; dst: string; via: string; dev: string }
export interface PlannedSysctl { netns: string; key: string; value: string }

export interface LabPlan {
  name: string;
  prefix: string;
  podNetnsPrefix: string;
  routing: Routing;
  storage: Storage;
  stateDir: string;
  underlay: { netns: string; bridge: string; cidr: string; prefixLength: number };
  client: LabMember;
  controlPlane: LabMember & { apiserverPort: number; stateDir: string };
  nodes: LabNode[];
  clusterCIDR: string;
  serviceCIDR: string;
  lbPool: string;
  /** In creation order; teardown deletes in reverse. */
  namespaces: string[];
  links: PlannedLink[];
  addresses: PlannedAddress[];
  routes: PlannedRoute[];
  sysctls: PlannedSysctl[];
}

export const UNDERLAY_CIDR = '192.168.56.0/24';
export const UNDERLAY_PREFIX = '192.168.56.';
export const CLIENT_IP = '192.168.56.2';
export const CONTROL_PLANE_IP = '192.168.56.5';
export const FIRST_NODE_HOST = 10;
export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';
export const LB_POOL = '192.168.56.200-192.168.56.250';
export const APISERVER_PORT = 6443;
export const DEFAULT_STATE_ROOT = '/run/hawser-lab';
/** Nodes take .10 upward and must stay below the LoadBalancer pool at .200. */
export const MAX_NODES = 100;

/**
 * Lowercase letters and digits only, no dash: `hl-<name>-` must never be a prefix of
 * another lab's namespaces (lab "a" vs lab "a-b"), and the name ends up in node names.
 */
export function checkLabName(name: string): void {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) {
    throw new Error(`invalid lab name ${JSON.stringify(name)}: 1-12 lowercase letters/digits, starting with a letter`);
  }
}

export function labPrefix(name: string): string {
  checkLabName(name);
  return `hl-${name}-`;
}

export function labStateDir(name: string, stateRoot = DEFAULT_STATE_ROOT): string {
  checkLabName(name);
  return `${stateRoot}/${name}`;
}

export function nodeName(index: number): string {
  return `node${index}`;
}

function member(prefix: string, role: LabMember['role'], short: string, ip: string): LabMember {
  return { role, netns: `${prefix}${short}`, dev: 'eth0', ip, port: short };
}

export function planLab(opts: LabOptions): LabPlan {
  const prefix = labPrefix(opts.name);
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) {
    throw new Error(`nodes must be an integer from 1 to ${MAX_NODES}, got ${opts.nodes}`);
  }
  const stateDir = labStateDir(opts.name, opts.stateRoot);
  const underlay = { netns: `${prefix}ul`, bridge: 'br0', cidr: UNDERLAY_CIDR, prefixLength: 24 };
  const client = member(prefix, 'client', 'ext', CLIENT_IP);
  const controlPlane = {
    ...member(prefix, 'control-plane', 'cp', CONTROL_PLANE_IP),
    apiserverPort: APISERVER_PORT,
    stateDir: `${stateDir}/cp`,
  };
  const nodes: LabNode[] = [];
  for (let i = 1; i <= opts.nodes; i++) {
    nodes.push({
      ...member(prefix, 'node', `n${i}`, `${UNDERLAY_PREFIX}${FIRST_NODE_HOST + i - 1}`),
      role: 'node',
      nodeName: nodeName(i),
      index: i,
      staticPodCIDR: `10.244.${i - 1}.0/24`,
      stateDir: `${stateDir}/${nodeName(i)}`,
    });
  }
  const members: LabMember[] = [client, controlPlane, ...nodes];
  const links = members.map((m): PlannedLink => ({
    name: m.dev, netns: m.netns, peerName: m.port, peerNetns: underlay.netns, master: underlay.bridge,
  }));
  const addresses = members.map((m): PlannedAddress => ({ netns: m.netns, dev: m.dev, cidr: `${m.ip}/${underlay.prefixLength}` }));
  // The external router is every other member's default gateway, as on a real LAN; it
  // is where traffic to addresses outside the lab would go (and be dropped).
  const routes = [controlPlane, ...nodes].map((m): PlannedRoute => ({ netns: m.netns, dst: 'default', via: client.ip, dev: m.dev }));
  // Nodes forward pod traffic; the router forwards between underlay clients.
  const sysctls: PlannedSysctl[] = [client, ...nodes].map((m) => ({ netns: m.netns, key: 'net.ipv4.ip_forward', value: '1' }));
  return {
    name: opts.name,
    prefix,
    podNetnsPrefix: `${prefix}p-`,
    routing: opts.routing ?? 'host-gw',
    storage: opts.storage ?? 'sqlite',
    stateDir,
    underlay,
    client,
    controlPlane,
    nodes,
    clusterCIDR: CLUSTER_CIDR,
    serviceCIDR: SERVICE_CIDR,
    lbPool: LB_POOL,
    namespaces: [underlay.netns, ...members.map((m) => m.netns)],
    links,
    addresses,
    routes,
    sysctls,
  };
}

/** Find a node by Kubernetes name (node1), short name (n1) or index ("1"). */
export function findNode(plan: LabPlan, ref: string): LabNode | undefined {
  return plan.nodes.find((n) => n.nodeName === ref || n.port === ref || String(n.index) === ref);
}

/** Whether a namespace name belongs to this lab (including its pods' sandboxes). */
export function ownsNetns(name: string, labName: string): boolean {
  return name.startsWith(labPrefix(labName));
}
