// What a running lab remembers on disk (<stateDir>/lab.json): the options it was built
// with (the plan is recomputed from them), the processes it started and the local port
// of the kubeconfig forwarder. `lab down` does not need this file — it sweeps by name —
// but status, logs and exec do.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { planLab, type LabOptions, type LabPlan } from './plan.js';

export type CniMode = 'hawser' | 'reference';

export interface LabProcess {
  /** apiserver, etcd, kubelet, agent, forward-cp, forward-host */
  component: string;
  /** Node name for per-node components. */
  node?: string;
  /** Namespace it runs in; undefined = the machine's root namespace (forward-host). */
  netns?: string;
  pid: number;
  argv: string[];
  logFile: string;
}

export interface LabState {
  options: LabOptions;
  cni: CniMode;
  createdAt: string;
  hostPort?: number;
  kubeconfig?: string;
  processes: LabProcess[];
}

export function stateFile(plan: LabPlan): string {
  return `${plan.stateDir}/lab.json`;
}

export function writeLabState(plan: LabPlan, state: LabState): void {
  mkdirSync(plan.stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${stateFile(plan)}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, stateFile(plan));
}

/** The lab's state and plan, or undefined when no lab of that name was brought up. */
export function readLabState(name: string, stateRoot?: string): { plan: LabPlan; state: LabState } | undefined {
  const probe = planLab({ name, nodes: 1, stateRoot });
  const file = stateFile(probe);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
  return { plan: planLab({ ...state.options, stateRoot }), state };
}

export function findProcess(state: LabState, component: string, node?: string): LabProcess | undefined {
  return state.processes.find((p) => p.component === component && (node === undefined || p.node === node));
}
