// Links: veth pairs, moving between namespaces, rename, up/down, MTU, delete, read.
// Every call can act inside a namespace (opts.netns), so a caller never has to create
// something in its own namespace and move it: a veth end can be born where it belongs.
import { isNotFound } from './errors.js';
import { checkLinkName, ipJson, ipRun, type NsOptions } from './ip.js';
import { resolveNetns } from '../netns/paths.js';

export interface LinkInfo {
  name: string;
  index: number;
  /** linkinfo kind: 'veth', 'bridge', 'vxlan', … ; undefined for plain devices such as lo. */
  kind: string | undefined;
  mtu: number;
  mac: string | undefined;
  /** The bridge (or bond) this link is enslaved to. */
  master: string | undefined;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** RFC 2863 operational state as the kernel reports it: 'UP', 'DOWN', 'LOWERLAYERDOWN', 'UNKNOWN'. */
  operState: string;
  /** For a veth end: its peer's name when the peer is in the same namespace (`link`). */
  peer: string | undefined;
}

interface IpLinkJson {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  address?: string;
  master?: string;
  operstate?: string;
  link?: string;
  linkinfo?: { info_kind?: string };
}

function fromJson(j: IpLinkJson): LinkInfo {
  return {
    name: j.ifname,
    index: j.ifindex,
    kind: j.linkinfo?.info_kind,
    mtu: j.mtu,
    mac: j.address,
    master: j.master,
    up: (j.flags ?? []).includes('UP'),
    operState: j.operstate ?? 'UNKNOWN',
    peer: j.link ?? undefined,
  };
}

/**
 * `ip link … netns X` opens X as a path when it contains '/' (iproute2 netns_get_fd), so
 * passing the resolved path serves names and CNI_NETNS paths alike.
 */
function netnsArg(ref: string): string {
  return resolveNetns(ref);
}

export interface VethSpec {
  name: string;
  peerName: string;
  /** Where `name` is created (unset: the caller's namespace). */
  netns?: string;
  /** Where `peerName` is created (unset: the same namespace as `name`). */
  peerNetns?: string;
  mtu?: number;
  mac?: string;
  peerMac?: string;
}

/**
 * Create both ends in one RTM_NEWLINK: the peer is created directly in peerNetns
 * (IFLA_NET_NS_FD in the peer's info), so no end ever exists in a namespace it does not
 * belong to — nor in the root namespace when neither end is meant for it.
 */
export async function createVethPair(spec: VethSpec): Promise<void> {
  checkLinkName(spec.name);
  checkLinkName(spec.peerName);
  const args = ['link', 'add', spec.name];
  if (spec.mtu !== undefined) args.push('mtu', String(spec.mtu));
  if (spec.mac !== undefined) args.push('address', spec.mac);
  args.push('type', 'veth', 'peer', 'name', spec.peerName);
  if (spec.mtu !== undefined) args.push('mtu', String(spec.mtu));
  if (spec.peerMac !== undefined) args.push('address', spec.peerMac);
  if (spec.peerNetns !== undefined && spec.peerNetns !== spec.netns) args.push('netns', netnsArg(spec.peerNetns));
  await ipRun(args, { netns: spec.netns });
}

/** Move a link (from opts.netns) into another namespace; it arrives down, without addresses. */
export async function moveLink(name: string, toNetns: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  await ipRun(['link', 'set', 'dev', name, 'netns', netnsArg(toNetns)], opts);
}

/** Rename a link; the kernel refuses (EBUSY) while it is up, so this takes it down first. */
export async function renameLink(name: string, newName: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  checkLinkName(newName);
  await ipRun(['link', 'set', 'dev', name, 'down'], opts);
  await ipRun(['link', 'set', 'dev', name, 'name', newName], opts);
}

export async function setLinkUp(name: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  await ipRun(['link', 'set', 'dev', name, 'up'], opts);
}

export async function setLinkDown(name: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  await ipRun(['link', 'set', 'dev', name, 'down'], opts);
}

export async function setMtu(name: string, mtu: number, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  await ipRun(['link', 'set', 'dev', name, 'mtu', String(mtu)], opts);
}

export async function setMac(name: string, mac: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  await ipRun(['link', 'set', 'dev', name, 'address', mac], opts);
}

/**
 * Delete a link; succeeds when it is already gone (CNI DEL must be idempotent). Deleting
 * one veth end deletes its peer too, wherever the peer lives.
 */
export async function deleteLink(name: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(name);
  try {
    await ipRun(['link', 'del', 'dev', name], opts);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Read one link, or undefined when there is no such link in that namespace. */
export async function getLink(name: string, opts: NsOptions = {}): Promise<LinkInfo | undefined> {
  checkLinkName(name);
  try {
    const [j] = await ipJson<IpLinkJson>(['-d', 'link', 'show', 'dev', name], opts);
    return j ? fromJson(j) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function listLinks(opts: NsOptions & { kind?: string } = {}): Promise<LinkInfo[]> {
  const args = ['-d', 'link', 'show'];
  if (opts.kind) args.push('type', opts.kind);
  return (await ipJson<IpLinkJson>(args, opts)).map(fromJson);
}
