// Linux bridges: the node's pod bridge (CNI) and the lab's "switch" namespaces.
import { checkLinkName, ipRun, type NsOptions } from './ip.js';

export interface BridgeOptions extends NsOptions {
  mtu?: number;
  mac?: string;
  /**
   * Off by default: a bridge with STP waits forward_delay (15 s) in LISTENING/LEARNING
   * before it forwards, which a pod or a test would see as lost packets.
   */
  stp?: boolean;
  /** Bring it up right away (default true: a down bridge drops everything). */
  up?: boolean;
}

export async function createBridge(name: string, opts: BridgeOptions = {}): Promise<void> {
  checkLinkName(name);
  const args = ['link', 'add', 'name', name];
  if (opts.mtu !== undefined) args.push('mtu', String(opts.mtu));
  if (opts.mac !== undefined) args.push('address', opts.mac);
  args.push('type', 'bridge', 'stp_state', opts.stp ? '1' : '0');
  await ipRun(args, opts);
  if (opts.up ?? true) await ipRun(['link', 'set', 'dev', name, 'up'], opts);
}

/** Enslave `link` to `bridge` (both in opts.netns); `bridge` undefined = release it. */
export async function setMaster(link: string, bridge: string | undefined, opts: NsOptions = {}): Promise<void> {
  checkLinkName(link);
  if (bridge === undefined) {
    await ipRun(['link', 'set', 'dev', link, 'nomaster'], opts);
    return;
  }
  checkLinkName(bridge);
  await ipRun(['link', 'set', 'dev', link, 'master', bridge], opts);
}

/**
 * Hairpin mode lets a bridge port send a frame back out of the port it came in on:
 * needed when a pod reaches itself through a Service VIP (kubenet/bridge CNI set it too).
 */
export async function setHairpin(link: string, on: boolean, opts: NsOptions = {}): Promise<void> {
  checkLinkName(link);
  await ipRun(['link', 'set', 'dev', link, 'type', 'bridge_slave', 'hairpin', on ? 'on' : 'off'], opts);
}

/** Read a bridge port's hairpin flag (undefined when the link is not a bridge port). */
export async function getHairpin(link: string, opts: NsOptions = {}): Promise<boolean | undefined> {
  checkLinkName(link);
  const out = await ipRun(['-j', '-d', 'link', 'show', 'dev', link], opts);
  const [j] = JSON.parse(out) as { linkinfo?: { info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } } }[];
  if (j?.linkinfo?.info_slave_kind !== 'bridge') return undefined;
  return j.linkinfo.info_slave_data?.hairpin === true;
}
