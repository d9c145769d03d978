// Keeps the Service allocators true to the store: mirrors every stored Service change
// (including deletes that bypassed admission, such as a namespace's contents, and writes
// by another apiserver on the same etcd), and repairs periodically like upstream's
// ipallocator/portallocator repair controllers: rebuild the bitmaps from the stored
// Services plus in-flight reservations, release reservations that never committed, and
// delete claim records no stored Service holds.
import type { ControllerContext, Controller } from '../runtime/controller.js';
import { errText } from '../runtime/controller.js';
import type { Service } from '../types.js';
import type { ServiceAdmission } from './admission.js';
import type { ServiceAllocator } from './service-allocator.js';
import type { StorageClaimStore } from './claims-storage.js';

export interface AllocationRepairOptions {
  intervalMs?: number;
  /** A claim younger than this may belong to a request still in flight elsewhere. */
  claimGraceMs?: number;
}

export class ServiceAllocationController implements Controller {
  readonly name = 'service-allocation-repair';
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly allocator: ServiceAllocator,
    private readonly admission: ServiceAdmission,
    private readonly claims: StorageClaimStore | undefined,
    private readonly opts: AllocationRepairOptions = {},
  ) {}

  register(): void {
    this.ctx.informers.cache('services').onChange((prev, cur) => {
      const problems = this.allocator.sync(prev as unknown as Service | undefined, cur as unknown as Service | undefined);
      for (const p of problems) this.ctx.log.warn({ controller: this.name }, `double allocation: ${p}`);
    });
  }

  start(): void {
    void this.repair();
    this.timer = setInterval(() => void this.repair(), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  repair(): Promise<void> {
    this.running ??= this.doRepair().catch((e) => this.ctx.log.warn({ controller: this.name, err: errText(e) }, 'repair failed')).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async doRepair(): Promise<void> {
    await this.admission.sweep();
    // Synchronous from here to remarkPending: no admission can interleave.
    const services = this.ctx.informers.cache('services').list() as unknown as Service[];
    const problems = this.allocator.rebuild(services);
    this.admission.remarkPending();
    for (const p of problems) this.ctx.log.warn({ controller: this.name }, `double allocation: ${p}`);
    if (!this.claims) return;
    const cutoff = this.ctx.now() - (this.opts.claimGraceMs ?? 120_000);
    const allocators = [...this.allocator.ips.values(), this.allocator.nodePorts];
    for (const a of allocators) {
      for (const c of await this.claims.list(a.name)) {
        const value = a === this.allocator.nodePorts ? Number(c.value) : c.value;
        const holder = a.ownerOf(value as never);
        if (holder === c.owner) continue;
        if (c.createdAt !== undefined && c.createdAt > cutoff) continue;
        await this.claims.release(a.name, c.value, c.owner);
        this.ctx.log.info({ controller: this.name, allocator: a.name, value: c.value, owner: c.owner }, 'released a leaked allocation claim');
      }
    }
  }
}
