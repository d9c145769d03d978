// Cross-node pod routing, as pure data: from the Node objects to the routes (and, for
// VXLAN, the FDB and neighbour entries) this node needs to reach every other node's pods.
// host-gw: a route per remote pod CIDR via the remote node's underlay address (nodes share
// one L2). vxlan: flannel's static, learning-free layout — each node's VTEP has a MAC
// derived from its underlay IP, so no annotation exchange is needed; the remote pod CIDR
// is routed onlink via the remote CIDR's network address, which a neighbour entry maps to
// the remote VTEP MAC, which an FDB entry maps to the remote underlay IP.
import type { V1Node } from '@kubernetes/client-node';
import { formatAddress, parseCidr } from '../net/index.js';

export type RoutingMode = 'host-gw' | 'vxlan';

/** Name of the overlay device (≤ 15 chars). VNI 1 and port 8472 as flannel's defaults. */
export const VXLAN_DEVICE = 'hawser.vxlan';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** IPv4 outer header (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

export interface RemoteNode {
  name: string;
  ip: string;
  podCIDRs: string[];
}

export interface DesiredRoute {
  dst: string;
  via: string;
  dev?: string;
  onlink?: boolean;
}

export interface DesiredOverlay {
  /** Our VTEP: MAC, and the /32 address (our pod CIDR's network address) on the device. */
  localMac: string;
  localAddress: string | undefined;
  fdb: { mac: string; dst: string }[];
  neighbours: { ip: string; mac: string }[];
}

export interface DesiredNodeNetwork {
  routes: DesiredRoute[];
  overlay?: DesiredOverlay;
}

export function nodeInternalIP(node: V1Node): string | undefined {
  const addrs = node.status?.addresses ?? [];
  return addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'ExternalIP')?.address;
}

export function nodePodCIDRs(node: V1Node): string[] {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return list.filter((c) => !c.includes(':')); // IPv6 pod CIDRs arrive with dual-stack support
}

/** A locally administered unicast MAC carrying the IPv4 address: 0e:a5:<a>:<b>:<c>:<d>. */
export function vtepMac(ipv4: string): string {
  const octets = ipv4.split('.').map((o) => Number(o));
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`not an IPv4 address: ${ipv4}`);
  }
  return ['0e', 'a5', ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}

/** The network address of a CIDR, e.g. 10.244.1.0/24 → 10.244.1.0. */
export function cidrNetworkAddress(cidr: string): string {
  const c = parseCidr(cidr, { allowHostBits: true });
  if (!c) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  return formatAddress({ family: c.family, value: c.base });
}

export function remoteNodes(nodes: V1Node[], selfName: string): RemoteNode[] {
  const out: RemoteNode[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || name === selfName) continue;
    const ip = nodeInternalIP(node);
    const podCIDRs = nodePodCIDRs(node);
    if (!ip || podCIDRs.length === 0) continue; // not routable yet: no address or no CIDR assigned
    out.push({ name, ip, podCIDRs });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function desiredNodeNetwork(
  nodes: V1Node[],
  self: { name: string; ip: string; podCIDR?: string },
  mode: RoutingMode,
): DesiredNodeNetwork {
  const remotes = remoteNodes(nodes, self.name);
  if (mode === 'host-gw') {
    return {
      routes: remotes.flatMap((r) => r.podCIDRs.map((dst) => ({ dst, via: r.ip }))),
    };
  }
  const overlay: DesiredOverlay = {
    localMac: vtepMac(self.ip),
    localAddress: self.podCIDR ? `${cidrNetworkAddress(self.podCIDR)}/32` : undefined,
    fdb: remotes.map((r) => ({ mac: vtepMac(r.ip), dst: r.ip })),
    neighbours: remotes.flatMap((r) => r.podCIDRs.map((c) => ({ ip: cidrNetworkAddress(c), mac: vtepMac(r.ip) }))),
  };
  const routes = remotes.flatMap((r) =>
    r.podCIDRs.map((dst) => ({ dst, via: cidrNetworkAddress(dst), dev: VXLAN_DEVICE, onlink: true })),
  );
  return { routes, overlay };
}
