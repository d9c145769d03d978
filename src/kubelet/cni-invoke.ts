// Calling CNI plugins the way containerd does through libcni (containernetworking/cni
// libcni/api.go): the first network config in the conf dir, each plugin of the list run
// in turn with CNI_* env and its config on stdin, `name`/`cniVersion` injected into each
// plugin's config and the previous plugin's result chained in as `prevResult`; ADD in
// list order, DEL in reverse order, CHECK in order; the ADD result cached on disk, and
// given as prevResult to DEL and CHECK.
//
// The builders are pure; `CniInvoker` adds the file system and process execution.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../kernel/exec.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface PluginConf { type: string; [k: string]: unknown }

export interface NetworkConfigList {
  name: string;
  cniVersion: string;
  plugins: PluginConf[];
  /** The bytes it was read from (libcni caches them with the result). */
  bytes: string;
  file: string;
}

export interface RuntimeConf {
  containerId: string;
  /** Path of the network namespace, e.g. /run/netns/<name>. */
  netns: string;
  ifName: string;
  /** CNI_ARGS key/value pairs, in order. */
  args: [string, string][];
}

export interface PodRef { namespace: string; name: string; uid: string; sandboxId: string }

/** containerd's CNI_ARGS for a pod sandbox (pkg/cri/server/sandbox_run.go cniNamespaceOpts). */
export function podCniArgs(pod: PodRef): [string, string][] {
  return [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', pod.namespace],
    ['K8S_POD_NAME', pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.sandboxId],
    ['K8S_POD_UID', pod.uid],
  ];
}

export function cniEnv(command: CniCommand, rt: RuntimeConf, cniPath: string[], base: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...base,
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifName,
    CNI_ARGS: rt.args.map(([k, v]) => `${k}=${v}`).join(';'),
    CNI_PATH: cniPath.join(':'),
  };
}

/**
 * libcni buildOneConfig: the plugin's own object with the list's name and cniVersion
 * written over it, and prevResult when there is one (never for the first ADD).
 */
export function pluginConfig(list: NetworkConfigList, plugin: PluginConf, prevResult: unknown): string {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  else delete conf.prevResult;
  return JSON.stringify(conf);
}

/** A .conflist, or a single-plugin .conf/.json turned into a list (libcni ConfListFromConf). */
export function parseNetworkConfig(text: string, file: string): NetworkConfigList {
  const j = JSON.parse(text) as Record<string, unknown>;
  if (typeof j.name !== 'string' || j.name === '') throw new Error(`${file}: no network name`);
  const cniVersion = typeof j.cniVersion === 'string' ? j.cniVersion : '0.1.0';
  if (Array.isArray(j.plugins)) {
    const plugins = j.plugins as PluginConf[];
    if (plugins.length === 0 || plugins.some((p) => typeof p?.type !== 'string')) throw new Error(`${file}: every plugin needs a type`);
    return { name: j.name, cniVersion, plugins, bytes: text, file };
  }
  if (typeof j.type !== 'string') throw new Error(`${file}: neither plugins nor type`);
  return { name: j.name, cniVersion, plugins: [j as PluginConf], bytes: text, file };
}

/** The first loadable config in dir, in lexical file order (libcni LoadConfList / containerd). */
export function loadFirstNetworkConfig(dir: string): NetworkConfigList {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort() : [];
  const errors: string[] = [];
  for (const f of files) {
    const path = join(dir, f);
    try {
      if (!statSync(path).isFile()) continue;
      return parseNetworkConfig(readFileSync(path, 'utf8'), path);
    } catch (err) {
      errors.push(String(err));
    }
  }
  throw new CniError(7, `no usable network config in ${dir}`, errors.join('; '));
}

export class CniError extends Error {
  constructor(readonly code: number, readonly msg: string, readonly details = '', readonly plugin?: string) {
    super(`${plugin ? `${plugin}: ` : ''}CNI error ${code}: ${msg}${details ? ` (${details})` : ''}`);
    this.name = 'CniError';
  }
}

/** libcni's cache file name: <dir>/results/<network>-<containerID>-<ifName>. */
export function cacheFile(cacheDir: string, network: string, rt: RuntimeConf): string {
  return join(cacheDir, 'results', `${network}-${rt.containerId}-${rt.ifName}`);
}

/** The cache entry libcni writes (cachedInfo, kind cniCacheV1). */
export function cacheEntry(list: NetworkConfigList, rt: RuntimeConf, result: unknown): string {
  return JSON.stringify({
    kind: 'cniCacheV1',
    containerId: rt.containerId,
    config: Buffer.from(list.bytes).toString('base64'),
    ifName: rt.ifName,
    networkName: list.name,
    netns: rt.netns,
    cniArgs: rt.args,
    result,
  });
}

/** A plugin's error output: the spec's JSON error on stdout (sometimes stderr), else the text. */
export function pluginFailure(plugin: string, code: number, stdout: string, stderr: string): CniError {
  for (const text of [stdout, stderr]) {
    try {
      const j = JSON.parse(text) as { code?: number; msg?: string; details?: string };
      if (typeof j.code === 'number') return new CniError(j.code, j.msg ?? '', j.details ?? '', plugin);
    } catch { /* not JSON */ }
  }
  return new CniError(999, `exited ${code}`, (stderr || stdout).trim().slice(0, 500), plugin);
}

export interface CniInvokerOptions {
  confDir: string;
  binDirs: string[];
  /** Where results are cached (libcni: /var/lib/cni). */
  cacheDir: string;
  timeoutMs?: number;
  /**
   * Network namespace the plugins run in. Unset: ours, as with containerd (the kubelet
   * runs in its node's namespace); tests driving a lab node from outside set it.
   */
  netns?: string;
}

export class CniInvoker {
  constructor(readonly opts: CniInvokerOptions) {}

  private findPlugin(type: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new CniError(7, `invalid plugin type ${JSON.stringify(type)}`);
    for (const d of this.opts.binDirs) {
      const p = join(d, type);
      if (existsSync(p)) return p;
    }
    throw new CniError(50, `failed to find plugin "${type}" in path [${this.opts.binDirs.join(' ')}]`);
  }

  private async exec(command: CniCommand, list: NetworkConfigList, plugin: PluginConf, rt: RuntimeConf, prev: unknown): Promise<unknown> {
    const path = this.findPlugin(plugin.type);
    const r = await run([path], {
      netns: this.opts.netns,
      env: cniEnv(command, rt, this.opts.binDirs, process.env),
      input: pluginConfig(list, plugin, prev),
      allowFailure: true,
      timeoutMs: this.opts.timeoutMs ?? 60_000,
    });
    if (r.code !== 0) throw pluginFailure(plugin.type, r.code, r.stdout, r.stderr);
    if (command !== 'ADD') return undefined;
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new CniError(6, `${plugin.type}: ADD result is not JSON`, r.stdout.slice(0, 200), plugin.type);
    }
  }

  /** ADD through the whole list; the last result is cached and returned. */
  async add(rt: RuntimeConf): Promise<{ list: NetworkConfigList; result: unknown }> {
    const list = loadFirstNetworkConfig(this.opts.confDir);
    let prev: unknown;
    for (const plugin of list.plugins) prev = await this.exec('ADD', list, plugin, rt, prev);
    const file = cacheFile(this.opts.cacheDir, list.name, rt);
    mkdirSync(join(this.opts.cacheDir, 'results'), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, cacheEntry(list, rt, prev), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return { list, result: prev };
  }

  /** The cached ADD result for this attachment, if any. */
  cachedResult(rt: RuntimeConf, network?: string): { list: NetworkConfigList; result: unknown } | undefined {
    const names = network ? [network] : this.cachedNetworks(rt);
    for (const name of names) {
      const file = cacheFile(this.opts.cacheDir, name, rt);
      if (!existsSync(file)) continue;
      const entry = JSON.parse(readFileSync(file, 'utf8')) as { config: string; result: unknown };
      const bytes = Buffer.from(entry.config, 'base64').toString('utf8');
      return { list: parseNetworkConfig(bytes, file), result: entry.result };
    }
    return undefined;
  }

  private cachedNetworks(rt: RuntimeConf): string[] {
    const dir = join(this.opts.cacheDir, 'results');
    const suffix = `-${rt.containerId}-${rt.ifName}`;
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length)) : [];
  }

  /**
   * DEL in reverse plugin order with the cached result as prevResult. Uses the config the
   * ADD used (from the cache) so a changed conf dir still cleans up the old attachment.
   */
  async del(rt: RuntimeConf): Promise<void> {
    const cached = this.cachedResult(rt);
    const list = cached?.list ?? loadFirstNetworkConfig(this.opts.confDir);
    for (const plugin of [...list.plugins].reverse()) await this.exec('DEL', list, plugin, rt, cached?.result);
    rmSync(cacheFile(this.opts.cacheDir, list.name, rt), { force: true });
  }

  /** CHECK in order against the cached result (spec ≥ 0.4.0). */
  async check(rt: RuntimeConf): Promise<void> {
    const cached = this.cachedResult(rt);
    if (!cached) throw new CniError(3, `no cached result for ${rt.containerId}/${rt.ifName}`);
    for (const plugin of cached.list.plugins) await this.exec('CHECK', cached.list, plugin, rt, cached.result);
  }
}

/** The pod IPs of a CNI result (any version ≥ 0.3.0: ips[].address with prefix). */
export function resultIPs(result: unknown): string[] {
  const ips = (result as { ips?: { address?: string }[] } | undefined)?.ips ?? [];
  return ips.map((i) => (i.address ?? '').split('/')[0]!).filter(Boolean);
}
