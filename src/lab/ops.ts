// The everyday lab commands over a running lab: status, exec, logs, kubeconfig.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { runInteractive, runsArgv, signalPid, spawnDetached, terminate } from '../kernel/spawn-in-netns.js';
import { sandboxNetnsName } from '../kubelet/container-spec.js';
import { Rest } from '../kubelet/rest.js';
import { labPaths } from './components.js';
import { labNamespaces } from './network.js';
import { findNode, type LabPlan } from './plan.js';
import { readLabState, writeLabState, type LabProcess, type LabState } from './state.js';

export function openLab(name: string, stateRoot?: string): { plan: LabPlan; state: LabState } {
  const lab = readLabState(name, stateRoot);
  if (!lab) throw new Error(`no lab named ${name} (hawser lab up --name ${name})`);
  return lab;
}

export function labApi(plan: LabPlan): Rest {
  return Rest.fromFile(labPaths(plan).hostKubeconfig);
}

export function processHealthy(p: LabProcess): boolean {
  return runsArgv(p.pid, p.argv);
}

/** Fixed-width columns, like kubectl's tables. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}

interface Obj { metadata: { name: string; namespace?: string; uid?: string }; spec?: Record<string, unknown>; status?: Record<string, unknown> }

export async function labStatus(name: string, stateRoot?: string): Promise<string> {
  const { plan, state } = openLab(name, stateRoot);
  const out: string[] = [];
  out.push(`lab ${plan.name}: ${plan.nodes.length} nodes, routing ${plan.routing}, storage ${plan.storage}, CNI ${state.cni}, up since ${state.createdAt}`);
  out.push(`kubeconfig: ${labPaths(plan).hostKubeconfig}`);
  out.push('', table([['PROCESS', 'NODE', 'PID', 'NETNS', 'HEALTH'],
    ...state.processes.map((p) => [p.component, p.node ?? '-', String(p.pid), p.netns ?? '(root)', processHealthy(p) ? 'running' : 'DEAD'])]));
  out.push('', `namespaces: ${(await labNamespaces(plan.name)).length} (${plan.prefix}*)`);
  const api = labApi(plan);
  try {
    const nodes = (await api.get<{ items: Obj[] }>('/api/v1/nodes')).items;
    out.push('', table([['NODE', 'READY', 'INTERNAL-IP', 'POD-CIDR'], ...nodes.map((n) => {
      const st = n.status as { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] } | undefined;
      return [n.metadata.name, st?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
        st?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', String(n.spec?.podCIDR ?? '')];
    })]));
    const pods = (await api.get<{ items: Obj[] }>('/api/v1/pods')).items;
    out.push('', table([['NAMESPACE', 'POD', 'PHASE', 'IP', 'NODE'], ...pods.map((p) => [p.metadata.namespace ?? '', p.metadata.name,
      String(p.status?.phase ?? ''), String(p.status?.podIP ?? ''), String(p.spec?.nodeName ?? '')])]));
    const svcs = (await api.get<{ items: Obj[] }>('/api/v1/services')).items;
    out.push('', table([['NAMESPACE', 'SERVICE', 'TYPE', 'CLUSTER-IP', 'PORTS'], ...svcs.map((s) => [s.metadata.namespace ?? '', s.metadata.name,
      String(s.spec?.type ?? ''), String(s.spec?.clusterIP ?? ''),
      ((s.spec?.ports ?? []) as { port: number; protocol?: string; nodePort?: number }[])
        .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',')])]));
  } catch (err) {
    out.push('', `apiserver not reachable: ${(err as Error).message}`);
  }
  return out.join('\n');
}

/** The namespace a target names: client, cp/control-plane, a node, or a pod. */
export async function resolveTarget(plan: LabPlan, target: string, namespace = 'default'): Promise<{ netns: string; what: string }> {
  if (target === 'client' || target === 'ext') return { netns: plan.client.netns, what: `client ${plan.client.ip}` };
  if (target === 'cp' || target === 'control-plane') return { netns: plan.controlPlane.netns, what: `control plane ${plan.controlPlane.ip}` };
  if (target === 'underlay') return { netns: plan.underlay.netns, what: 'underlay switch' };
  const node = findNode(plan, target);
  if (node) return { netns: node.netns, what: `${node.nodeName} ${node.ip}` };
  const pod = await labApi(plan).get<Obj>(`/api/v1/namespaces/${namespace}/pods/${target.replace(/^pod\//, '')}`);
  if (!pod.metadata.uid) throw new Error(`pod ${namespace}/${target} has no uid`);
  return { netns: sandboxNetnsName(plan.podNetnsPrefix, pod.metadata.uid), what: `pod ${namespace}/${pod.metadata.name} ${String(pod.status?.podIP ?? '')}` };
}

export async function labExec(name: string, target: string, namespace: string | undefined, argv: string[], stateRoot?: string): Promise<number> {
  const { plan } = openLab(name, stateRoot);
  const { netns } = await resolveTarget(plan, target, namespace);
  return runInteractive(netns, argv.length ? argv : ['/bin/sh']);
}

/** Log files of a component (all nodes' unless one is named). */
export function labLogFiles(name: string, component: string, node?: string, stateRoot?: string): string[] {
  const { plan, state } = openLab(name, stateRoot);
  const nodeName = node ? findNode(plan, node)?.nodeName ?? node : undefined;
  const files = state.processes.filter((p) => p.component === component && (nodeName === undefined || p.node === nodeName)).map((p) => p.logFile);
  if (files.length === 0) {
    const known = [...new Set(state.processes.map((p) => p.component))].join(', ');
    throw new Error(`no component ${component}${node ? ` on ${node}` : ''} (components: ${known})`);
  }
  return files.filter(existsSync);
}

/** A pod's container logs (`pod/<name>`): the kubelet keeps one file per container. */
export async function podLogFiles(name: string, pod: string, namespace = 'default', container?: string, stateRoot?: string): Promise<string[]> {
  const { plan } = openLab(name, stateRoot);
  const p = await labApi(plan).get<Obj>(`/api/v1/namespaces/${namespace}/pods/${pod}`);
  const node = plan.nodes.find((n) => n.nodeName === p.spec?.nodeName);
  if (!node) throw new Error(`pod ${namespace}/${pod} is not on a node of lab ${name}`);
  const dir = `${node.stateDir}/kubelet/pods/${p.metadata.uid}`;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log') && (!container || f === `${container}.log`)).map((f) => `${dir}/${f}`) : [];
  if (files.length === 0) throw new Error(`no logs yet for pod ${namespace}/${pod}${container ? ` container ${container}` : ''}`);
  return files;
}

export function readLogs(files: string[]): string {
  return files.map((f) => (files.length > 1 ? `==> ${f} <==\n` : '') + readFileSync(f, 'utf8')).join('\n');
}

/**
 * Start a lab process again with its recorded argv (after a crash, or to test adoption):
 * SIGKILL first when it still runs, as a crash would.
 */
export async function labRestart(name: string, component: string, node?: string, stateRoot?: string): Promise<LabProcess[]> {
  const { plan, state } = openLab(name, stateRoot);
  const nodeName = node ? findNode(plan, node)?.nodeName ?? node : undefined;
  const targets = state.processes.filter((p) => p.component === component && (nodeName === undefined || p.node === nodeName));
  if (targets.length === 0) throw new Error(`no component ${component}${node ? ` on ${node}` : ''}`);
  for (const p of targets) {
    if (runsArgv(p.pid, p.argv)) {
      signalPid(p.pid, 'SIGKILL');
      await terminate([p.pid], 0);
    }
    const started = await spawnDetached({ netns: p.netns, argv: p.argv, logFile: p.logFile, env: { ...process.env, HAWSER_LAB: plan.name } });
    p.pid = started.pid;
  }
  writeLabState(plan, state);
  return targets;
}
