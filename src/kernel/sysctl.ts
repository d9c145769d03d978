// Network sysctls, read and written INSIDE a network namespace.
//
// /proc/sys/net/* is resolved against the network namespace of the process that opens
// the file, so the write must happen in a process that has entered the namespace
// (nsenter --net); Node cannot setns() itself. Keys outside net.* are global to the
// machine (kernel.*, vm.*): writing one "inside a namespace" would change the host, so
// they are refused.
import { run } from './exec.js';

export interface SysctlOptions {
  /** Namespace name under /run/netns or absolute namespace path. */
  netns?: string;
  /**
   * Acting on the caller's own namespace must be asked for explicitly (a node agent
   * setting its host's ip_forward): a forgotten `netns` must never silently change the
   * root namespace of a test machine.
   */
  currentNamespace?: boolean;
}

/** net.ipv4.conf.eth0.rp_filter → /proc/sys/net/ipv4/conf/eth0/rp_filter (dots in names as '/'). */
export function sysctlPath(key: string): string {
  if (!/^net(\.[A-Za-z0-9_@-]+|\/[A-Za-z0-9_.@-]+)+$/.test(key) || key.split('/').some((p) => /^\.+$/.test(p))) {
    throw new Error(`refusing sysctl ${JSON.stringify(key)}: only per-namespace net.* keys`);
  }
  // `sysctl` accepts both spellings; the slash form allows interface names with dots.
  const rel = key.includes('/') ? key : key.replaceAll('.', '/');
  return `/proc/sys/${rel}`;
}

function target(opts: SysctlOptions): string | undefined {
  if (opts.netns === undefined && !opts.currentNamespace) {
    throw new Error('sysctl: give a netns, or currentNamespace: true to act on our own namespace');
  }
  return opts.netns;
}

export async function setSysctl(key: string, value: string | number, opts: SysctlOptions): Promise<void> {
  const path = sysctlPath(key);
  const netns = target(opts);
  // `tee` writes the value once; `sh -c "echo >"` would need quoting of the value.
  await run(['tee', path], { netns, input: `${value}\n` });
}

export async function getSysctl(key: string, opts: SysctlOptions): Promise<string> {
  const path = sysctlPath(key);
  const netns = target(opts);
  return (await run(['cat', path], { netns })).stdout.trim();
}
