// Calling a CNI plugin exactly as a runtime does (libcni's invoke): the plugin executable
// with CNI_* in its environment and the network config on stdin, run inside a chosen
// namespace that plays the node. Shared by the netns tests and the benchmark.
import { run } from '../../src/kernel/exec.js';

export interface Invocation {
  /** Path of the plugin executable. */
  plugin: string;
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';
  containerId?: string;
  /** CNI_NETNS (a path); '' to send it empty. */
  netns?: string;
  ifname?: string;
  args?: string;
  cniPath?: string;
  config: unknown;
  /** The node: a namespace name under /run/netns (never unset in tests: never the root ns). */
  nodeNetns: string;
  /** Replace or remove (undefined) single variables, for bad-input cases. */
  env?: Record<string, string | undefined>;
  /** Raw stdin instead of JSON.stringify(config). */
  stdin?: string;
}

export interface InvokeResult {
  exit: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is. */
  json: Record<string, unknown> | undefined;
  ms: number;
}

export async function invoke(inv: Invocation): Promise<InvokeResult> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifname ?? (inv.command === 'VERSION' ? undefined : 'eth0'),
    CNI_ARGS: inv.args,
    CNI_PATH: inv.cniPath ?? '/usr/lib/cni',
    ...inv.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const t0 = performance.now();
  const r = await run([inv.plugin], {
    netns: inv.nodeNetns, env, input: inv.stdin ?? JSON.stringify(inv.config), allowFailure: true, timeoutMs: 30_000,
  });
  const ms = performance.now() - t0;
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { exit: r.code, stdout: r.stdout, stderr: r.stderr, json, ms };
}

/** The conflist's way of handing one plugin its config: name and cniVersion injected. */
export function netconf(list: { cniVersion: string; name: string; plugins: Record<string, unknown>[] }, i = 0, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: list.cniVersion, name: list.name, ...list.plugins[i], ...extra };
}
