// The `hawser` network config (one entry of the conflist, as the runtime hands it on
// stdin), validated into plain data. Fields the plugin does not know are ignored: the
// spec lets runtimes add keys (runtimeConfig, args, prevResult) and conflists carry
// settings for other plugins.
import { parseCidr } from '../src/net/cidr.js';
import { CniCode, CniError } from './skel/errors.js';
import { parseResult, type CniDns, type CniResult } from './skel/result.js';

export interface HawserConfig {
  name: string;
  bridge: string;
  mtu: number;
  hairpinMode: boolean;
  ipMasq: boolean;
  clusterCIDR: string | undefined;
  /** Set in the conflist (`hawser cni install --pod-cidr`); otherwise read from podCIDRFile. */
  podCIDR: string | undefined;
  podCIDRFile: string;
  dataDir: string;
  dns: CniDns;
  runtimeConfig: Record<string, unknown>;
  prevResult: CniResult | undefined;
}

export const DEFAULTS = {
  bridge: 'hawser0',
  mtu: 1500,
  podCIDRFile: '/run/hawser/pod-cidr',
  dataDir: '/var/lib/hawser/cni',
} as const;

function invalid(msg: string, v?: unknown): CniError {
  return new CniError(CniCode.InvalidConfig, msg, v === undefined ? '' : JSON.stringify(v));
}

function optional<T>(c: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const v = c[key];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw invalid(`${key} must be ${what}`, v);
  return v;
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAbs = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && !v.split('/').includes('..');

/** Same rule as the kernel's dev_valid_name() within IFNAMSIZ. */
const isLinkName = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_.@-]{1,15}$/.test(v) && v !== '.' && v !== '..';

export function checkPodCidr(text: string, source: string): string {
  const c = parseCidr(text.trim());
  // /31 and /32 (/127, /128) leave no address besides the gateway.
  if (!c || c.prefix > (c.family === 4 ? 30 : 126)) throw invalid(`${source}: invalid pod CIDR`, text);
  return text.trim();
}

export function parseConfig(c: Record<string, unknown>): HawserConfig {
  if (c.type !== 'hawser') throw invalid('type must be "hawser"', c.type);
  const mtu = optional(c, 'mtu', isInt, 'an integer') ?? DEFAULTS.mtu;
  if (mtu < 68 || mtu > 65535) throw invalid('mtu out of range 68-65535', mtu);
  const ipMasq = optional(c, 'ipMasq', isBool, 'a boolean') ?? false;
  const clusterCIDR = optional(c, 'clusterCIDR', isStr, 'a CIDR string');
  if (clusterCIDR !== undefined && !parseCidr(clusterCIDR)) throw invalid('clusterCIDR: invalid CIDR', clusterCIDR);
  if (ipMasq && clusterCIDR === undefined) throw invalid('ipMasq needs clusterCIDR (traffic leaving it is masqueraded)');
  const podCIDR = optional(c, 'podCIDR', isStr, 'a CIDR string');
  const dns = optional(c, 'dns', isObj, 'an object') ?? {};
  const prev = c.prevResult === undefined || c.prevResult === null ? undefined : parseResult(c.prevResult);
  return {
    name: c.name as string,
    bridge: optional(c, 'bridge', isLinkName, 'an interface name (1-15 chars)') ?? DEFAULTS.bridge,
    mtu,
    hairpinMode: optional(c, 'hairpinMode', isBool, 'a boolean') ?? true,
    ipMasq,
    clusterCIDR,
    podCIDR: podCIDR === undefined ? undefined : checkPodCidr(podCIDR, 'podCIDR'),
    podCIDRFile: optional(c, 'podCIDRFile', isAbs, 'an absolute path') ?? DEFAULTS.podCIDRFile,
    dataDir: optional(c, 'dataDir', isAbs, 'an absolute path') ?? DEFAULTS.dataDir,
    dns: dns as CniDns,
    runtimeConfig: optional(c, 'runtimeConfig', isObj, 'an object') ?? {},
    prevResult: prev,
  };
}

/**
 * The pod CIDR file the node agent writes holds the Node's spec.podCIDR (or the
 * comma-separated spec.podCIDRs; the first is used until dual-stack lands here).
 */
export function podCidrFromFile(text: string, file: string): string {
  const first = text.split(/[,\s]+/).find((s) => s !== '');
  if (!first) throw new CniError(CniCode.TryAgainLater, `pod CIDR file ${file} is empty`);
  return checkPodCidr(first, file);
}
