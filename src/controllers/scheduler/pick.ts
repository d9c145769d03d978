// One scheduling decision as a pure function, with the subset of kube-scheduler's plugins
// a lab needs: NodeUnschedulable, NodeName, NodeAffinity (nodeSelector), TaintToleration
// (NoSchedule and NoExecute filter), a Ready check (upstream relies on the not-ready taint
// the node lifecycle controller adds; we check the condition directly as well), and
// spreading by the fewest pods (NodeResourcesBalancedAllocation's effect when pods
// request nothing). Ties go to the name order so results are reproducible.
import type { Node, Pod, Taint, Toleration } from '../types.js';

export type PickResult = { node: string } | { node?: undefined; message: string };

export const isNodeReady = (n: Node): boolean =>
  (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** v1helper.TolerationsTolerateTaint. */
export function tolerates(tolerations: Toleration[] | undefined, t: Taint): boolean {
  return (tolerations ?? []).some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (tol.key && tol.key !== t.key) return false;
    // An empty key with Exists tolerates every taint.
    if (!tol.key && tol.operator !== 'Exists') return false;
    if ((tol.operator ?? 'Equal') === 'Exists') return true;
    return (tol.value ?? '') === (t.value ?? '');
  });
}

export function pickNode(pod: Pod, nodes: Node[], podCount: Map<string, number>): PickResult {
  const reasons = new Map<string, number>();
  const fail = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  const fits: Node[] = [];
  for (const n of nodes) {
    const taints: Taint[] = [...(n.spec?.taints ?? [])];
    if (n.spec?.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    // Upstream's filter order: NodeUnschedulable, TaintToleration, NodeAffinity; the
    // not-ready taint stands for the Ready check.
    if (!isNodeReady(n)) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
    if (n.spec?.unschedulable && !tolerates(pod.spec?.tolerations, taints.find((t) => t.key === 'node.kubernetes.io/unschedulable')!)) {
      fail('node(s) were unschedulable');
      continue;
    }
    const bad = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && t.key !== 'node.kubernetes.io/unschedulable' && !tolerates(pod.spec?.tolerations, t));
    if (bad) {
      fail(`node(s) had untolerated taint {${bad.key}: ${bad.value ?? ''}}`);
      continue;
    }
    const sel = pod.spec?.nodeSelector ?? {};
    if (!Object.entries(sel).every(([k, v]) => n.metadata.labels?.[k] === v)) {
      fail("node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    fits.push(n);
  }
  if (fits.length === 0) {
    // The upstream FitError text kubectl users know: "0/3 nodes are available: …".
    const parts = [...reasons].map(([r, c]) => `${c} ${r}`).sort();
    const tail = parts.length ? ` ${parts.join(', ')}.` : '';
    return { message: `0/${nodes.length} nodes are available:${tail} preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.` };
  }
  fits.sort((a, b) => (podCount.get(a.metadata.name!) ?? 0) - (podCount.get(b.metadata.name!) ?? 0) || a.metadata.name!.localeCompare(b.metadata.name!));
  return { node: fits[0]!.metadata.name! };
}
