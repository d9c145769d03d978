// The EndpointSlice and Endpoints controllers in one reconcile per Service (they read the
// same inputs): service, its namespace's pods, our slices → planSlices/desiredEndpoints →
// writes. Triggered by the Service, by any pod whose old or new labels match its
// selector, by changes to our own slices/Endpoints (someone edited or deleted them), and
// by Node changes (zone labels).
import { QueueController, nsName, splitKey } from '../runtime/controller.js';
import type { EndpointSlice, Endpoints, Node, Pod, Service } from '../types.js';
import { SERVICE_NAME_LABEL, isManagedSliceOf, planSlices } from './slices.js';
import { desiredEndpoints, endpointsEqual } from './legacy.js';
import { matchesSelector, selectorOf } from './pods.js';
import type { KubeObject } from '../../k8s/types.js';

export class EndpointsController extends QueueController {
  readonly name = 'endpointslice';

  register(): void {
    const { informers } = this.ctx;
    informers.cache('services').onChange((_p, cur) => this.onService(cur ?? _p));
    informers.cache('pods').onChange((prev, cur) => this.onPod(prev as Pod | undefined, cur as Pod | undefined));
    informers.cache('discovery.k8s.io/endpointslices').onChange((prev, cur) => {
      const s = (cur ?? prev) as unknown as EndpointSlice;
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.enqueue(`${s.metadata.namespace}/${svc}`);
    });
    informers.cache('endpoints').onChange((prev, cur) => this.enqueue(nsName((cur ?? prev)!)));
    informers.cache('nodes').onChange((prev, cur) => {
      const zone = (o?: KubeObject) => o?.metadata.labels?.['topology.kubernetes.io/zone'];
      if (zone(prev) !== zone(cur)) for (const k of this.initialKeys()) this.enqueue(k);
    });
  }

  protected initialKeys(): string[] {
    return this.ctx.informers.cache('services').list().map(nsName);
  }

  private onService(s: KubeObject | undefined): void {
    if (s) this.enqueue(nsName(s));
  }

  private onPod(prev: Pod | undefined, cur: Pod | undefined): void {
    const ns = (cur ?? prev)!.metadata.namespace!;
    for (const o of this.ctx.informers.cache('services').inNamespace(ns)) {
      const sel = selectorOf(o as unknown as Service);
      if (!sel) continue;
      if ((prev && matchesSelector(sel, prev.metadata.labels)) || (cur && matchesSelector(sel, cur.metadata.labels))) this.enqueue(nsName(o));
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const { informers, client } = this.ctx;
    const svc = informers.cache('services').get(ns, name) as unknown as Service | undefined;
    const slices = informers.cache('discovery.k8s.io/endpointslices').selectLabels(ns!, { [SERVICE_NAME_LABEL]: name }) as unknown as EndpointSlice[];
    if (!svc || svc.metadata.deletionTimestamp) {
      // The Service is gone: its slices and Endpoints go with it (ownerReferences would
      // get them too, but not before the garbage collector runs).
      for (const s of slices) if (s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io') await client.delete('discovery.k8s.io/endpointslices', s);
      const ep = informers.cache('endpoints').get(ns, name);
      if (ep && !svc) await client.delete('endpoints', ep as unknown as Endpoints);
      return;
    }
    const sel = selectorOf(svc);
    const pods = (sel ? informers.cache('pods').selectLabels(ns!, sel) : []) as unknown as Pod[];
    const nodes = new Map(informers.cache('nodes').list().map((n) => [n.metadata.name!, n as unknown as Node]));
    const plan = planSlices(svc, pods, slices.filter((s) => isManagedSliceOf(s, svc)), nodes);
    for (const s of plan.delete) await client.delete('discovery.k8s.io/endpointslices', s);
    for (const s of plan.update) await client.update('discovery.k8s.io/endpointslices', s);
    for (const s of plan.create) await client.create('discovery.k8s.io/endpointslices', s);
    await this.syncEndpoints(svc, pods);
  }

  private async syncEndpoints(svc: Service, pods: Pod[]): Promise<void> {
    const desired = desiredEndpoints(svc, pods);
    if (!desired) return; // no selector: Endpoints are the user's
    const { informers, client } = this.ctx;
    const cur = informers.cache('endpoints').get(svc.metadata.namespace, svc.metadata.name!) as unknown as Endpoints | undefined;
    if (!cur) {
      await client.create('endpoints', desired);
      return;
    }
    if (endpointsEqual(cur, desired)) return;
    const next: Endpoints = { ...cur, subsets: desired.subsets, metadata: { ...cur.metadata, labels: desired.metadata.labels } };
    const ann = { ...(cur.metadata.annotations ?? {}) };
    delete ann['endpoints.kubernetes.io/over-capacity'];
    Object.assign(ann, desired.metadata.annotations ?? {});
    next.metadata.annotations = ann;
    await client.update('endpoints', next);
  }
}
