// Wiring a pod into the node: the kernel steps of ADD and DEL, all through src/kernel.
// "The node" is the namespace the plugin runs in (the runtime's); the pod's side is
// CNI_NETNS. The steps are grouped into as few tool runs as possible (one `ip -batch`
// per namespace) because each process start costs a few ms and ADD latency is what the
// runtime waits on (REFERENCE.md: the reference plugin's whole ADD is ≈ 20 ms).
import {
  createBridge, deleteLink, getLink, ipBatch, isExists, isNetnsNotFound, isNotFound,
} from '../src/kernel/link/index.js';
import { setSysctl } from '../src/kernel/sysctl.js';
import { CniCode, CniError } from './skel/errors.js';

export interface BridgeSpec {
  name: string;
  mtu: number;
  /** gateway/prefix: the bridge is the pods' default gateway. */
  gatewayCidr: string;
  mac: string;
}

export interface PodSpec {
  netns: string;
  ifname: string;
  hostVeth: string;
  hostMac: string;
  containerMac: string;
  mtu: number;
  /** ip/prefix */
  address: string;
  gateway: string;
  hairpin: boolean;
  bridge: string;
}

/**
 * A node's first ADD creates the bridge (MAC set explicitly, see names.ts) and turns on
 * forwarding: pods reach other nodes and Services through the node, which routes between
 * the bridge and its uplink, and forwarding is per network namespace. Two concurrent
 * first ADDs may both get here: the loser's EEXIST is fine. Forwarding is set with the
 * bridge, not on every ADD, because each tool run costs an ADD milliseconds; the node
 * agent asserts it at start too.
 */
export async function setUpBridge(b: BridgeSpec, family: 4 | 6): Promise<void> {
  try {
    await createBridge(b.name, { mtu: b.mtu, mac: b.mac, up: false });
  } catch (e) {
    if (!isExists(e)) throw e;
  }
  const key = family === 4 ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
  await setSysctl(key, 1, { currentNamespace: true });
}

/**
 * Both ends in one RTM_NEWLINK, the pod's end born inside CNI_NETNS under its final name
 * (iproute2 opens a `netns` value containing '/' as a path): nothing ever appears in the
 * node namespace under the pod's ifname. Same command as createVethPair, as a batch line.
 */
export function vethLine(p: PodSpec): string[] {
  return ['link', 'add', p.hostVeth, 'mtu', String(p.mtu), 'address', p.hostMac, 'type', 'veth',
    'peer', 'name', p.ifname, 'mtu', String(p.mtu), 'address', p.containerMac, 'netns', p.netns];
}

export function nodeBatch(p: PodSpec, bridge: BridgeSpec, create: boolean): string[][] {
  // Bridge lines first: on a node without the bridge the batch fails before it creates
  // anything, and wirePod creates the bridge and retries.
  const cmds: string[][] = [
    // nodad: an IPv6 gateway address would otherwise stay tentative (unusable) for ~1 s.
    ['addr', 'replace', bridge.gatewayCidr, 'dev', bridge.name, ...(bridge.gatewayCidr.includes(':') ? ['nodad'] : [])],
    ['link', 'set', 'dev', bridge.name, 'up'],
  ];
  if (create) cmds.push(vethLine(p));
  cmds.push(['link', 'set', 'dev', p.hostVeth, 'master', bridge.name]);
  // Hairpin: a pod reaching itself through a Service VIP gets the DNATed packet back out
  // of the port it came in on, which a bridge refuses unless the port allows it.
  cmds.push(['link', 'set', 'dev', p.hostVeth, 'type', 'bridge_slave', 'hairpin', p.hairpin ? 'on' : 'off']);
  cmds.push(['link', 'set', 'dev', p.hostVeth, 'up']);
  return cmds;
}

/** `replace`, not `add`: a repeated ADD re-asserts the same state without EEXIST. */
export function podBatch(p: PodSpec): string[][] {
  const v6 = p.address.includes(':');
  return [
    ['addr', 'replace', p.address, 'dev', p.ifname, ...(v6 ? ['nodad'] : [])],
    ['link', 'set', 'dev', p.ifname, 'up'],
    ['route', 'replace', 'default', 'via', p.gateway, 'dev', p.ifname],
  ];
}

/**
 * CNI_NETNS is a path; when it is a bind mount under /run/netns (containerd, CRI-O, our
 * lab) its name is enough, and iproute2's own `-n NAME` saves the nsenter exec a path
 * needs (src/kernel/link README: ≈ 20 % per call).
 */
export function netnsRef(path: string): string {
  const m = /^(?:\/var)?\/run\/netns\/([A-Za-z0-9_.-]{1,64})$/.exec(path);
  return m && m[1] !== '.' && m[1] !== '..' ? m[1]! : path;
}

function translate(e: unknown, p: PodSpec): unknown {
  if (isNetnsNotFound(e)) return new CniError(CniCode.UnknownContainer, `network namespace ${p.netns} does not exist`);
  return e;
}

/**
 * Create (or, for a repeated ADD, re-assert) the pod's veth pair and its L3 setup: in
 * the steady state one `ip -batch` in the node and one in the pod. Returns whether the
 * veth pair was created by this call.
 */
export async function wirePod(p: PodSpec, bridge: BridgeSpec, family: 4 | 6): Promise<boolean> {
  let create = true;
  let created = false;
  for (let attempt = 0; ; attempt++) {
    try {
      await ipBatch(nodeBatch(p, bridge, create));
      created = create;
      break;
    } catch (e) {
      if (attempt >= 3) throw translate(e, p);
      if (isNotFound(e) && (await getLink(bridge.name)) === undefined) {
        await setUpBridge(bridge, family);
      } else if (isExists(e) && create) {
        await adoptExisting(p);
        create = false;
      } else {
        throw translate(e, p);
      }
    }
  }
  try {
    await ipBatch(podBatch(p), { netns: netnsRef(p.netns) });
  } catch (e) {
    throw translate(e, p);
  }
  return created;
}

/**
 * EEXIST on creation: either this attachment's pair already exists (a repeated ADD), or
 * the pod already has an interface called ifname that is not ours, or a host veth of
 * ours outlived its pod's namespace. Only the first may be adopted.
 */
async function adoptExisting(p: PodSpec): Promise<void> {
  const [host, pod] = await Promise.all([
    getLink(p.hostVeth),
    getLink(p.ifname, { netns: p.netns }).catch((e: unknown) => { throw translate(e, p); }),
  ]);
  if (host && pod && pod.kind === 'veth' && pod.mac === p.containerMac) return;
  if (pod && !(host && pod.mac === p.containerMac)) {
    throw new CniError(CniCode.InvalidEnv, `interface ${p.ifname} already exists in ${p.netns}`, `kind ${pod.kind ?? '?'}, mac ${pod.mac ?? '?'}`);
  }
  // A stale host end without its pod end: replace it.
  await deleteLink(p.hostVeth);
  await ipBatch([vethLine(p)]).catch((e: unknown) => { throw translate(e, p); });
}

/** DEL/rollback: deleting the host end removes the pod end too, wherever it lives. */
export async function unwirePod(hostVeth: string): Promise<void> {
  await deleteLink(hostVeth);
}
