// Change tracking (DESIGN rule 5): informer handlers only record what changed and which
// Services became dirty; the sync takes the accumulated set. Like upstream's
// ServiceChangeTracker/EndpointsChangeTracker, an object that changes several times between
// syncs — or changes and changes back — costs one comparison, not one sync each.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { WatchedKind } from './api.js';
import { WATCHED_KINDS } from './api.js';
import { serviceKey, sliceServiceKey } from './model.js';

export interface TakenChanges {
  /** `ns/name` of Services whose ports or endpoints may have changed. */
  dirty: Set<string>;
  /** This node's Node object changed in a way that affects every Service. */
  nodeChanged: boolean;
}

const objKey = (m: { metadata?: { namespace?: string; name?: string } } | undefined): string =>
  serviceKey(m?.metadata?.namespace, m?.metadata?.name);

/** What of a Node the proxy depends on: its addresses and labels (topology). */
function nodeSig(n: V1Node | undefined): string {
  return JSON.stringify([n?.status?.addresses ?? [], n?.metadata?.labels ?? {}]);
}

export class ChangeTracker {
  readonly services = new Map<string, V1Service>();
  /** Slices by `ns/slice-name`. */
  readonly slices = new Map<string, V1EndpointSlice>();
  /** Slices grouped by the Service they belong to: `ns/service` → slice keys. */
  private readonly slicesBySvc = new Map<string, Set<string>>();
  node: V1Node | undefined;
  private dirty = new Set<string>();
  private nodeChanged = false;
  /** Serialized Service/slice state at the last take(), to drop no-op changes. */
  private readonly synced = new Map<string, string>();
  private readonly listed = new Set<WatchedKind>();

  constructor(private readonly nodeName: string, private readonly onChange: () => void = () => undefined) {}

  onService(prev: V1Service | undefined, cur: V1Service | undefined): void {
    if (prev) this.dirty.add(objKey(prev));
    if (cur) {
      this.services.set(objKey(cur), cur);
      this.dirty.add(objKey(cur));
    } else if (prev) {
      this.services.delete(objKey(prev));
    }
    this.onChange();
  }

  onEndpointSlice(prev: V1EndpointSlice | undefined, cur: V1EndpointSlice | undefined): void {
    for (const s of [prev, cur]) {
      const svc = s && sliceServiceKey(s);
      if (svc) this.dirty.add(svc);
    }
    if (prev) this.unindex(prev);
    if (cur) {
      this.slices.set(objKey(cur), cur);
      const svc = sliceServiceKey(cur);
      if (svc) {
        const set = this.slicesBySvc.get(svc) ?? new Set();
        set.add(objKey(cur));
        this.slicesBySvc.set(svc, set);
      }
    }
    this.onChange();
  }

  private unindex(s: V1EndpointSlice): void {
    this.slices.delete(objKey(s));
    const svc = sliceServiceKey(s);
    const set = svc ? this.slicesBySvc.get(svc) : undefined;
    set?.delete(objKey(s));
    if (svc && set && set.size === 0) this.slicesBySvc.delete(svc);
  }

  onNode(prev: V1Node | undefined, cur: V1Node | undefined): void {
    const mine = (n: V1Node | undefined): boolean => n?.metadata?.name === this.nodeName;
    if (!mine(prev) && !mine(cur)) return;
    const next = mine(cur) ? cur : undefined;
    if (nodeSig(this.node) !== nodeSig(next)) this.nodeChanged = true;
    this.node = next;
    this.onChange();
  }

  setListed(kind: WatchedKind): void {
    this.listed.add(kind);
    this.onChange();
  }

  /** No sync before the first complete list of every kind: a partial state must never be programmed. */
  ready(): boolean {
    return WATCHED_KINDS.every((k) => this.listed.has(k));
  }

  slicesOf(svcKey: string): V1EndpointSlice[] {
    return [...(this.slicesBySvc.get(svcKey) ?? [])].map((k) => this.slices.get(k)!).filter(Boolean);
  }

  /** Everything dirty since the last take(), minus Services whose inputs are unchanged. */
  take(): TakenChanges {
    const dirty = new Set<string>();
    for (const key of this.dirty) {
      const sig = JSON.stringify([this.services.get(key) ?? null, this.slicesOf(key).map((s) => [s.metadata?.name, s.addressType, s.ports, s.endpoints, s.metadata?.labels])]);
      if (this.synced.get(key) === sig) continue;
      if (!this.services.has(key) && this.slicesOf(key).length === 0) this.synced.delete(key); else this.synced.set(key, sig);
      dirty.add(key);
    }
    const out = { dirty, nodeChanged: this.nodeChanged };
    this.dirty = new Set();
    this.nodeChanged = false;
    return out;
  }

  /** Put changes back after a failed sync, so they are not lost. */
  restore(c: TakenChanges): void {
    for (const k of c.dirty) {
      this.synced.delete(k);
      this.dirty.add(k);
    }
    this.nodeChanged ||= c.nodeChanged;
  }

  get hasChanges(): boolean {
    return this.dirty.size > 0 || this.nodeChanged;
  }
}
