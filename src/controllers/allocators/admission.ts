// The Service allocator as an apiserver admission plugin (src/apiserver/admission.ts):
// values are chosen in the validating phase — after the kind's own defaulting and
// validation, right before the write — and given back when the write is not committed.
//
// The admission chain reports success (`committed`) but has no failure callback, so every
// reservation is also tracked as pending: a request that never commits (validation error
// later in the chain, AlreadyExists, a Conflict, dryRun) is released by `sweep()` once it
// is older than the grace period. `aborted` is implemented for a chain that adds it.
// Deletes that bypass admission (namespace contents) are caught by the store watch in
// ServiceAllocations.
import type { KubeObject } from '../../k8s/types.js';
import type { AdmissionContext, AdmissionPlugin } from '../../apiserver/admission.js';
import type { Service } from '../types.js';
import type { Reservation, ServiceAllocator } from './service-allocator.js';
import { dropTypeDependentFields, patchAllocatedValues } from './service-fields.js';

interface Pending {
  reservation: Reservation;
  at: number;
}

export class ServiceAdmission {
  private pending = new Map<KubeObject, Pending>();

  constructor(
    private readonly allocator: ServiceAllocator,
    private readonly opts: { now?: () => number; graceMs?: number } = {},
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  plugin(): AdmissionPlugin & { aborted(ctx: AdmissionContext): Promise<void> } {
    return {
      name: 'ServiceAllocation',
      resources: ['services'],
      admit: (ctx) => this.mutate(ctx),
      validate: (ctx) => this.validate(ctx),
      committed: (ctx, stored) => this.committed(ctx, stored),
      aborted: (ctx) => this.aborted(ctx),
    };
  }

  /**
   * Mutating phase, before the kind's validation: an update that changes the type clears
   * what the old type allocated, and one that omits allocated values keeps them — as
   * upstream's beginUpdate does before validating.
   */
  private mutate(ctx: AdmissionContext): void {
    if (ctx.op !== 'UPDATE' || ctx.subresource || !ctx.object || !ctx.old) return;
    patchAllocatedValues(ctx.object as unknown as Service, ctx.old as unknown as Service);
    dropTypeDependentFields(ctx.object as unknown as Service, ctx.old as unknown as Service);
  }

  private async validate(ctx: AdmissionContext): Promise<void> {
    // Status writes never change allocations (upstream: the status strategy resets spec).
    if (ctx.subresource || !ctx.object || ctx.op === 'DELETE') return;
    const svc = ctx.object as unknown as Service;
    const old = ctx.op === 'UPDATE' ? (ctx.old as unknown as Service | undefined) : undefined;
    // A retried generateName attempt reuses the object: give back what the last try took.
    await this.aborted(ctx);
    const reservation = await this.allocator.admit(svc, old);
    if (ctx.dryRun) {
      // Dry run shows the values a real request would get, but keeps none.
      await reservation.abort();
      return;
    }
    this.pending.set(ctx.object, { reservation, at: this.now() });
  }

  private async committed(ctx: AdmissionContext, stored: KubeObject): Promise<void> {
    if (ctx.op === 'DELETE') {
      await this.allocator.release(stored as unknown as Service);
      return;
    }
    if (!ctx.object) return;
    const p = this.pending.get(ctx.object);
    if (!p) return;
    this.pending.delete(ctx.object);
    await p.reservation.commit();
  }

  private async aborted(ctx: AdmissionContext): Promise<void> {
    const p = ctx.object && this.pending.get(ctx.object);
    if (!p) return;
    this.pending.delete(ctx.object!);
    await p.reservation.abort();
  }

  /** Releases reservations whose request never committed within the grace period. */
  async sweep(): Promise<number> {
    const cutoff = this.now() - (this.opts.graceMs ?? 60_000);
    let n = 0;
    for (const [obj, p] of [...this.pending]) {
      if (p.at > cutoff) continue;
      this.pending.delete(obj);
      await p.reservation.abort();
      n++;
    }
    return n;
  }

  /** Re-marks every in-flight reservation (after the allocator was rebuilt from the store). */
  remarkPending(): void {
    for (const p of this.pending.values()) p.reservation.remark();
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
