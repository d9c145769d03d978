// Deterministic names and MAC addresses (DESIGN.md rule 4): DEL, CHECK and GC find the
// host end of a pod's veth from container ID + ifname alone, with no state to read.
import { createHash } from 'node:crypto';
import { parseAddress } from '../src/net/address.js';

/** Recognisably ours, and unique per attachment: `hw` + 12 hex digits (IFNAMSIZ allows 15). */
export const HOST_VETH_PREFIX = 'hw';

export function hostVethName(containerId: string, ifname: string): string {
  const h = createHash('sha256').update(`${containerId}\0${ifname}`).digest('hex');
  return `${HOST_VETH_PREFIX}${h.slice(0, 12)}`;
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');

function lowBytes(ip: string, n: number): number[] {
  const a = parseAddress(ip);
  if (!a) throw new Error(`not an address: ${ip}`);
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((a.value >> BigInt(8 * i)) & 0xffn));
  return out;
}

/**
 * 0a:58 + the address's last four bytes (the scheme kubenet and OVN-Kubernetes use):
 * locally administered unicast, unique on the bridge because addresses are, and stable
 * across re-ADDs. Both the pod's interface and the bridge (from the gateway address) get
 * one: a bridge whose MAC is set explicitly keeps it, while one left to the kernel takes
 * the lowest port MAC and changes as pods come and go, breaking pods' ARP caches.
 */
export function macForAddress(ip: string): string {
  return hex([0x0a, 0x58, ...lowBytes(ip, 4)]);
}

/** The host end: 02 (locally administered unicast) + 5 bytes of the attachment's hash. */
export function hostVethMac(containerId: string, ifname: string): string {
  const h = createHash('sha256').update(`mac\0${containerId}\0${ifname}`).digest();
  return hex([0x02, ...h.subarray(0, 5)]);
}
