// Node lifecycle (pkg/controller/nodelifecycle): a Node whose kubelet stops renewing its
// Lease (kube-node-lease/<node>) or posting status for the grace period (40 s, upstream's
// --node-monitor-grace-period) gets every condition set to Unknown
// ("NodeStatusUnknown: Kubelet stopped posting node status."), the unreachable taint, and
// its pods' Ready condition set to False — so their endpoints become not ready.
// Staleness is measured against this process's clock at the moment a renewal was *seen*
// (upstream's probeTimestamp), never against the kubelet's clock, so skew does not matter.
import type { Controller, ControllerContext } from '../runtime/controller.js';
import { errText } from '../runtime/controller.js';
import type { Lease, Node, Pod, Taint } from '../types.js';
import { nowRfc3339 } from '../../apiserver/rest.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

interface Health {
  /** Last seen lease renewTime / Ready heartbeat (their text, compared for change only). */
  renew?: string;
  heartbeat?: string;
  probedAt: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private health = new Map<string, Health>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext, private readonly opts: { gracePeriodMs?: number; monitorPeriodMs?: number } = {}) {}

  register(): void {
    const { informers } = this.ctx;
    informers.cache('coordination.k8s.io/leases').onChange((_p, cur) => {
      if (!cur || cur.metadata.namespace !== 'kube-node-lease') return;
      const renew = (cur as unknown as Lease).spec?.renewTime;
      this.observe(cur.metadata.name!, (h) => {
        if (renew && renew !== h.renew) {
          h.renew = renew;
          return true;
        }
        return false;
      });
    });
    informers.cache('nodes').onChange((_p, cur) => {
      if (!cur) {
        this.health.delete(_p!.metadata.name!);
        return;
      }
      const ready = (cur as unknown as Node).status?.conditions?.find((c) => c.type === 'Ready');
      const hb = ready?.status !== 'Unknown' ? ready?.lastHeartbeatTime : undefined;
      this.observe(cur.metadata.name!, (h) => {
        if (hb && hb !== h.heartbeat) {
          h.heartbeat = hb;
          return true;
        }
        return false;
      });
    });
  }

  private observe(node: string, changed: (h: Health) => boolean): void {
    let h = this.health.get(node);
    if (!h) {
      // First sight (also after a restart): the grace period starts now.
      this.health.set(node, (h = { probedAt: this.ctx.now() }));
    }
    if (changed(h)) h.probedAt = this.ctx.now();
  }

  start(): void {
    this.timer = setInterval(() => void this.monitor(), this.opts.monitorPeriodMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** One monitoring pass (the timer calls it; tests call it with a fake clock). */
  monitor(): Promise<void> {
    this.running ??= this.pass().catch((e) => this.ctx.log.warn({ controller: this.name, err: errText(e) }, 'monitor pass failed')).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const grace = this.opts.gracePeriodMs ?? 40_000;
    const now = this.ctx.now();
    for (const n of this.ctx.informers.cache('nodes').list() as unknown as Node[]) {
      const h = this.health.get(n.metadata.name!);
      if (!h || now - h.probedAt < grace) continue;
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'Unknown') await this.markUnknown(n);
      await this.markPodsNotReady(n.metadata.name!);
    }
    await this.clearUnreachable();
  }

  private async markUnknown(n: Node): Promise<void> {
    const ts = nowRfc3339(this.ctx.now());
    const next: Node = structuredClone(n);
    const conds = next.status?.conditions ?? [];
    if (!conds.some((c) => c.type === 'Ready')) conds.push({ type: 'Ready', status: 'Unknown' });
    next.status = {
      ...(next.status ?? {}),
      conditions: conds.map((c) => ({ ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: ts })),
    };
    const stored = await this.ctx.client.updateStatus('nodes', next);
    const taints: Taint[] = [...(stored.spec?.taints ?? [])];
    if (!taints.some((t) => t.key === UNREACHABLE_TAINT)) {
      taints.push({ key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: ts });
      await this.ctx.client.update('nodes', { ...stored, spec: { ...(stored.spec ?? {}), taints } });
    }
    await this.ctx.events.record({ ...n, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'NodeNotReady', `Node ${n.metadata.name} status is now: NodeNotReady`);
  }

  private async markPodsNotReady(node: string): Promise<void> {
    const pods = (this.ctx.informers.cache('pods').list() as unknown as Pod[]).filter((p) => p.spec?.nodeName === node);
    for (const p of pods) {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next: Pod = structuredClone(p);
      next.status!.conditions = next.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady', lastTransitionTime: nowRfc3339(this.ctx.now()) } : c));
      try {
        await this.ctx.client.updateStatus('pods', next);
      } catch (e) {
        this.ctx.log.warn({ controller: this.name, pod: p.metadata.name, err: errText(e) }, 'marking pod not ready failed');
      }
    }
  }

  /** A node Ready again (its kubelet posted status) loses the unreachable taint, as upstream. */
  private async clearUnreachable(): Promise<void> {
    for (const n of this.ctx.informers.cache('nodes').list() as unknown as Node[]) {
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True' || !(n.spec?.taints ?? []).some((t) => t.key === UNREACHABLE_TAINT)) continue;
      await this.ctx.client.update('nodes', { ...structuredClone(n), spec: { ...(n.spec ?? {}), taints: (n.spec?.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT) } });
    }
  }
}
