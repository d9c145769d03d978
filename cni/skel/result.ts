// Results in one internal shape (the spec 1.1 "Success" object) and conversion to and
// from each supported version's wire format. The formats differ in two ways only:
//  - 0.3.0/0.3.1/0.4.0 carry `version: "4"|"6"` in every `ips` entry; 1.0.0 removed it.
//  - 1.1.0 added interface `mtu`, `socketPath`, `pciID` and route `mtu`, `advmss`,
//    `priority`, `table`, `scope`; older readers must not see them.
import { CniCode, CniError } from './errors.js';
import { compareVersions, type CniVersion } from './version.js';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  /** Path of the netns the interface lives in; absent for host-side interfaces. */
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface CniIpConfig {
  /** address/prefix */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

const IFACE_1_1_FIELDS = ['mtu', 'socketPath', 'pciID'] as const;
const ROUTE_1_1_FIELDS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

function omit<T extends object>(o: T, keys: readonly string[]): T {
  const out = { ...o } as Record<string, unknown>;
  for (const k of keys) delete out[k];
  return out as T;
}

/** The result object as a runtime of `version` expects it on stdout. */
export function formatResult(r: CniResult, version: CniVersion): Record<string, unknown> {
  const pre11 = compareVersions(version, '1.1.0') < 0;
  const pre10 = compareVersions(version, '1.0.0') < 0;
  return {
    cniVersion: version,
    interfaces: r.interfaces.map((i) => (pre11 ? omit(i, IFACE_1_1_FIELDS) : i)),
    ips: r.ips.map((ip) => (pre10 ? { version: ip.address.includes(':') ? '6' : '4', ...ip } : ip)),
    routes: r.routes.map((rt) => (pre11 ? omit(rt, ROUTE_1_1_FIELDS) : rt)),
    dns: r.dns,
  };
}

function bad(what: string, v: unknown): CniError {
  return new CniError(CniCode.InvalidConfig, `invalid prevResult: ${what}`, JSON.stringify(v));
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const optNum = (v: unknown): v is number | undefined => v === undefined || (typeof v === 'number' && Number.isInteger(v));

/**
 * Read a prevResult of any supported version (chaining input, and CHECK's reference)
 * into the internal shape. `version` of 0.x ips entries is dropped: the address says it.
 */
export function parseResult(v: unknown): CniResult {
  if (!isObj(v)) throw bad('not an object', v);
  const list = (k: string): unknown[] => {
    const x = v[k];
    if (x === undefined || x === null) return [];
    if (!Array.isArray(x)) throw bad(`${k} is not a list`, x);
    return x;
  };
  const interfaces = list('interfaces').map((i): CniInterface => {
    if (!isObj(i) || typeof i.name !== 'string' || !optStr(i.mac) || !optStr(i.sandbox) || !optNum(i.mtu)) throw bad('interface', i);
    return i as unknown as CniInterface;
  });
  const ips = list('ips').map((ip): CniIpConfig => {
    if (!isObj(ip) || typeof ip.address !== 'string' || !optStr(ip.gateway) || !optNum(ip.interface)) throw bad('ips entry', ip);
    const { version: _version, ...rest } = ip;
    return rest as unknown as CniIpConfig;
  });
  const routes = list('routes').map((rt): CniRoute => {
    if (!isObj(rt) || typeof rt.dst !== 'string' || !optStr(rt.gw)) throw bad('route', rt);
    return rt as unknown as CniRoute;
  });
  const dns = v.dns === undefined || v.dns === null ? {} : v.dns;
  if (!isObj(dns)) throw bad('dns', dns);
  return { interfaces, ips, routes, dns: dns as CniDns };
}

/**
 * Append our result to a previous plugin's: interfaces concatenated, our ips' interface
 * indices shifted past the previous ones, routes appended, DNS kept unless ours has any.
 */
export function mergeResults(prev: CniResult | undefined, ours: CniResult): CniResult {
  if (!prev) return ours;
  const shift = prev.interfaces.length;
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [...prev.ips, ...ours.ips.map((ip) => (ip.interface === undefined ? ip : { ...ip, interface: ip.interface + shift }))],
    routes: [...prev.routes, ...ours.routes],
    dns: Object.keys(ours.dns).length > 0 ? ours.dns : prev.dns,
  };
}
