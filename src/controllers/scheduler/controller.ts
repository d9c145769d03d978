// The scheduler loop: pending pods (no nodeName, our schedulerName, not being deleted)
// are bound one at a time through pods/binding; a pod that fits nowhere gets
// PodScheduled=False/Unschedulable and a FailedScheduling Event, and is retried when
// nodes change (upstream moves such pods back to the active queue on node events).
import { QueueController, nsName, splitKey } from '../runtime/controller.js';
import type { Node, Pod } from '../types.js';
import { pickNode } from './pick.js';
import { setCondition } from '../loadbalancer/plan.js';
import { nowRfc3339 } from '../../apiserver/rest.js';
import { isApiError } from '../../apiserver/errors.js';

export const SCHEDULER_NAME = 'default-scheduler';

const isPending = (p: Pod) =>
  !p.spec?.nodeName && !p.metadata.deletionTimestamp && (p.spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME
  && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export class SchedulerController extends QueueController {
  readonly name = 'scheduler';
  private unschedulable = new Set<string>();
  /** Pods per node, kept from the pod cache (bound and terminating pods count). */
  private perNode = new Map<string, number>();

  register(): void {
    this.ctx.informers.cache('pods').onChange((prev, cur) => {
      const p = prev as Pod | undefined;
      const c = cur as Pod | undefined;
      if (p?.spec?.nodeName) this.perNode.set(p.spec.nodeName, (this.perNode.get(p.spec.nodeName) ?? 1) - 1);
      if (c?.spec?.nodeName) this.perNode.set(c.spec.nodeName, (this.perNode.get(c.spec.nodeName) ?? 0) + 1);
      if (c && isPending(c)) this.enqueue(nsName(c));
      if (!c && p) this.unschedulable.delete(nsName(p));
    });
    this.ctx.informers.cache('nodes').onChange(() => {
      for (const k of this.unschedulable) this.enqueue(k);
    });
  }

  protected initialKeys(): string[] {
    return (this.ctx.informers.cache('pods').list() as unknown as Pod[]).filter(isPending).map(nsName);
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.ctx.informers.cache('pods').get(ns, name) as unknown as Pod | undefined;
    if (!pod || !isPending(pod)) {
      this.unschedulable.delete(key);
      return;
    }
    const nodes = this.ctx.informers.cache('nodes').list() as unknown as Node[];
    const r = pickNode(pod, nodes, this.perNode);
    const involved = { ...pod, apiVersion: 'v1', kind: 'Pod' };
    if (r.node === undefined) {
      this.unschedulable.add(key);
      const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (cur?.status === 'False' && cur.message === r.message) return;
      const next: Pod = structuredClone(pod);
      next.status = { ...(next.status ?? {}), conditions: setCondition(next.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: r.message, lastProbeTime: null }, nowRfc3339(this.ctx.now())) };
      await this.ctx.client.updateStatus('pods', next);
      await this.ctx.events.record(involved, 'Warning', 'FailedScheduling', r.message);
      return;
    }
    this.unschedulable.delete(key);
    try {
      await this.ctx.client.bind(pod, r.node);
    } catch (e) {
      // Bound meanwhile (another scheduler, or a stale cache): nothing left to do.
      if (isApiError(e) && (e.reason === 'Conflict' || e.reason === 'NotFound')) return;
      throw e;
    }
    await this.ctx.events.record(involved, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${r.node}`);
  }
}
