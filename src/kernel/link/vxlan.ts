// VXLAN overlay pieces: the device, its forwarding database (which remote VTEP holds a
// MAC) and the neighbour entries (which MAC holds an IP) — the static, learning-free
// wiring flannel's vxlan backend uses, so no multicast group is needed.
import { isNotFound } from './errors.js';
import { checkLinkName, ipRun, type NsOptions } from './ip.js';

export interface VxlanSpec extends NsOptions {
  name: string;
  vni: number;
  /** Our VTEP address (outer source). */
  local: string;
  /** The underlay device the encapsulated packets leave through. */
  dev: string;
  /** 4789 is IANA's; Linux's historical default is 8472, so always say which. */
  dstPort: number;
  /** Default false: FDB entries are programmed, not learned from flooded traffic. */
  learning?: boolean;
  mtu?: number;
  mac?: string;
}

export function vxlanArgs(spec: VxlanSpec): string[] {
  checkLinkName(spec.name);
  checkLinkName(spec.dev);
  const args = ['link', 'add', spec.name];
  if (spec.mtu !== undefined) args.push('mtu', String(spec.mtu));
  if (spec.mac !== undefined) args.push('address', spec.mac);
  args.push('type', 'vxlan', 'id', String(spec.vni), 'local', spec.local, 'dev', spec.dev,
    'dstport', String(spec.dstPort), spec.learning ? 'learning' : 'nolearning');
  return args;
}

export async function createVxlan(spec: VxlanSpec): Promise<void> {
  await ipRun(vxlanArgs(spec), spec);
}

export interface FdbSpec extends NsOptions {
  dev: string;
  mac: string;
  /** Remote VTEP address. */
  dst: string;
}

/**
 * `append` (not `add`) so that the all-zero MAC may list several remote VTEPs for
 * flooding; for a unicast MAC, `replace` moves it to a new VTEP.
 */
export async function addFdb(spec: FdbSpec & { replace?: boolean }): Promise<void> {
  checkLinkName(spec.dev);
  await ipRun(['fdb', spec.replace ? 'replace' : 'append', spec.mac, 'dev', spec.dev, 'dst', spec.dst], spec, 'bridge');
}

export async function deleteFdb(spec: FdbSpec): Promise<void> {
  checkLinkName(spec.dev);
  try {
    await ipRun(['fdb', 'del', spec.mac, 'dev', spec.dev, 'dst', spec.dst], spec, 'bridge');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export interface NeighbourSpec extends NsOptions {
  dev: string;
  ip: string;
  mac: string;
}

/** Permanent (never expires, never re-resolved) neighbour entry; replaces an old one. */
export async function addNeighbour(spec: NeighbourSpec): Promise<void> {
  checkLinkName(spec.dev);
  await ipRun(['neigh', 'replace', spec.ip, 'lladdr', spec.mac, 'dev', spec.dev, 'nud', 'permanent'], spec);
}

export async function deleteNeighbour(spec: Omit<NeighbourSpec, 'mac'>): Promise<void> {
  checkLinkName(spec.dev);
  try {
    await ipRun(['neigh', 'del', spec.ip, 'dev', spec.dev], spec);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
