// Routes in a namespace's routing tables. `routeArgs` is pure so the argv it builds is
// unit-tested; the rest runs it.
import { isNotFound } from './errors.js';
import { checkLinkName, ipJson, ipRun, isV6, type NsOptions } from './ip.js';

export interface RouteSpec {
  /** 'default' or a CIDR (a bare address means /32 or /128). */
  dst: string;
  via?: string;
  dev?: string;
  /** Preferred source address for packets this host originates on this route. */
  src?: string;
  /**
   * Treat `via` as directly reachable on `dev` even if no address of ours covers it: how
   * a /32 pod address routes to a gateway outside its (absent) subnet.
   */
  onlink?: boolean;
  scope?: 'global' | 'link' | 'host' | 'site' | 'nowhere';
  table?: number | 'main' | 'local';
  metric?: number;
  /** Address family, needed only for 'default' with no `via` (otherwise inferred). */
  family?: 4 | 6;
}

export interface RouteInfo {
  dst: string;
  via: string | undefined;
  dev: string | undefined;
  src: string | undefined;
  scope: string | undefined;
  metric: number | undefined;
  protocol: string | undefined;
  flags: string[];
  family: 4 | 6;
}

function familyOf(spec: RouteSpec): 4 | 6 {
  if (spec.family) return spec.family;
  if (spec.dst !== 'default') return isV6(spec.dst) ? 6 : 4;
  return spec.via !== undefined && isV6(spec.via) ? 6 : 4;
}

/** argv after `ip` for `ip route <verb> …`. */
export function routeArgs(verb: 'add' | 'replace' | 'del', spec: RouteSpec): string[] {
  const args = [`-${familyOf(spec)}`, 'route', verb, spec.dst];
  if (spec.via !== undefined) args.push('via', spec.via);
  if (spec.dev !== undefined) {
    checkLinkName(spec.dev);
    args.push('dev', spec.dev);
  }
  if (spec.src !== undefined) args.push('src', spec.src);
  if (spec.scope !== undefined) args.push('scope', spec.scope);
  if (spec.table !== undefined) args.push('table', String(spec.table));
  if (spec.metric !== undefined) args.push('metric', String(spec.metric));
  if (spec.onlink) args.push('onlink');
  return args;
}

export async function addRoute(spec: RouteSpec, opts: NsOptions = {}): Promise<void> {
  await ipRun(routeArgs('add', spec), opts);
}

/** Add or overwrite the route for spec.dst (same table/metric/tos key). */
export async function replaceRoute(spec: RouteSpec, opts: NsOptions = {}): Promise<void> {
  await ipRun(routeArgs('replace', spec), opts);
}

/** Delete a route; succeeds when there is no such route. */
export async function deleteRoute(spec: RouteSpec, opts: NsOptions = {}): Promise<void> {
  try {
    await ipRun(routeArgs('del', spec), opts);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  scope?: string;
  metric?: number;
  protocol?: string;
  flags?: string[];
}

export interface ListRoutesOptions extends NsOptions {
  dev?: string;
  table?: number | 'main' | 'local' | 'all';
  /** Unset: both families. */
  family?: 4 | 6;
}

export async function listRoutes(opts: ListRoutesOptions = {}): Promise<RouteInfo[]> {
  const families: (4 | 6)[] = opts.family ? [opts.family] : [4, 6];
  const lists = await Promise.all(families.map(async (family) => {
    const args = [`-${family}`, 'route', 'show'];
    if (opts.table !== undefined) args.push('table', String(opts.table));
    if (opts.dev !== undefined) {
      checkLinkName(opts.dev);
      args.push('dev', opts.dev);
    }
    return (await ipJson<IpRouteJson>(args, opts)).map((r): RouteInfo => ({
      dst: r.dst,
      via: r.gateway,
      // With `dev X` in the query iproute2 leaves dev out of each answer.
      dev: r.dev ?? opts.dev,
      src: r.prefsrc,
      scope: r.scope,
      metric: r.metric,
      protocol: r.protocol,
      flags: r.flags ?? [],
      family,
    }));
  }));
  return lists.flat();
}
