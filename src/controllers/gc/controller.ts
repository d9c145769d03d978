// Garbage collection by ownerReferences (background propagation), for the kinds the
// controllers create: an object all of whose owners are gone is deleted, like upstream's
// garbage collector does after `kubectl delete deployment` (Deployment → ReplicaSets →
// Pods) or a Service delete (→ its EndpointSlices). Owners are looked up by uid in the
// caches of the owner kinds we serve; a reference to a kind we do not know is left alone,
// since its absence cannot be proven. Foreground deletion and orphaning are not handled.
import { QueueController } from '../runtime/controller.js';
import type { KubeObject } from '../../k8s/types.js';

/** Owner kinds → their caches. */
const OWNERS: Record<string, string> = {
  'apps/v1/Deployment': 'apps/deployments',
  'apps/v1/ReplicaSet': 'apps/replicasets',
  'apps/v1/DaemonSet': 'apps/daemonsets',
  'v1/Service': 'services',
  'v1/Node': 'nodes',
  'v1/Namespace': 'namespaces',
};

/** Dependents we collect. */
export const DEPENDENTS = ['pods', 'apps/replicasets', 'discovery.k8s.io/endpointslices', 'endpoints'];

export class GarbageCollector extends QueueController {
  readonly name = 'garbage-collector';
  /** Live owner uids per owner cache. */
  private uids = new Map<string, Set<string>>();
  /** Dependents by owner uid, so an owner's delete enqueues them directly. */
  private byOwner = new Map<string, Set<string>>();

  register(): void {
    const { informers } = this.ctx;
    for (const cache of new Set(Object.values(OWNERS))) {
      const set = new Set<string>();
      this.uids.set(cache, set);
      informers.cache(cache).onChange((prev, cur) => {
        if (cur?.metadata.uid) set.add(cur.metadata.uid);
        if (!cur && prev?.metadata.uid) {
          set.delete(prev.metadata.uid);
          for (const k of this.byOwner.get(prev.metadata.uid) ?? []) this.enqueue(k);
        }
      });
    }
    for (const dep of DEPENDENTS) {
      informers.cache(dep).onChange((prev, cur) => {
        const key = `${dep}|${(cur ?? prev)!.metadata.namespace ?? ''}|${(cur ?? prev)!.metadata.name}`;
        for (const r of prev?.metadata.ownerReferences ?? []) this.byOwner.get(r.uid)?.delete(key);
        for (const r of cur?.metadata.ownerReferences ?? []) {
          let s = this.byOwner.get(r.uid);
          if (!s) this.byOwner.set(r.uid, (s = new Set()));
          s.add(key);
        }
        if (cur && (cur.metadata.ownerReferences ?? []).length > 0) this.enqueue(key);
      });
    }
  }

  protected initialKeys(): string[] {
    const keys: string[] = [];
    for (const dep of DEPENDENTS) {
      for (const o of this.ctx.informers.cache(dep).list()) {
        if ((o.metadata.ownerReferences ?? []).length > 0) keys.push(`${dep}|${o.metadata.namespace ?? ''}|${o.metadata.name}`);
      }
    }
    return keys;
  }

  /** true when every owner reference points at a kind we know and a uid that no longer exists. */
  orphaned(o: KubeObject): boolean {
    const refs = o.metadata.ownerReferences ?? [];
    if (refs.length === 0) return false;
    return refs.every((r) => {
      const cache = OWNERS[`${r.apiVersion}/${r.kind}`];
      if (!cache) return false;
      return !this.uids.get(cache)!.has(r.uid);
    });
  }

  protected async reconcile(key: string): Promise<void> {
    const [dep, ns, name] = key.split('|') as [string, string, string];
    const o = this.ctx.informers.cache(dep).get(ns || undefined, name);
    if (!o || o.metadata.deletionTimestamp || !this.orphaned(o)) return;
    this.ctx.log.info({ controller: this.name, resource: dep, object: `${ns}/${name}` }, 'deleting object whose owners are gone');
    await this.ctx.client.delete(dep, o as never, { propagationPolicy: 'Background' });
  }
}
