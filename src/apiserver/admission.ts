// Admission: hooks that run inside every write, after defaulting. The controllers of
// issue 4 (ClusterIP/NodePort/LB allocators, pod CIDRs) plug in here, as upstream's
// REST storage allocates service IPs inside create/update.
import type { KubeObject } from '../k8s/types.js';
import type { ResourceDef } from './registry.js';
import type { Storage } from './storage/types.js';
import type { UserInfo } from './auth/tokens.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionContext {
  op: Operation;
  def: ResourceDef;
  namespace?: string;
  name: string;
  subresource?: string;
  /** The object to be stored (mutable in `admit`). Absent for DELETE. */
  object?: KubeObject;
  old?: KubeObject;
  user?: UserInfo;
  dryRun: boolean;
  storage: Storage;
}

export interface AdmissionPlugin {
  name: string;
  /** `group/resource` (core group: `/services`) or just the resource; empty = all. */
  resources?: string[];
  /** Mutating phase: may change ctx.object; throw an ApiError to reject. */
  admit?(ctx: AdmissionContext): void | Promise<void>;
  /** Validating phase, after the kind's own validation. */
  validate?(ctx: AdmissionContext): void | Promise<void>;
  /** After a successful write (e.g. release an allocation after DELETE). */
  committed?(ctx: AdmissionContext, stored: KubeObject): void | Promise<void>;
}

export class AdmissionChain {
  private plugins: AdmissionPlugin[] = [];

  register(p: AdmissionPlugin): void {
    this.plugins.push(p);
  }

  private applies(p: AdmissionPlugin, def: ResourceDef): boolean {
    if (!p.resources || p.resources.length === 0) return true;
    return p.resources.some((r) => r === def.resource || r === `${def.group}/${def.resource}`);
  }

  async admit(ctx: AdmissionContext): Promise<void> {
    for (const p of this.plugins) if (p.admit && this.applies(p, ctx.def)) await p.admit(ctx);
  }

  async validate(ctx: AdmissionContext): Promise<void> {
    for (const p of this.plugins) if (p.validate && this.applies(p, ctx.def)) await p.validate(ctx);
  }

  async committed(ctx: AdmissionContext, stored: KubeObject): Promise<void> {
    for (const p of this.plugins) if (p.committed && this.applies(p, ctx.def)) await p.committed(ctx, stored);
  }
}
