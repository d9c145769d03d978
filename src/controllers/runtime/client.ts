// How controllers write: through the apiserver's own REST layer (src/apiserver/rest.ts),
// so their writes get the same defaulting, validation, admission (the allocators) and
// optimistic concurrency as any client's, without HTTP or authentication — as upstream's
// controller-manager is trusted via system:masters. Every successful write is also fed to
// the informer caches (read-your-writes; see Informers.wrote).
import type { KubeObject } from '../../k8s/types.js';
import { conflict, isApiError, notFound } from '../../apiserver/errors.js';
import type { Rest } from '../../apiserver/rest.js';
import { storageKey, type ResourceDef } from '../../apiserver/registry.js';
import type { Informers } from './informers.js';
import type { KObject } from '../types.js';

export const FIELD_MANAGER = 'hawser-controller-manager';

export class ControllerClient {
  constructor(readonly rest: Rest, readonly informers: Informers, private readonly now: () => number = Date.now) {}

  def(resource: string): ResourceDef {
    return this.informers.cache(resource).def;
  }

  async create<T extends KObject>(resource: string, obj: T): Promise<T> {
    const stored = await this.rest.create(this.def(resource), obj.metadata.namespace, obj, { fieldManager: FIELD_MANAGER });
    this.informers.wrote(resource, stored);
    return stored as unknown as T;
  }

  /** PUT with the object's resourceVersion: a stale cache gives a 409 and a retry. */
  async update<T extends KObject>(resource: string, obj: T): Promise<T> {
    const { object } = await this.rest.update(this.def(resource), obj.metadata.namespace, obj.metadata.name!, obj, { fieldManager: FIELD_MANAGER });
    this.informers.wrote(resource, object);
    return object as unknown as T;
  }

  async updateStatus<T extends KObject>(resource: string, obj: T): Promise<T> {
    const { object } = await this.rest.update(this.def(resource), obj.metadata.namespace, obj.metadata.name!, obj, { fieldManager: FIELD_MANAGER, subresource: 'status' });
    this.informers.wrote(resource, object);
    return object as unknown as T;
  }

  /** Deletes; NotFound counts as done (idempotent), a uid precondition guards against a re-created namesake. */
  async delete(resource: string, obj: KObject, opts: { propagationPolicy?: string } = {}): Promise<void> {
    try {
      const gone = await this.rest.delete(this.def(resource), obj.metadata.namespace, obj.metadata.name!, {
        ...opts, ...(obj.metadata.uid ? { preconditions: { uid: obj.metadata.uid } } : {}),
      });
      // A graceful delete (pods) or finalizers leave the object in place, marked.
      const still = await this.rest.storage.get(storageKey(this.def(resource), obj.metadata.namespace, obj.metadata.name!));
      if (still) this.informers.wrote(resource, still);
      else this.informers.wrote(resource, gone, true);
    } catch (e) {
      if (isApiError(e) && (e.reason === 'NotFound')) return;
      throw e;
    }
  }

  /**
   * pods/binding: sets spec.nodeName once (409 if already bound), and the PodScheduled
   * condition — what upstream's BindingREST does with a guaranteed update on the pod,
   * outside the pod update strategy (which forbids spec changes).
   */
  async bind(pod: KObject, nodeName: string): Promise<KObject> {
    const def = this.def('pods');
    const key = storageKey(def, pod.metadata.namespace, pod.metadata.name!);
    const storage = this.rest.storage;
    const cur = await storage.get(key);
    if (!cur || (pod.metadata.uid && cur.metadata.uid !== pod.metadata.uid)) throw notFound({ group: '', resource: 'pods' }, pod.metadata.name!);
    const spec = (cur.spec ?? {}) as Record<string, unknown>;
    if (spec.nodeName) throw conflict({ group: '', resource: 'pods' }, pod.metadata.name!, `pod ${pod.metadata.name} is already assigned to node "${String(spec.nodeName)}"`);
    if (cur.metadata.deletionTimestamp) throw conflict({ group: '', resource: 'pods' }, pod.metadata.name!, 'pod is being deleted');
    const next = structuredClone(cur) as KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };
    next.spec.nodeName = nodeName;
    const status = (next.status ??= {});
    const conds = ((status.conditions as Array<Record<string, unknown>> | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z') });
    status.conditions = conds;
    try {
      const stored = await storage.update(key, next, Number(cur.metadata.resourceVersion));
      this.informers.wrote('pods', stored);
      return stored as unknown as KObject;
    } catch (e) {
      throw isApiError(e) ? e : conflict({ group: '', resource: 'pods' }, pod.metadata.name!);
    }
  }
}
