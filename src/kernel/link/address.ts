// Interface addresses, IPv4 and IPv6 alike (the family follows the CIDR).
import { isNotFound } from './errors.js';
import { checkLinkName, ipJson, ipRun, isV6, type NsOptions } from './ip.js';

export interface AddressInfo {
  dev: string;
  /** address/prefix, e.g. 10.244.1.1/24 */
  cidr: string;
  family: 4 | 6;
  scope: string;
  /** IPv4 address label (`dev:suffix`), when the address has one. */
  label?: string;
}

export interface AddAddressOptions extends NsOptions {
  /**
   * IPv6 only: skip duplicate address detection, otherwise the address stays "tentative"
   * (unusable as a source) for about a second after it is added.
   */
  nodad?: boolean;
  /** Do not add the connected-subnet route for the prefix. */
  noprefixroute?: boolean;
  /**
   * IPv4 only: a label `<dev>:<suffix>` (at most 15 characters) that marks the address as
   * added by a given owner, so it can find and remove its own addresses later.
   */
  label?: string;
}

export async function addAddress(dev: string, cidr: string, opts: AddAddressOptions = {}): Promise<void> {
  checkLinkName(dev);
  const args = ['addr', 'add', cidr, 'dev', dev];
  if (opts.nodad && isV6(cidr)) args.push('nodad');
  if (opts.noprefixroute) args.push('noprefixroute');
  if (opts.label !== undefined && !isV6(cidr)) {
    if (!opts.label.startsWith(`${dev}:`) || opts.label.length > 15) throw new Error(`address label ${JSON.stringify(opts.label)} must be "${dev}:…" and at most 15 characters`);
    args.push('label', opts.label);
  }
  await ipRun(args, opts);
}

/** Delete an address; succeeds when the device does not have it. */
export async function deleteAddress(dev: string, cidr: string, opts: NsOptions = {}): Promise<void> {
  checkLinkName(dev);
  try {
    await ipRun(['addr', 'del', cidr, 'dev', dev], opts);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

interface IpAddrJson {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string; label?: string }[];
}

/** Addresses of one device (or of all), link-local IPv6 included; a missing dev throws. */
export async function listAddresses(dev?: string, opts: NsOptions = {}): Promise<AddressInfo[]> {
  const args = ['addr', 'show'];
  if (dev !== undefined) {
    checkLinkName(dev);
    args.push('dev', dev);
  }
  const out: AddressInfo[] = [];
  for (const j of await ipJson<IpAddrJson>(args, opts)) {
    for (const a of j.addr_info ?? []) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      out.push({
        dev: j.ifname, cidr: `${a.local}/${a.prefixlen}`, family: a.family === 'inet' ? 4 : 6, scope: a.scope,
        ...(a.label !== undefined ? { label: a.label } : {}),
      });
    }
  }
  return out;
}

/** Remove every address of a device (of one family if given). */
export async function flushAddresses(dev: string, opts: NsOptions & { family?: 4 | 6 } = {}): Promise<void> {
  checkLinkName(dev);
  const args = opts.family ? [`-${opts.family}`, 'addr', 'flush', 'dev', dev] : ['addr', 'flush', 'dev', dev];
  await ipRun(args, opts);
}
