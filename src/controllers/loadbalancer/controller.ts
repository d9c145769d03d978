// Applies plan.decide() to every LoadBalancer Service and keeps the pool bitmap equal to
// what stored statuses hold. Restart-safe: the pool is rebuilt from every stored
// status.loadBalancer.ingress before the first reconcile. A full pool is a Warning Event
// and a False condition on the Service, and the Service is retried when addresses free up.
import { QueueController, nsName, splitKey, type ControllerContext } from '../runtime/controller.js';
import type { AddressRange } from '../../net/range.js';
import { ValueAllocator, addressSpace } from '../allocators/value-allocator.js';
import type { Service } from '../types.js';
import { LB_CONDITION, decide, ingressIPs, setCondition, wantsPoolIP } from './plan.js';
import { nowRfc3339 } from '../../apiserver/rest.js';

export class LoadBalancerController extends QueueController {
  readonly name = 'loadbalancer-ip';
  readonly pool: ValueAllocator<string>;
  private waiting = new Set<string>();

  constructor(ctx: ControllerContext, range: AddressRange) {
    super(ctx);
    this.pool = new ValueAllocator('lb-pool', addressSpace(range), { random: () => 0 });
  }

  register(): void {
    this.ctx.informers.cache('services').onChange((prev, cur) => {
      const s = (cur ?? prev) as unknown as Service;
      if (!cur) {
        // Deleted: its address returns to the pool, and someone waiting may get it.
        for (const ip of ingressIPs(prev as unknown as Service)) this.pool.release(ip, nsName(s));
        for (const k of this.waiting) this.enqueue(k);
        return;
      }
      if (wantsPoolIP(s) || ingressIPs(s).length > 0 || (prev && wantsPoolIP(prev as unknown as Service))) this.enqueue(nsName(s));
    });
  }

  protected initialKeys(): string[] {
    const all = this.ctx.informers.cache('services').list() as unknown as Service[];
    // Rebuild first, so no Service is offered an address another one already shows.
    for (const s of all) {
      if (!wantsPoolIP(s)) continue;
      for (const ip of ingressIPs(s)) if (this.pool.contains(ip) && this.pool.allocate(ip, nsName(s)) === 'taken') {
        this.ctx.log.warn({ controller: this.name, service: nsName(s), ip }, 'address shown by two Services; one will be reassigned');
      }
    }
    return all.filter((s) => wantsPoolIP(s) || ingressIPs(s).length > 0).map(nsName);
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.ctx.informers.cache('services').get(ns, name) as unknown as Service | undefined;
    if (!svc) {
      this.waiting.delete(key);
      return;
    }
    const d = decide(svc, this.pool, key);
    const now = nowRfc3339(this.ctx.now());
    const next: Service = structuredClone(svc);
    next.status ??= {};
    if (d.kind === 'release') {
      this.waiting.delete(key);
      const mine = ingressIPs(svc).filter((ip) => this.pool.ownerOf(ip) === key);
      if (mine.length === 0 && !svc.status?.conditions?.some((c) => c.type === LB_CONDITION)) return;
      for (const ip of mine) this.pool.release(ip, key);
      next.status.loadBalancer = {};
      next.status.conditions = (next.status.conditions ?? []).filter((c) => c.type !== LB_CONDITION);
      await this.ctx.client.updateStatus('services', next);
      for (const k of this.waiting) this.enqueue(k);
      return;
    }
    if (d.kind === 'fail') {
      this.waiting.add(key);
      // An address it held before (a changed loadBalancerIP) goes back.
      for (const ip of ingressIPs(svc)) this.pool.release(ip, key);
      const already = svc.status?.conditions?.find((c) => c.type === LB_CONDITION);
      if (already?.status === 'False' && already.reason === d.reason && already.message === d.message && ingressIPs(svc).length === 0) return;
      next.status.loadBalancer = {};
      next.status.conditions = setCondition(next.status.conditions, { type: LB_CONDITION, status: 'False', reason: d.reason, message: d.message, observedGeneration: svc.metadata.generation }, now);
      await this.ctx.client.updateStatus('services', next);
      await this.ctx.events.record({ ...svc, apiVersion: 'v1', kind: 'Service' }, 'Warning', 'AllocationFailed', d.message);
      return;
    }
    this.waiting.delete(key);
    const ready = svc.status?.conditions?.find((c) => c.type === LB_CONDITION);
    if (d.kind === 'keep' && ingressIPs(svc).length === 1 && ready?.status === 'True') return;
    for (const ip of ingressIPs(svc)) if (ip !== d.ip) this.pool.release(ip, key);
    next.status.loadBalancer = { ingress: [{ ip: d.ip, ipMode: 'VIP' }] };
    next.status.conditions = setCondition(next.status.conditions, { type: LB_CONDITION, status: 'True', reason: 'Allocated', message: `assigned ${d.ip} from ${this.pool.space.describe}` }, now);
    try {
      await this.ctx.client.updateStatus('services', next);
    } catch (e) {
      if (d.kind === 'assign') this.pool.release(d.ip, key);
      throw e;
    }
    if (d.kind === 'assign') await this.ctx.events.record({ ...svc, apiVersion: 'v1', kind: 'Service' }, 'Normal', 'IPAllocated', `Assigned IP ["${d.ip}"]`);
  }
}
