// DaemonSet → one pod per eligible Node (pkg/controller/daemon). Eligibility is the
// scheduler's filters for that one node, with the tolerations upstream adds to every
// daemon pod (not-ready/unreachable NoExecute, unschedulable NoSchedule …), so daemons
// run on cordoned and not-ready nodes as they do upstream. Pods are bound at creation
// (spec.nodeName), as before ScheduleDaemonSetPods; a template change replaces pods at
// most maxUnavailable at a time, a replaced pod's successor counting as unavailable until
// Ready. The template's revision is the `controller-revision-hash` label (no
// ControllerRevision objects yet).
import { QueueController, nsName, splitKey } from '../runtime/controller.js';
import type { Node, Pod, PodTemplate, Taint, Toleration, LabelSelector, KObject } from '../types.js';
import { controllerOf, isActive, ownerRef } from './replicaset.js';
import { templateHash, scaled } from './rollout.js';
import { isPodReady } from '../endpoints/pods.js';
import { tolerates } from '../scheduler/pick.js';

export const REVISION_LABEL = 'controller-revision-hash';

interface DaemonSet extends KObject {
  spec: { selector: LabelSelector; template: PodTemplate; updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } } };
  status?: Record<string, unknown>;
}

const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

export function daemonTolerations(tpl: PodTemplate): Toleration[] {
  const own = tpl.spec.tolerations ?? [];
  return [...own, ...DAEMON_TOLERATIONS.filter((t) => !own.some((o) => o.key === t.key && o.effect === t.effect))];
}

/** Whether a daemon pod belongs on this node (nodeSelector + taints, unschedulable tolerated). */
export function eligible(ds: DaemonSet, node: Node): boolean {
  const sel = ds.spec.template.spec.nodeSelector ?? {};
  if (!Object.entries(sel).every(([k, v]) => node.metadata.labels?.[k] === v)) return false;
  const tol = daemonTolerations(ds.spec.template);
  const taints: Taint[] = node.spec?.taints ?? [];
  return taints.every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerates(tol, t));
}

export class DaemonSetController extends QueueController {
  readonly name = 'daemonset';

  register(): void {
    const { informers } = this.ctx;
    informers.cache('apps/daemonsets').onChange((prev, cur) => this.enqueue(nsName((cur ?? prev)!)));
    informers.cache('pods').onChange((prev, cur) => {
      for (const p of [prev, cur]) {
        const ref = p && controllerOf(p);
        if (ref?.kind === 'DaemonSet') this.enqueue(`${p!.metadata.namespace}/${ref.name}`);
      }
    });
    informers.cache('nodes').onChange(() => {
      for (const k of this.initialKeys()) this.enqueue(k);
    });
  }

  protected initialKeys(): string[] {
    return this.ctx.informers.cache('apps/daemonsets').list().map(nsName);
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const ds = this.ctx.informers.cache('apps/daemonsets').get(ns, name) as unknown as DaemonSet | undefined;
    if (!ds || ds.metadata.deletionTimestamp) return;
    const hash = templateHash(ds.spec.template);
    const nodes = this.ctx.informers.cache('nodes').list() as unknown as Node[];
    const pods = (this.ctx.informers.cache('pods').inNamespace(ns!) as unknown as Pod[])
      .filter((p) => controllerOf(p)?.uid === ds.metadata.uid && isActive(p));
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = p.spec?.nodeName ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const involved = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
    const wanted = new Set(nodes.filter((n) => eligible(ds, n)).map((n) => n.metadata.name!));
    // Misscheduled or duplicate pods go.
    for (const [node, list] of byNode) {
      const extra = wanted.has(node) ? list.slice(1) : list;
      for (const p of extra) await this.ctx.client.delete('pods', p);
    }
    // Missing ones are created, bound to their node.
    for (const node of wanted) {
      if ((byNode.get(node) ?? []).length > 0) continue;
      const tpl = structuredClone(ds.spec.template);
      const pod: Pod = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          generateName: `${ds.metadata.name}-`, namespace: ns,
          labels: { ...(tpl.metadata?.labels ?? {}), [REVISION_LABEL]: hash },
          ownerReferences: [ownerRef('DaemonSet', 'apps/v1', ds)],
        },
        spec: { ...tpl.spec, nodeName: node, tolerations: daemonTolerations(tpl) },
      };
      const created = await this.ctx.client.create('pods', pod);
      await this.ctx.events.record(involved, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    }
    // Rolling update: old-revision pods replaced, at most maxUnavailable unavailable at once.
    const current = pods.filter((p) => wanted.has(p.spec?.nodeName ?? ''));
    const maxUnavailable = Math.max(1, scaled(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, wanted.size, false));
    if (ds.spec.updateStrategy?.type !== 'OnDelete') {
      let unavailable = wanted.size - current.filter(isPodReady).length;
      for (const p of current) {
        if (p.metadata.labels?.[REVISION_LABEL] === hash) continue;
        if (unavailable >= maxUnavailable && isPodReady(p)) break;
        await this.ctx.client.delete('pods', p);
        if (isPodReady(p)) unavailable++;
      }
    }
    await this.updateStatus(ds, wanted, current, hash);
  }

  private async updateStatus(ds: DaemonSet, wanted: Set<string>, pods: Pod[], hash: string): Promise<void> {
    const ready = pods.filter(isPodReady).length;
    const status = {
      desiredNumberScheduled: wanted.size,
      currentNumberScheduled: pods.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      numberUnavailable: Math.max(0, wanted.size - ready),
      updatedNumberScheduled: pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === hash).length,
      observedGeneration: ds.metadata.generation ?? 1,
    };
    const cur = ds.status ?? {};
    if ((Object.keys(status) as Array<keyof typeof status>).every((k) => (cur[k] ?? 0) === status[k])) return;
    const fresh = this.ctx.informers.cache('apps/daemonsets').get(ds.metadata.namespace, ds.metadata.name!) as unknown as DaemonSet;
    await this.ctx.client.updateStatus('apps/daemonsets', { ...structuredClone(fresh), status: { ...(fresh.status ?? {}), ...status } });
  }
}
