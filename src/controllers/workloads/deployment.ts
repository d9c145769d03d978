// Deployment → ReplicaSets (pkg/controller/deployment): the ReplicaSet whose template
// equals the Deployment's is "new" (created as `<deploy>-<hash>` with the
// pod-template-hash label in selector and template); the others are "old". RollingUpdate
// grows the new one within maxSurge and shrinks old ones only as far as maxUnavailable
// allows given *available* pods — so progress is gated on readiness. Recreate scales the
// old ones to zero first. Revisions live in annotations so `kubectl rollout history|undo`
// work (undo is client-side: kubectl copies an old ReplicaSet's template back).
import { QueueController, nsName, splitKey } from '../runtime/controller.js';
import type { Condition, Deployment, Pod, ReplicaSet } from '../types.js';
import { controllerOf, isActive, ownerRef } from './replicaset.js';
import {
  DESIRED_ANNOTATION, HASH_LABEL, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, fenceposts, newReplicaCount,
  oldReplicaCounts, revisionOf, sameTemplate, templateHash,
} from './rollout.js';
import { setCondition } from '../loadbalancer/plan.js';
import { nowRfc3339 } from '../../apiserver/rest.js';
import { isApiError } from '../../apiserver/errors.js';

export class DeploymentController extends QueueController {
  readonly name = 'deployment';

  register(): void {
    const { informers } = this.ctx;
    informers.cache('apps/deployments').onChange((prev, cur) => this.enqueue(nsName((cur ?? prev)!)));
    informers.cache('apps/replicasets').onChange((prev, cur) => {
      for (const rs of [prev, cur]) {
        const ref = rs && controllerOf(rs);
        if (ref?.kind === 'Deployment') this.enqueue(`${rs!.metadata.namespace}/${ref.name}`);
      }
    });
  }

  protected initialKeys(): string[] {
    return this.ctx.informers.cache('apps/deployments').list().map(nsName);
  }

  private owned(d: Deployment): ReplicaSet[] {
    return (this.ctx.informers.cache('apps/replicasets').inNamespace(d.metadata.namespace!) as unknown as ReplicaSet[])
      .filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const d = this.ctx.informers.cache('apps/deployments').get(ns, name) as unknown as Deployment | undefined;
    if (!d || d.metadata.deletionTimestamp) return;
    let all = this.owned(d);
    let newRS = all.find((rs) => sameTemplate(rs.spec.template, d.spec.template));
    const old = all.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...old.map(revisionOf));
    if (d.spec.paused) {
      await this.syncStatus(d, all, newRS);
      return;
    }
    if (!newRS) {
      newRS = await this.createNewRS(d, all, maxRevision + 1);
      all = [...all, newRS];
    } else if (revisionOf(newRS) <= maxRevision) {
      // A rollback (or re-apply of an older template) makes the old RS new again: it takes the next revision.
      newRS = await this.annotate(newRS, d, maxRevision + 1);
    }
    const isRecreate = d.spec.strategy?.type === 'Recreate';
    if (isRecreate) {
      const oldPods = this.podsOf(old).length;
      for (const rs of old) if ((rs.spec.replicas ?? 0) > 0) await this.scale(rs, 0, d);
      if (oldPods === 0 && (newRS.spec.replicas ?? 0) !== (d.spec.replicas ?? 1)) await this.scale(newRS, d.spec.replicas ?? 1, d);
    } else {
      const want = newReplicaCount(d, all, newRS);
      if (want !== (newRS.spec.replicas ?? 0)) {
        newRS = await this.scale(newRS, want, d);
        all = all.map((rs) => (rs.metadata.uid === newRS!.metadata.uid ? newRS! : rs));
      }
      // A replica count lowered below the new RS's: shrink it directly (proportional scaling upstream).
      if ((newRS.spec.replicas ?? 0) > (d.spec.replicas ?? 1)) newRS = await this.scale(newRS, d.spec.replicas ?? 1, d);
      for (const [rsName, n] of oldReplicaCounts(d, all, newRS, old)) {
        const rs = old.find((x) => x.metadata.name === rsName)!;
        await this.scale(rs, n, d);
      }
    }
    await this.cleanup(d);
    await this.syncStatus(d, this.owned(d), this.owned(d).find((rs) => rs.metadata.uid === newRS!.metadata.uid));
  }

  private podsOf(rss: ReplicaSet[]): Pod[] {
    const uids = new Set(rss.map((r) => r.metadata.uid));
    return rss.length === 0 ? [] : (this.ctx.informers.cache('pods').inNamespace(rss[0]!.metadata.namespace!) as unknown as Pod[])
      .filter((p) => uids.has(controllerOf(p)?.uid ?? '') && isActive(p));
  }

  private async createNewRS(d: Deployment, all: ReplicaSet[], revision: number): Promise<ReplicaSet> {
    const involved = { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
    for (let collision = 0; ; collision++) {
      const hash = templateHash(d.spec.template, collision);
      const tpl = structuredClone(d.spec.template);
      tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
      const selector = structuredClone(d.spec.selector);
      selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
      const isRecreate = d.spec.strategy?.type === 'Recreate';
      const initial = isRecreate ? 0 : Math.min(d.spec.replicas ?? 1, Math.max(0, (d.spec.replicas ?? 1) + fenceposts(d).maxSurge - all.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0)));
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`, namespace: d.metadata.namespace,
          labels: tpl.metadata.labels,
          annotations: { [REVISION_ANNOTATION]: String(revision), [DESIRED_ANNOTATION]: String(d.spec.replicas ?? 1), [MAX_REPLICAS_ANNOTATION]: String((d.spec.replicas ?? 1) + fenceposts(d).maxSurge) },
          ownerReferences: [ownerRef('Deployment', 'apps/v1', d)],
        },
        spec: { replicas: initial, selector, template: tpl, ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
      };
      try {
        const created = await this.ctx.client.create('apps/replicasets', rs);
        await this.ctx.events.record(involved, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${initial}`);
        return created;
      } catch (e) {
        // A namesake with another template (hash collision, or one we do not own): next
        // collision count, as upstream's status.collisionCount does.
        if (!(isApiError(e) && e.reason === 'AlreadyExists') || collision > 5) throw e;
        const existing = this.ctx.informers.cache('apps/replicasets').get(d.metadata.namespace, rs.metadata.name!) as unknown as ReplicaSet | undefined;
        if (existing && controllerOf(existing)?.uid === d.metadata.uid && sameTemplate(existing.spec.template, d.spec.template)) return existing;
      }
    }
  }

  private async annotate(rs: ReplicaSet, d: Deployment, revision: number): Promise<ReplicaSet> {
    const next = structuredClone(rs);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(revision), [DESIRED_ANNOTATION]: String(d.spec.replicas ?? 1) };
    return this.ctx.client.update('apps/replicasets', next);
  }

  private async scale(rs: ReplicaSet, replicas: number, d: Deployment): Promise<ReplicaSet> {
    const from = rs.spec.replicas ?? 0;
    if (from === replicas) return rs;
    const next = structuredClone(rs);
    next.spec.replicas = replicas;
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [DESIRED_ANNOTATION]: String(d.spec.replicas ?? 1), [MAX_REPLICAS_ANNOTATION]: String((d.spec.replicas ?? 1) + fenceposts(d).maxSurge) };
    const stored = await this.ctx.client.update('apps/replicasets', next);
    await this.ctx.events.record({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`);
    return stored;
  }

  /** revisionHistoryLimit: old ReplicaSets at zero replicas beyond the limit are deleted, oldest first. */
  private async cleanup(d: Deployment): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const all = this.owned(d);
    const newest = Math.max(0, ...all.map(revisionOf));
    const idle = all.filter((rs) => revisionOf(rs) !== newest && (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) await this.ctx.client.delete('apps/replicasets', rs);
  }

  private async syncStatus(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const sum = (f: (rs: ReplicaSet) => number) => all.reduce((n, rs) => n + f(rs), 0);
    const replicas = d.spec.replicas ?? 1;
    const availableReplicas = sum((rs) => rs.status?.availableReplicas ?? 0);
    const status = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: sum((rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas,
      unavailableReplicas: Math.max(0, sum((rs) => rs.spec.replicas ?? 0) - availableReplicas),
    };
    const now = nowRfc3339(this.ctx.now());
    const { maxUnavailable } = fenceposts(d);
    let conds: Condition[] = d.status?.conditions ?? [];
    const isAvailable = availableReplicas >= replicas - (d.spec.strategy?.type === 'Recreate' ? 0 : maxUnavailable);
    conds = setCondition(conds, isAvailable
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, now);
    const complete = newRS && status.updatedReplicas === replicas && status.replicas === replicas && availableReplicas >= replicas;
    const progressing: Omit<Condition, 'lastTransitionTime'> = complete
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS!.metadata.name}" has successfully progressed.` }
      : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS?.metadata.name ?? ''}" is progressing.` };
    conds = setCondition(conds, progressing, now).map((c) => (c.type === 'Progressing' || c.type === 'Available' ? { ...c, lastUpdateTime: c.lastTransitionTime } : c));
    const cur = d.status ?? {};
    const same = (Object.keys(status) as Array<keyof typeof status>).every((k) => (cur[k] ?? 0) === status[k])
      && JSON.stringify((cur.conditions ?? []).map((c) => [c.type, c.status, c.reason])) === JSON.stringify(conds.map((c) => [c.type, c.status, c.reason]));
    if (same) return;
    const fresh = this.ctx.informers.cache('apps/deployments').get(d.metadata.namespace, d.metadata.name!) as unknown as Deployment;
    const revision = newRS ? String(revisionOf(newRS)) : undefined;
    const next = structuredClone(fresh);
    next.status = { ...(fresh.status ?? {}), ...status, conditions: conds };
    await this.ctx.client.updateStatus('apps/deployments', next);
    if (revision && fresh.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
      const again = structuredClone(this.ctx.informers.cache('apps/deployments').get(d.metadata.namespace, d.metadata.name!) as unknown as Deployment);
      again.metadata.annotations = { ...(again.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
      await this.ctx.client.update('apps/deployments', again);
    }
  }
}
