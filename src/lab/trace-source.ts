// Where `hawser trace --lab NAME` finds the lab: its host kubeconfig, each node's agent
// trace-state socket, the external client's address, and the namespaces the live mode
// sends from and listens in.
import { CLIENT_IP, type LabPlan } from './plan.js';
import { nodePaths } from './components.js';
import { labApi, openLab, resolveTarget } from './ops.js';
import type { Rest } from '../kubelet/rest.js';
import { listRoutes } from '../kernel/link/index.js';

export interface LabTraceSource {
  plan: LabPlan;
  api: Rest;
  /** Kubernetes node name → the agent's trace-state socket. */
  sockets: Map<string, string>;
  externalIP: string;
  /** Kubernetes node name → its network namespace. */
  nodeNetns: Map<string, string>;
  clientNetns: string;
  /** The external client's routes (an ExternalIP a test or a person routed to a node). */
  externalRoutes(): Promise<Array<{ dst: string; via?: string }>>;
  /** The network namespace of a source word (pod ns/name, node NAME, external). */
  netnsOf(source: { kind: 'pod'; pod: { namespace: string; name: string } } | { kind: 'node'; node: string } | { kind: 'external'; ip: string }): Promise<string>;
}

export function labTraceSource(name: string, stateRoot?: string): LabTraceSource {
  const { plan, state } = openLab(name, stateRoot);
  const cni = state.cni;
  const sockets = new Map(plan.nodes.map((n) => [n.nodeName, nodePaths(plan, n, cni).traceSocket]));
  const nodeNetns = new Map(plan.nodes.map((n) => [n.nodeName, n.netns]));
  return {
    plan, api: labApi(plan), sockets, externalIP: CLIENT_IP, nodeNetns, clientNetns: plan.client.netns,
    externalRoutes: () => clientRoutes(plan),
    async netnsOf(s) {
      if (s.kind === 'external') return plan.client.netns;
      if (s.kind === 'node') return nodeNetns.get(s.node)!;
      // `pod/` so a pod named like a lab keyword (client, cp …) is still the pod.
      return (await resolveTarget(plan, `pod/${s.pod.name}`, s.pod.namespace)).netns;
    },
  };
}

export async function clientRoutes(plan: LabPlan): Promise<Array<{ dst: string; via?: string }>> {
  return (await listRoutes({ netns: plan.client.netns, family: 4 })).map((r) => ({ dst: r.dst, ...(r.via ? { via: r.via } : {}) }));
}
