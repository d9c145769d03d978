// ADD: reserve the pod's address, wire veth + bridge + routes, answer with the result.
// Anything that fails after the reservation undoes what this call created (a repeated
// ADD keeps what an earlier ADD built), so a failed ADD leaves no veth and no reservation.
import { parseConfig, type HawserConfig } from './config.js';
import { IpamStore } from './ipam/store.js';
import { netnsIdentity } from './ipam/netns-id.js';
import { poolFor, type Pool } from './ipam/pool.js';
import { hostVethMac, hostVethName, macForAddress } from './names.js';
import { resolvePodCidr } from './pod-cidr.js';
import type { PluginContext } from './skel/dispatch.js';
import { CniCode, CniError } from './skel/errors.js';
import { mergeResults, type CniResult } from './skel/result.js';
import { unwirePod, wirePod, type BridgeSpec, type PodSpec } from './wiring.js';

export function bridgeSpec(conf: HawserConfig, pool: Pool): BridgeSpec {
  return { name: conf.bridge, mtu: conf.mtu, gatewayCidr: `${pool.gateway}/${pool.prefix}`, mac: macForAddress(pool.gateway) };
}

export function podSpec(ctx: PluginContext, conf: HawserConfig, pool: Pool, ip: string): PodSpec {
  const { containerId, ifname, netns } = ctx.env;
  return {
    netns, ifname, bridge: conf.bridge, mtu: conf.mtu, hairpin: conf.hairpinMode,
    hostVeth: hostVethName(containerId, ifname),
    hostMac: hostVethMac(containerId, ifname),
    containerMac: macForAddress(ip),
    address: `${ip}/${pool.prefix}`,
    gateway: pool.gateway,
  };
}

/**
 * Pure: the result object for a wired pod (the reference bridge plugin's shape). The
 * bridge's MAC is the one the plugin gives it at creation (names.ts): reading it back
 * would cost a tool run per ADD.
 */
export function buildResult(conf: HawserConfig, pod: PodSpec, bridgeMac: string): CniResult {
  const v6 = pod.address.includes(':');
  return mergeResults(conf.prevResult, {
    interfaces: [
      { name: conf.bridge, mac: bridgeMac },
      { name: pod.hostVeth, mac: pod.hostMac, mtu: pod.mtu },
      { name: pod.ifname, mac: pod.containerMac, mtu: pod.mtu, sandbox: pod.netns },
    ],
    ips: [{ address: pod.address, gateway: pod.gateway, interface: 2 }],
    routes: [{ dst: v6 ? '::/0' : '0.0.0.0/0', gw: pod.gateway }],
    dns: conf.dns,
  });
}

export async function cmdAdd(ctx: PluginContext): Promise<CniResult> {
  const conf = parseConfig(ctx.config);
  const netnsId = await netnsIdentity(ctx.env.netns);
  if (netnsId === undefined) {
    // Spec: code 3 tells the runtime the container is gone and needs no cleanup.
    throw new CniError(CniCode.UnknownContainer, `network namespace ${ctx.env.netns} does not exist`);
  }
  const pool = poolFor(await resolvePodCidr(conf));
  const store = IpamStore.forNetwork(conf.dataDir, conf.name);
  const bridge = bridgeSpec(conf, pool);
  const { containerId, ifname, netns } = ctx.env;

  const { reservation, existing } = await store.allocate({ containerId, ifname, netns, netnsId }, pool);
  // Only a fresh reservation means this call owns the veth it may have made: a repeated
  // ADD that fails must not tear down a live pod.
  const undo = async () => {
    if (existing) return;
    await unwirePod(hostVethName(containerId, ifname)).catch(() => undefined);
    await store.release({ containerId, ifname }).catch(() => undefined);
  };
  try {
    const pod = podSpec(ctx, conf, pool, reservation.ip);
    await wirePod(pod, bridge, pool.family);
    if (conf.ipMasq && conf.clusterCIDR) {
      // Loaded on demand: the nft layer is a third of the plugin's modules.
      await (await import('./masquerade.js')).ensureMasquerade(pool.cidr, conf.clusterCIDR);
    }
    return buildResult(conf, pod, bridge.mac);
  } catch (e) {
    await undo();
    throw e;
  }
}
