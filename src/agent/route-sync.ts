// Applies DesiredNodeNetwork to the kernel of the namespace the agent runs in: replaces
// routes (idempotent), removes routes of ours that are no longer wanted, and keeps the VXLAN
// device, its FDB and neighbour entries in step. "Ours" = a route to a prefix inside the
// cluster CIDR other than our own pod CIDR: nothing else in the table is touched.
import { cidrContains, parseCidr } from '../net/index.js';
import {
  addAddress, addFdb, addNeighbour, createVxlan, deleteFdb, deleteNeighbour, deleteRoute, getLink,
  listAddresses, listRoutes, replaceRoute, setLinkUp,
} from '../kernel/link/index.js';
import { VXLAN_DEVICE, VXLAN_OVERHEAD, VXLAN_PORT, VXLAN_VNI, type DesiredNodeNetwork } from './node-routes.js';

export interface RouteSyncContext {
  clusterCIDR: string;
  selfPodCIDR?: string;
  nodeIP: string;
  /** Namespace to program; undefined = the one the agent runs in (tests pass one). */
  netns?: string;
  /** Remembered between syncs to remove stale FDB/neighbour entries. */
  lastOverlay?: DesiredNodeNetwork['overlay'];
}

/** Whether prefix (a CIDR or bare address) lies wholly inside cidr. */
function insideCIDR(prefix: string, cidr: string): boolean {
  const inner = parseCidr(prefix.includes('/') ? prefix : `${prefix}/32`, { allowHostBits: true });
  const outer = parseCidr(cidr, { allowHostBits: true });
  if (!inner || !outer || inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  return cidrContains(outer, { family: inner.family, value: inner.base });
}

/** The device that holds the node's underlay address (the VXLAN outer device). */
async function underlayDevice(nodeIP: string, netns?: string): Promise<string> {
  const addrs = await listAddresses(undefined, { netns });
  const hit = addrs.find((a) => a.cidr.split('/')[0] === nodeIP);
  if (!hit) throw new Error(`node IP ${nodeIP} is not configured on any interface of this namespace`);
  return hit.dev;
}

async function ensureVxlan(ctx: RouteSyncContext, overlay: NonNullable<DesiredNodeNetwork['overlay']>): Promise<void> {
  const ns = { netns: ctx.netns };
  let link = await getLink(VXLAN_DEVICE, ns);
  if (!link) {
    const dev = await underlayDevice(ctx.nodeIP, ctx.netns);
    const under = await getLink(dev, ns);
    await createVxlan({
      name: VXLAN_DEVICE, vni: VXLAN_VNI, local: ctx.nodeIP, dev, dstPort: VXLAN_PORT,
      learning: false, mac: overlay.localMac, mtu: (under?.mtu ?? 1500) - VXLAN_OVERHEAD, ...ns,
    });
    link = await getLink(VXLAN_DEVICE, ns);
  }
  if (overlay.localAddress) {
    const have = await listAddresses(VXLAN_DEVICE, ns);
    if (!have.some((a) => a.cidr === overlay.localAddress)) {
      await addAddress(VXLAN_DEVICE, overlay.localAddress, ns);
    }
  }
  if (!link?.up) await setLinkUp(VXLAN_DEVICE, ns);
  const fdbKey = (f: { mac: string; dst: string }) => `${f.mac}/${f.dst}`;
  const neighKey = (n: { ip: string; mac: string }) => `${n.ip}/${n.mac}`;
  const wantFdb = new Set(overlay.fdb.map(fdbKey));
  const wantNeigh = new Set(overlay.neighbours.map(neighKey));
  for (const f of ctx.lastOverlay?.fdb ?? []) {
    if (!wantFdb.has(fdbKey(f))) await deleteFdb({ dev: VXLAN_DEVICE, ...f, ...ns });
  }
  for (const n of ctx.lastOverlay?.neighbours ?? []) {
    if (!wantNeigh.has(neighKey(n))) await deleteNeighbour({ dev: VXLAN_DEVICE, ip: n.ip, ...ns });
  }
  for (const f of overlay.fdb) await addFdb({ dev: VXLAN_DEVICE, ...f, replace: true, ...ns });
  for (const n of overlay.neighbours) await addNeighbour({ dev: VXLAN_DEVICE, ...n, ...ns });
  ctx.lastOverlay = overlay;
}

export async function syncNodeNetwork(ctx: RouteSyncContext, desired: DesiredNodeNetwork): Promise<void> {
  const ns = { netns: ctx.netns };
  if (desired.overlay) await ensureVxlan(ctx, desired.overlay);
  const wanted = new Set(desired.routes.map((r) => r.dst));
  for (const route of await listRoutes(ns)) {
    if (route.family !== 4 || wanted.has(route.dst)) continue;
    if (ctx.selfPodCIDR && route.dst === ctx.selfPodCIDR) continue;
    if (route.protocol === 'kernel') continue; // connected routes belong to the interfaces
    if (insideCIDR(route.dst, ctx.clusterCIDR)) await deleteRoute({ dst: route.dst }, ns);
  }
  for (const r of desired.routes) await replaceRoute(r, ns);
}
