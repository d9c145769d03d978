// CHECK (spec 0.4.0+): compare what prevResult says with what the kernel and the store
// hold, and name the first difference. Code 100 (plugin-specific) for a mismatch, so a
// runtime can tell "the pod's network is broken" from bad input (4, 7) or a gone pod (3).
import { parseConfig } from './config.js';
import { netnsIdentity } from './ipam/netns-id.js';
import { IpamStore } from './ipam/store.js';
import { hostVethName } from './names.js';
import type { PluginContext } from './skel/dispatch.js';
import { CniCode, CniError } from './skel/errors.js';
import type { CniResult } from './skel/result.js';
import { getLink, listAddresses, listRoutes, type RouteInfo } from '../src/kernel/link/index.js';

const mismatch = (msg: string, details = '') => new CniError(CniCode.CheckFailed, msg, details);

/** `ip -j route` says "default" where CNI results say 0.0.0.0/0 or ::/0. */
export function sameDst(resultDst: string, kernelDst: string): boolean {
  const norm = (d: string) => (d === '0.0.0.0/0' || d === '::/0' ? 'default' : d.replace(/\/(32|128)$/, ''));
  return norm(resultDst) === norm(kernelDst);
}

export function routeMissing(want: { dst: string; gw?: string }, have: readonly RouteInfo[]): boolean {
  return !have.some((r) => sameDst(want.dst, r.dst) && (want.gw === undefined || r.via === want.gw));
}

/** The prevResult entries that concern our interface in this netns. */
export function ourPart(prev: CniResult, ifname: string, netns: string) {
  const idx = prev.interfaces.findIndex((i) => i.name === ifname && i.sandbox === netns);
  if (idx < 0) throw new CniError(CniCode.InvalidConfig, `prevResult has no interface ${ifname} in ${netns}`);
  return { iface: prev.interfaces[idx]!, ips: prev.ips.filter((ip) => ip.interface === idx) };
}

export async function cmdCheck(ctx: PluginContext): Promise<void> {
  const conf = parseConfig(ctx.config);
  const { containerId, ifname, netns } = ctx.env;
  if (!conf.prevResult) throw new CniError(CniCode.InvalidConfig, 'CHECK needs prevResult');
  if ((await netnsIdentity(netns)) === undefined) throw new CniError(CniCode.UnknownContainer, `network namespace ${netns} does not exist`);
  const { iface, ips } = ourPart(conf.prevResult, ifname, netns);

  const hostName = hostVethName(containerId, ifname);
  const [pod, host, addrs, routes, reservation] = await Promise.all([
    getLink(ifname, { netns }),
    getLink(hostName),
    listAddresses(undefined, { netns }),
    listRoutes({ netns }),
    IpamStore.forNetwork(conf.dataDir, conf.name).find({ containerId, ifname }),
  ]);
  if (!pod) throw mismatch(`interface ${ifname} not found in ${netns}`);
  if (iface.mac !== undefined && pod.mac !== iface.mac) throw mismatch(`interface ${ifname} has MAC ${pod.mac ?? 'none'}, prevResult says ${iface.mac}`);
  if (!pod.up) throw mismatch(`interface ${ifname} is down`);
  if (!host) throw mismatch(`host veth ${hostName} not found`);
  if (host.master !== conf.bridge) throw mismatch(`host veth ${hostName} is not on bridge ${conf.bridge}`, `master ${host.master ?? 'none'}`);
  for (const ip of ips) {
    if (!addrs.some((a) => a.dev === ifname && a.cidr === ip.address)) throw mismatch(`address ${ip.address} not on ${ifname}`);
    if (reservation?.ip !== ip.address.split('/')[0]) {
      throw mismatch(`address ${ip.address} is not reserved for ${containerId}/${ifname}`, `store holds ${reservation?.ip ?? 'nothing'}`);
    }
  }
  for (const r of conf.prevResult.routes) {
    if (routeMissing(r, routes)) throw mismatch(`route ${r.dst}${r.gw ? ` via ${r.gw}` : ''} missing in ${netns}`);
  }
}
