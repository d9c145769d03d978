// `hawser cni install`: put the plugin where a runtime finds it (CNI bin dir, executable
// named after the config `type`) and write the conflist into the CNI conf dir.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/kernel/exec.js';
import { DEFAULTS } from './config.js';
import { clientSource, isCPathSafe, skelDefines } from './fastpath/cc.js';
import { LATEST_VERSION, SUPPORTED_VERSIONS, compareVersions } from './skel/version.js';

export interface InstallOptions {
  binDir: string;
  confDir: string;
  podCIDR?: string;
  dataDir?: string;
  podCIDRFile?: string;
  bridge?: string;
  mtu?: number;
  clusterCIDR?: string;
  /** Chain the reference portmap plugin if it is in binDir (default true). */
  portmap?: boolean;
  /** Where the compiled plugin lives (default: dist/cni/main.js next to this file). */
  pluginEntry?: string;
  node?: string;
  /**
   * Install the thin client (fastpath/hawser-cni.c, compiled here with `cc`) that hands
   * calls to the node agent's socket and falls back to the Node plugin; without a C
   * compiler the shell launcher is installed instead (report says which).
   */
  thin?: boolean;
  /** The agent's CNI socket the thin client talks to. */
  socketPath?: string;
}

export const CONFLIST_NAME = '10-hawser.conflist';
/** The network name in that conflist; also the IPAM store's directory under the data dir. */
export const NETWORK_NAME = 'hawser';

/** The compiled plugin entry of this installation. */
export function defaultPluginEntry(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'main.js');
}

const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * A shell launcher rather than a symlink to a JS file: runtimes exec the plugin with a
 * minimal environment (containerd passes its own PATH, which may lack /usr/sbin where
 * `ip` lives), and an absolute node path avoids a PATH search for `node`.
 */
export function launcherScript(node: string, entry: string): string {
  return [
    '#!/bin/sh',
    '# hawser CNI plugin launcher, written by `hawser cni install`.',
    'PATH="${PATH:+$PATH:}/usr/sbin:/usr/bin:/sbin:/bin"; export PATH',
    `exec ${shQuote(node)} ${shQuote(entry)}`,
    '',
  ].join('\n');
}

/** Pure: the conflist. `version` is the highest version every chained plugin speaks. */
export function conflist(opts: InstallOptions, version: string, portmap: boolean): Record<string, unknown> {
  const hawser: Record<string, unknown> = {
    type: 'hawser',
    bridge: opts.bridge ?? DEFAULTS.bridge,
    mtu: opts.mtu ?? DEFAULTS.mtu,
    hairpinMode: true,
    dataDir: opts.dataDir ?? DEFAULTS.dataDir,
    podCIDRFile: opts.podCIDRFile ?? DEFAULTS.podCIDRFile,
  };
  if (opts.podCIDR) hawser.podCIDR = opts.podCIDR;
  if (opts.clusterCIDR) Object.assign(hawser, { ipMasq: true, clusterCIDR: opts.clusterCIDR });
  const plugins: Record<string, unknown>[] = [hawser];
  if (portmap) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return { cniVersion: version, name: NETWORK_NAME, plugins };
}

/** Highest version in both lists (ours and a chained plugin's VERSION answer). */
export function commonVersion(theirs: readonly string[]): string | undefined {
  return SUPPORTED_VERSIONS.filter((v) => theirs.includes(v)).sort(compareVersions).pop();
}

/**
 * Ask a chained plugin which versions it speaks (CNI VERSION): Debian's portmap 1.1.1
 * refuses a 1.1.0 config, so the conflist must not ask for more than it can do.
 */
export async function probeVersions(plugin: string): Promise<string[]> {
  const r = await run([plugin], { env: { CNI_COMMAND: 'VERSION', PATH: process.env.PATH }, input: '{"cniVersion":"0.4.0"}', allowFailure: true, timeoutMs: 5000 });
  try {
    const v = JSON.parse(r.stdout) as { supportedVersions?: unknown };
    return Array.isArray(v.supportedVersions) ? v.supportedVersions.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** The C source, next to the TypeScript sources (dist/cni/install.js → cni/fastpath/). */
export const thinClientSource = clientSource;

export function thinClientArgv(out: string, socketPath: string, node: string, entry: string): string[] {
  for (const p of [out, socketPath, node, entry]) if (!isCPathSafe(p)) throw new Error(`path not usable in the thin client: ${p}`);
  // skelDefines: what the client answers itself when neither the agent nor Node can.
  return ['cc', '-O2', '-o', out, `-DHAWSER_SOCKET="${socketPath}"`, `-DHAWSER_NODE="${node}"`, `-DHAWSER_ENTRY="${entry}"`, ...skelDefines(), thinClientSource()];
}

async function buildThinClient(out: string, socketPath: string, node: string, entry: string): Promise<boolean> {
  const r = await run(thinClientArgv(out, socketPath, node, entry), { allowFailure: true, timeoutMs: 60_000 }).catch(() => undefined);
  return r !== undefined && r.code === 0;
}

export interface InstallReport {
  plugin: string;
  /** 'thin': the C client (agent socket, Node fallback); 'launcher': the shell launcher. */
  form: 'thin' | 'launcher';
  conflist: string;
  cniVersion: string;
  portmap: boolean;
}

export async function install(opts: InstallOptions): Promise<InstallReport> {
  const binDir = resolve(opts.binDir);
  const confDir = resolve(opts.confDir);
  await mkdir(binDir, { recursive: true });
  await mkdir(confDir, { recursive: true });
  const plugin = join(binDir, 'hawser');
  const node = opts.node ?? process.execPath;
  const entry = opts.pluginEntry ?? defaultPluginEntry();
  let form: InstallReport['form'] = 'launcher';
  if (opts.thin) {
    const tmp = `${plugin}.tmp-${process.pid}`;
    if (await buildThinClient(tmp, opts.socketPath ?? '/run/hawser/cni.sock', node, entry)) {
      await chmod(tmp, 0o755);
      await rename(tmp, plugin);
      form = 'thin';
    }
  }
  if (form === 'launcher') await writeAtomic(plugin, launcherScript(node, entry), 0o755);

  let version = LATEST_VERSION as string;
  const portmapPath = join(binDir, 'portmap');
  let portmap = (opts.portmap ?? true) && existsSync(portmapPath);
  if (portmap) {
    const common = commonVersion(await probeVersions(portmapPath));
    if (common) version = common;
    else portmap = false; // it speaks nothing we do: leave it out rather than break every ADD
  }
  const file = join(confDir, CONFLIST_NAME);
  await writeAtomic(file, JSON.stringify(conflist(opts, version, portmap), null, 2) + '\n', 0o644);
  return { plugin, form, conflist: file, cniVersion: version, portmap };
}
