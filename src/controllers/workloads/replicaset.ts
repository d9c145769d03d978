// ReplicaSet → Pods (pkg/controller/replicaset): owned pods are the active ones whose
// controller ownerReference is this ReplicaSet; too few → create from the template
// (generateName `<rs>-`), too many → delete the least valuable first (upstream's
// ActivePods ordering: unscheduled, pending, not ready, most recently ready/created).
// Orphans matching the selector are adopted, as upstream's ControllerRefManager does.
import { requirementsFromLabelSelector, matchesLabels } from '../../k8s/labels.js';
import { QueueController, nsName, splitKey } from '../runtime/controller.js';
import type { OwnerReference, Pod, ReplicaSet } from '../types.js';
import { isPodReady } from '../endpoints/pods.js';

/** Pods created per reconcile at most: upstream's slow-start batches start at 1 and double; we cap the burst. */
const BURST = 500;

export const isActive = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export const controllerOf = (o: { metadata: { ownerReferences?: OwnerReference[] } }) =>
  (o.metadata.ownerReferences ?? []).find((r) => r.controller);

export function ownerRef(kind: string, apiVersion: string, o: { metadata: { name?: string; uid?: string } }): OwnerReference {
  return { apiVersion, kind, name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** Deletion order: the first pods returned are the first to go. */
export function rankForDeletion(pods: Pod[]): Pod[] {
  const score = (p: Pod) => [
    p.spec?.nodeName ? 1 : 0,
    p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Unknown' ? 1 : 2,
    isPodReady(p) ? 1 : 0,
  ];
  return [...pods].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i]! - sb[i]!;
    // Newer pods go first (upstream: more recently created/ready are less valuable).
    return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (b.metadata.name ?? '').localeCompare(a.metadata.name ?? '');
  });
}

export function podFromTemplate(rs: ReplicaSet): Pod {
  const tpl = structuredClone(rs.spec.template);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: tpl.metadata?.labels ?? {},
      ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
      ownerReferences: [ownerRef('ReplicaSet', 'apps/v1', rs)],
    },
    spec: tpl.spec,
  };
}

export class ReplicaSetController extends QueueController {
  readonly name = 'replicaset';

  register(): void {
    const { informers } = this.ctx;
    informers.cache('apps/replicasets').onChange((prev, cur) => this.enqueue(nsName((cur ?? prev)!)));
    informers.cache('pods').onChange((prev, cur) => {
      for (const p of [prev, cur]) {
        const ref = p && controllerOf(p);
        if (ref?.kind === 'ReplicaSet') this.enqueue(`${p!.metadata.namespace}/${ref.name}`);
      }
      // An orphan may be adopted by a matching ReplicaSet.
      if (cur && !controllerOf(cur)) {
        for (const rs of informers.cache('apps/replicasets').inNamespace(cur.metadata.namespace!)) {
          if (this.selects(rs as unknown as ReplicaSet, cur as unknown as Pod)) this.enqueue(nsName(rs));
        }
      }
    });
  }

  protected initialKeys(): string[] {
    return this.ctx.informers.cache('apps/replicasets').list().map(nsName);
  }

  private selects(rs: ReplicaSet, pod: Pod): boolean {
    try {
      const reqs = requirementsFromLabelSelector(rs.spec.selector ?? {});
      return reqs.length > 0 && matchesLabels(reqs, pod.metadata.labels);
    } catch {
      return false;
    }
  }

  /** The active pods this ReplicaSet controls, adopting matching orphans. */
  private async claimPods(rs: ReplicaSet): Promise<Pod[]> {
    const pods = this.ctx.informers.cache('pods').inNamespace(rs.metadata.namespace!) as unknown as Pod[];
    const owned: Pod[] = [];
    for (const p of pods) {
      const ref = controllerOf(p);
      if (ref) {
        if (ref.uid === rs.metadata.uid) owned.push(p);
        continue;
      }
      if (!isActive(p) || !this.selects(rs, p) || rs.metadata.deletionTimestamp) continue;
      const adopted: Pod = structuredClone(p);
      adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), ownerRef('ReplicaSet', 'apps/v1', rs)];
      try {
        // Pod metadata may change; the spec must not, and does not here.
        owned.push(await this.ctx.client.update('pods', adopted));
      } catch {
        // Changed meanwhile: the next reconcile sees it again.
      }
    }
    return owned;
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.ctx.informers.cache('apps/replicasets').get(ns, name) as unknown as ReplicaSet | undefined;
    if (!rs || rs.metadata.deletionTimestamp) return;
    const owned = await this.claimPods(rs);
    const active = owned.filter(isActive);
    const want = rs.spec.replicas ?? 1;
    const diff = want - active.length;
    const involved = { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' };
    if (diff > 0) {
      const n = Math.min(diff, BURST);
      const created = await Promise.all(Array.from({ length: n }, () => this.ctx.client.create('pods', podFromTemplate(rs))));
      for (const p of created) await this.ctx.events.record(involved, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`);
      if (diff > n) this.queue.add(key);
    } else if (diff < 0) {
      for (const p of rankForDeletion(active).slice(0, -diff)) {
        await this.ctx.client.delete('pods', p);
        await this.ctx.events.record(involved, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      }
    }
    await this.updateStatus(rs);
  }

  private async updateStatus(rs: ReplicaSet): Promise<void> {
    const pods = (this.ctx.informers.cache('pods').inNamespace(rs.metadata.namespace!) as unknown as Pod[])
      .filter((p) => controllerOf(p)?.uid === rs.metadata.uid && isActive(p));
    const tplLabels = rs.spec.template.metadata?.labels ?? {};
    const ready = pods.filter(isPodReady).length;
    const status = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => Object.entries(tplLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: ready,
      // minReadySeconds is not tracked per pod yet: available = ready.
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const cur = rs.status ?? {};
    if ((Object.keys(status) as Array<keyof typeof status>).every((k) => (cur[k] ?? 0) === status[k])) return;
    const fresh = this.ctx.informers.cache('apps/replicasets').get(rs.metadata.namespace, rs.metadata.name!) as unknown as ReplicaSet;
    await this.ctx.client.updateStatus('apps/replicasets', { ...structuredClone(fresh), status: { ...(fresh.status ?? {}), ...status } });
  }
}
