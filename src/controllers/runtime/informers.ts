// In-process informers: one subscription to the apiserver's Storage feeds a cache per
// resource. Chosen over HTTP informers because the controllers run inside the apiserver
// process: no serialisation, no TLS, no re-watch every 30 s, and — for the SQLite and
// memory stores — events arrive synchronously with the write, so a controller reading its
// cache right after a write sees it. For etcd the Storage subscription carries other
// apiservers' writes too. Everything a controller knows comes from these caches, so a
// restart rebuilds it all from stored objects (the initial list).
import type { KubeObject } from '../../k8s/types.js';
import type { Storage, StoreEvent } from '../../apiserver/storage/types.js';
import { collectionPrefix, type Registry, type ResourceDef } from '../../apiserver/registry.js';

export type ChangeHandler = (prev: KubeObject | undefined, cur: KubeObject | undefined) => void;

export class ResourceCache {
  readonly items = new Map<string, KubeObject>();
  /** Per-namespace index: controllers mostly look at one namespace at a time. */
  private byNs = new Map<string, Map<string, KubeObject>>();
  /** `ns|key=value` → object keys: selector lookups without scanning a namespace. */
  private byLabel = new Map<string, Set<string>>();
  private handlers: ChangeHandler[] = [];
  private rv = 0;

  constructor(readonly def: ResourceDef, readonly prefix: string) {}

  onChange(h: ChangeHandler): void {
    this.handlers.push(h);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(`${this.prefix}${this.def.namespaced && namespace ? `${namespace}/` : ''}${name}`);
  }

  list(filter?: (o: KubeObject) => boolean): KubeObject[] {
    const all = [...this.items.values()];
    return filter ? all.filter(filter) : all;
  }

  inNamespace(ns: string): KubeObject[] {
    return [...(this.byNs.get(ns)?.values() ?? [])];
  }

  /** Objects in `ns` whose labels include every pair of `selector` (equality selectors, as Services use). */
  selectLabels(ns: string, selector: Record<string, string>): KubeObject[] {
    let smallest: Set<string> | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const s = this.byLabel.get(`${ns}|${k}=${v}`);
      if (!s) return [];
      if (!smallest || s.size < smallest.size) smallest = s;
    }
    if (!smallest) return this.inNamespace(ns);
    const out: KubeObject[] = [];
    for (const key of smallest) {
      const o = this.items.get(key);
      if (o && Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v)) out.push(o);
    }
    return out;
  }

  private indexLabels(key: string, obj: KubeObject | undefined, prev: KubeObject | undefined): void {
    const ns = (obj ?? prev)!.metadata.namespace ?? '';
    for (const [k, v] of Object.entries(prev?.metadata.labels ?? {})) {
      if (obj?.metadata.labels?.[k] === v) continue;
      const id = `${ns}|${k}=${v}`;
      const s = this.byLabel.get(id);
      s?.delete(key);
      if (s && s.size === 0) this.byLabel.delete(id);
    }
    for (const [k, v] of Object.entries(obj?.metadata.labels ?? {})) {
      const id = `${ns}|${k}=${v}`;
      let s = this.byLabel.get(id);
      if (!s) this.byLabel.set(id, (s = new Set()));
      s.add(key);
    }
  }

  private index(key: string, obj: KubeObject | undefined, prev: KubeObject | undefined): void {
    this.indexLabels(key, obj, prev);
    if (obj) this.items.set(key, obj);
    else this.items.delete(key);
    if (!this.def.namespaced) return;
    const ns = (obj ?? prev)!.metadata.namespace ?? '';
    let m = this.byNs.get(ns);
    if (obj) {
      if (!m) this.byNs.set(ns, (m = new Map()));
      m.set(key, obj);
    } else if (m) {
      m.delete(key);
      if (m.size === 0) this.byNs.delete(ns);
    }
  }

  /** Applies a store event or a written object; older revisions than the cached one are ignored. */
  apply(key: string, obj: KubeObject | undefined, rv: number): void {
    const prev = this.items.get(key);
    const prevRv = prev ? Number(prev.metadata.resourceVersion) : 0;
    // A delete may carry the deleted object's own revision (a write-through), hence <.
    if (prev && (obj ? rv <= prevRv : rv < prevRv)) return;
    if (!obj && !prev) return;
    this.rv = Math.max(this.rv, rv);
    this.index(key, obj, prev);
    for (const h of this.handlers) h(prev, obj);
  }

  load(items: KubeObject[], rv: number): void {
    this.rv = rv;
    for (const o of items) {
      const key = `${this.prefix}${this.def.namespaced ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
      this.index(key, o, this.items.get(key));
      for (const h of this.handlers) h(undefined, o);
    }
  }

  revision(): number {
    return this.rv;
  }
}

export class Informers {
  private caches = new Map<string, ResourceCache>();
  private unsubscribe?: () => void;
  private buffered: StoreEvent[] | undefined = [];
  private listRv = new Map<ResourceCache, number>();

  constructor(private readonly storage: Storage, private readonly registry: Registry) {}

  /** `group/resource`, with "" for core: "services", "apps/deployments". */
  cache(resource: string): ResourceCache {
    let c = this.caches.get(resource);
    if (c) return c;
    const [group, name] = resource.includes('/') ? resource.split('/') as [string, string] : ['', resource];
    const def = this.registry.all().find((d) => d.group === group && d.resource === name);
    if (!def) throw new Error(`unknown resource ${resource}`);
    c = new ResourceCache(def, collectionPrefix(def, undefined));
    this.caches.set(resource, c);
    return c;
  }

  /**
   * Subscribes, then lists every registered cache (subscribe first so nothing falls
   * between the list and the watch; events at or below a cache's list revision are
   * dropped as already seen).
   */
  async start(): Promise<void> {
    this.unsubscribe = this.storage.subscribe((e) => this.onEvent(e));
    for (const c of this.caches.values()) {
      const items: KubeObject[] = [];
      let after: string | undefined;
      let rv = 0;
      for (;;) {
        const page = await this.storage.list(c.prefix, { after, limit: 5000 });
        if (!rv) rv = page.rv;
        items.push(...page.items);
        if (!page.nextKey) break;
        after = page.nextKey;
      }
      c.load(items, rv);
      this.listRv.set(c, rv);
    }
    const pending = this.buffered ?? [];
    this.buffered = undefined;
    for (const e of pending) this.dispatch(e);
  }

  private onEvent(e: StoreEvent): void {
    if (this.buffered) this.buffered.push(e);
    else this.dispatch(e);
  }

  private dispatch(e: StoreEvent): void {
    for (const c of this.caches.values()) {
      if (!e.key.startsWith(c.prefix)) continue;
      // Namespaced prefixes are `/registry/<g>/<r>/`: a resource whose name extends
      // another's (none today) would need the exact segment check below.
      if (e.key.slice(c.prefix.length).split('/').length !== (c.def.namespaced ? 2 : 1)) continue;
      if (e.rv <= (this.listRv.get(c) ?? 0)) continue;
      c.apply(e.key, e.type === 'DELETED' ? undefined : e.object, e.rv);
    }
  }

  /** Read-your-writes: a controller records what it just wrote before the event arrives. */
  wrote(resource: string, obj: KubeObject, deleted = false): void {
    const c = this.cache(resource);
    const key = `${c.prefix}${c.def.namespaced ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
    c.apply(key, deleted ? undefined : obj, Number(obj.metadata.resourceVersion));
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
