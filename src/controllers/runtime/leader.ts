// Leader election over a coordination.k8s.io Lease (client-go's leaderelection with a
// LeaseLock): when several apiservers share one etcd, only the holder of
// kube-system/hawser-controller-manager runs the controllers, so two schedulers never
// race to bind a pod and two EndpointSlice controllers never both create a Service's
// slices. Acquire/renew are optimistic-concurrency writes; a holder that has not renewed
// within leaseDuration (measured from when *we* last saw the record change, like
// client-go's observedTime) may be replaced.
import { isApiError } from '../../apiserver/errors.js';
import type { Lease } from '../types.js';
import type { ControllerClient } from './client.js';
import type { Logger } from './controller.js';

export interface LeaderOptions {
  identity: string;
  namespace?: string;
  name?: string;
  leaseDurationMs?: number;
  retryPeriodMs?: number;
  now: () => number;
  log: Logger;
}

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export class LeaderElector {
  private observed?: { rv?: string; at: number };
  private timer?: NodeJS.Timeout;
  private leading = false;

  constructor(private readonly client: ControllerClient, private readonly o: LeaderOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** One acquire-or-renew attempt; true while we hold the lease. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const ns = this.o.namespace ?? 'kube-system';
    const name = this.o.name ?? 'hawser-controller-manager';
    const durationS = Math.ceil((this.o.leaseDurationMs ?? 15_000) / 1000);
    const now = this.o.now();
    const cur = this.client.informers.cache('coordination.k8s.io/leases').get(ns, name) as unknown as Lease | undefined;
    const spec = { holderIdentity: this.o.identity, leaseDurationSeconds: durationS, renewTime: micro(now) };
    try {
      if (!cur) {
        await this.client.create<Lease>('coordination.k8s.io/leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: ns }, spec: { ...spec, acquireTime: micro(now) } });
        return (this.leading = true);
      }
      if (this.observed?.rv !== cur.metadata.resourceVersion) this.observed = { rv: cur.metadata.resourceVersion, at: now };
      const seen: { at: number } = this.observed ?? { at: now };
      const mine = cur.spec?.holderIdentity === this.o.identity;
      const expired = now - seen.at > (cur.spec?.leaseDurationSeconds ?? durationS) * 1000;
      if (!mine && !expired && cur.spec?.holderIdentity) return (this.leading = false);
      const next: Lease = { ...structuredClone(cur), spec: { ...cur.spec, ...spec, ...(mine ? {} : { acquireTime: micro(now) }) } };
      await this.client.update('coordination.k8s.io/leases', next);
      return (this.leading = true);
    } catch (e) {
      // Someone else wrote first (409 / AlreadyExists): not the leader this round.
      if (isApiError(e) && (e.reason === 'Conflict' || e.reason === 'AlreadyExists')) return (this.leading = false);
      throw e;
    }
  }

  /** Resolves once leadership is acquired; then keeps renewing and calls onLost if it lapses. */
  run(onLost: () => void): Promise<void> {
    const period = this.o.retryPeriodMs ?? 2_000;
    return new Promise((resolve) => {
      let was = false;
      const tick = async () => {
        try {
          const now = await this.tryAcquireOrRenew();
          if (now && !was) resolve();
          if (!now && was) {
            this.o.log.warn({ identity: this.o.identity }, 'lost controller leadership');
            onLost();
          }
          was = now;
        } catch (e) {
          this.o.log.warn({ err: String(e) }, 'leader election attempt failed');
        }
      };
      void tick();
      this.timer = setInterval(() => void tick(), period);
      this.timer.unref();
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
