// What a container becomes on this kubelet, as pure data: its argv, its environment and
// the ports the built-in echo image serves. There are no images: `hawser/echo` is built
// in, and any other image runs the container's command + args as a host program.
import { createHash } from 'node:crypto';
import type { V1Container, V1Pod, V1Service } from '@kubernetes/client-node';

export const ECHO_IMAGE = 'hawser/echo';
export const DEFAULT_ECHO_PORT = 8080;

/** Containers get this PATH unless the spec sets one, as an image's default would. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function isEchoImage(image: string | undefined): boolean {
  return (image ?? '').replace(/^docker\.io\//, '').split(/[:@]/)[0] === ECHO_IMAGE;
}

/** 64 hex chars, like a container runtime's sandbox ID; stable for a pod UID. */
export function sandboxId(uid: string): string {
  return createHash('sha256').update(`sandbox/${uid}`).digest('hex');
}

export function containerId(uid: string, container: string, restart: number): string {
  return createHash('sha256').update(`container/${uid}/${container}/${restart}`).digest('hex');
}

/** The sandbox's network namespace name: the lab prefix makes it sweepable by name. */
export function sandboxNetnsName(prefix: string, uid: string): string {
  return `${prefix}${sandboxId(uid).slice(0, 10)}`;
}

/** `8080/TCP,53/UDP` from the declared ports (TCP 8080 when none). */
export function echoPorts(c: V1Container): string {
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${(p.protocol ?? 'TCP').toUpperCase()}`);
  return (ports.length ? [...new Set(ports)] : [`${DEFAULT_ECHO_PORT}/TCP`]).join(',');
}

export type ArgvResult = { argv: string[] } | { error: string };

/**
 * The process argv. `hawserArgv` builds an argv running another hawser subcommand (with
 * this node binary), passed in so this stays pure.
 */
export function containerArgv(pod: V1Pod, c: V1Container, hawserArgv: (...a: string[]) => string[]): ArgvResult {
  if (isEchoImage(c.image)) {
    return { argv: hawserArgv('echo-server', '--ports', echoPorts(c), '--name', pod.metadata?.name ?? '') };
  }
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  if (argv.length === 0) {
    return { error: `image ${c.image ?? '(none)'} is not built in (only ${ECHO_IMAGE}); give the container a command` };
  }
  return { argv };
}

/** Kubernetes' service env var name: upper case, dashes to underscores. */
function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/**
 * The Docker-links-style variables the kubelet injects for every Service of the pod's
 * namespace (and the master service `kubernetes` from default) that has a ClusterIP
 * (pkg/kubelet/envvars/envvars.go).
 */
export function serviceEnv(services: V1Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || !s.metadata?.name) continue;
    const n = envName(s.metadata.name);
    const ports = s.spec?.ports ?? [];
    env[`${n}_SERVICE_HOST`] = ip;
    const first = ports[0];
    if (!first) continue;
    env[`${n}_SERVICE_PORT`] = String(first.port);
    for (const p of ports) if (p.name) env[`${n}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
    const host = ip.includes(':') ? `[${ip}]` : ip;
    env[`${n}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${host}:${first.port}`;
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${n}_PORT_${p.port}_${proto}`;
      env[prefix] = `${proto.toLowerCase()}://${host}:${p.port}`;
      env[`${prefix}_PROTO`] = proto.toLowerCase();
      env[`${prefix}_PORT`] = String(p.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

/** fieldRef paths the downward API allows in env, resolved from the pod. */
function fieldRef(pod: V1Pod, path: string, podIP: string, nodeIP: string): string | undefined {
  switch (path) {
    case 'metadata.name': return pod.metadata?.name;
    case 'metadata.namespace': return pod.metadata?.namespace;
    case 'metadata.uid': return pod.metadata?.uid;
    case 'spec.nodeName': return pod.spec?.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName;
    case 'status.podIP': return podIP;
    case 'status.podIPs': return podIP;
    case 'status.hostIP': return nodeIP;
    case 'status.hostIPs': return nodeIP;
    default: {
      const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]!];
      return undefined;
    }
  }
}

/**
 * The container's environment: defaults, service variables, then the spec's own env
 * (later entries win, and `$(VAR)` refers to earlier ones, as in Kubernetes).
 */
export function containerEnv(pod: V1Pod, c: V1Container, ctx: { podIP: string; nodeIP: string; services: V1Service[] }): Record<string, string> {
  const env: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOSTNAME: pod.metadata?.name ?? '',
    POD_NAME: pod.metadata?.name ?? '',
    POD_NAMESPACE: pod.metadata?.namespace ?? '',
    POD_IP: ctx.podIP,
    NODE_NAME: pod.spec?.nodeName ?? '',
    ...serviceEnv(ctx.services),
  };
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v: string) => env[v] ?? all);
    } else if (e.valueFrom?.fieldRef) {
      const v = fieldRef(pod, e.valueFrom.fieldRef.fieldPath, ctx.podIP, ctx.nodeIP);
      if (v !== undefined) env[e.name] = v;
    } else {
      env[e.name] = '';
    }
  }
  return env;
}

/** A container port by name or number (probes' named ports). */
export function resolvePort(c: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}
