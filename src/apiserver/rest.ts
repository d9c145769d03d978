// The generic REST semantics of kube-apiserver's registry (k8s.io/apiserver
// pkg/registry/generic/registry.Store): create/update/patch/delete/list over any
// registered kind, with system metadata, strategies, admission and optimistic
// concurrency. No HTTP here: app.ts maps requests onto these calls.
import { randomUUID } from 'node:crypto';
import { isPlainObject, type KubeObject } from '../k8s/types.js';
import { generateNameSuffix } from '../k8s/names.js';
import { matchesLabels, type Requirement } from '../k8s/labels.js';
import { matchesFields, type FieldRequirement } from '../k8s/fields.js';
import {
  ApiError, alreadyExists, badRequest, conflict, invalid, isApiError, notFound, type FieldError,
} from './errors.js';
import { apiVersionOfDef, collectionPrefix, storageKey, type Registry, type ResourceDef } from './registry.js';
import { isStorageError, type Storage } from './storage/types.js';
import { AdmissionChain, type AdmissionContext } from './admission.js';
import { validateObjectMeta } from './kinds/meta.js';
import { fieldSet, recordManager } from './managed-fields.js';
import type { UserInfo } from './auth/tokens.js';

export interface WriteOptions {
  dryRun?: boolean;
  user?: UserInfo;
  /** Manager recorded in managedFields (fieldManager query parameter or User-Agent). */
  fieldManager?: string;
  subresource?: string;
  /** Server-side apply: record these fields as an `Apply` entry instead of an `Update`. */
  applyFields?: Record<string, unknown>;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: string[];
}

export interface ListQuery {
  labels?: Requirement[];
  fields?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListObject {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

// Objects are plain JSON data: a JSON round trip copies them faster than structuredClone.
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function nowRfc3339(now: number = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function encodeContinue(rv: number, key: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: key })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as { v?: string; rv?: number; start?: string };
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or unknown version');
  }
}

/** Everything but metadata and status: what bumps metadata.generation. */
function specPart(o: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
}

function comparable(o: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return JSON.stringify({ ...o, metadata: meta });
}

export class Rest {
  readonly admission: AdmissionChain;
  /** Namespace name → terminating?, for the existence check on every create. */
  private namespaces = new Map<string, boolean>();

  constructor(
    readonly storage: Storage,
    readonly registry: Registry,
    admission?: AdmissionChain,
    private now: () => number = Date.now,
  ) {
    this.admission = admission ?? new AdmissionChain();
    // Any change to a namespace drops its cached state (re-read on next use).
    storage.subscribe((e) => {
      if (e.key.startsWith('/registry/core/namespaces/')) this.namespaces.delete(e.object.metadata.name ?? '');
    });
  }

  private gr(def: ResourceDef) {
    return { group: def.group, resource: def.resource };
  }

  private mapStorageError(e: unknown, def: ResourceDef, name: string): never {
    if (isStorageError(e, 'NotFound')) throw notFound(this.gr(def), name);
    if (isStorageError(e, 'Exists')) throw alreadyExists(this.gr(def), name);
    if (isStorageError(e, 'Conflict')) throw conflict(this.gr(def), name);
    throw e;
  }

  /** Decoded body → object with the URL's apiVersion/kind/namespace, or 400. */
  private normalise(def: ResourceDef, namespace: string | undefined, input: unknown): KubeObject {
    if (!isPlainObject(input)) throw badRequest('the body of the request must be a JSON object');
    const obj = clone(input) as KubeObject;
    const want = apiVersionOfDef(def);
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    }
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== def.kind) {
      throw badRequest(`${want}, Kind=${String(obj.kind)} is not a ${def.kind}: the kind in the data does not match the URL`);
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (!isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
    // Field order as upstream serialises: apiVersion, kind, metadata, then the rest.
    const { apiVersion: _a, kind: _k, metadata: m, ...rest } = obj;
    for (const k of Object.keys(obj)) delete obj[k];
    Object.assign(obj, { apiVersion: want, kind: def.kind, metadata: m, ...rest });
    if (def.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    for (const k of ['name', 'generateName', 'resourceVersion', 'uid'] as const) {
      if (m[k] !== undefined && typeof m[k] !== 'string') throw badRequest(`metadata.${k} must be a string`);
    }
    return obj;
  }

  private validate(def: ResourceDef, obj: KubeObject, old?: KubeObject, subresource?: string): void {
    const errs: FieldError[] = [...validateObjectMeta(def, obj)];
    if (!subresource || subresource === 'status') {
      errs.push(...(def.strategy.validate?.(obj) ?? []));
      if (old && !subresource) errs.push(...(def.strategy.validateUpdate?.(obj, old) ?? []));
    }
    if (errs.length) throw invalid(def.kind, def.group, obj.metadata.name ?? '', errs);
  }

  private async ensureNamespace(def: ResourceDef, namespace: string | undefined): Promise<void> {
    if (!def.namespaced || !namespace) return;
    let terminating = this.namespaces.get(namespace);
    if (terminating === undefined) {
      const nsDef = this.registry.get('', 'v1', 'namespaces')!;
      const ns = await this.storage.get(storageKey(nsDef, undefined, namespace));
      if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
      terminating = !!ns.metadata.deletionTimestamp;
      this.namespaces.set(namespace, terminating);
    }
    if (terminating) {
      throw new ApiError(403, 'Forbidden', `${def.resource} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = await this.storage.get(storageKey(def, namespace, name));
    if (!obj) throw notFound(this.gr(def), name);
    return obj;
  }

  async list(def: ResourceDef, namespace: string | undefined, q: ListQuery = {}): Promise<ListObject> {
    const prefix = collectionPrefix(def, namespace);
    let after: string | undefined;
    let rv: number | undefined;
    if (q.continueToken) ({ start: after, rv } = decodeContinue(q.continueToken));
    const limit = q.limit && q.limit > 0 ? q.limit : undefined;
    const items: KubeObject[] = [];
    let next: string | undefined;
    // Filters apply before the limit, as upstream: fetch pages until enough items match.
    for (;;) {
      const page = await this.storage.list(prefix, { after, limit: limit ? Math.max(limit, 100) : undefined });
      rv ??= page.rv;
      let stoppedAt: string | undefined;
      for (let i = 0; i < page.items.length; i++) {
        const o = page.items[i]!;
        if (this.matches(o, q)) items.push(o);
        if (limit && items.length === limit) {
          if (i < page.items.length - 1 || page.nextKey) stoppedAt = storageKey(def, o.metadata.namespace, o.metadata.name!);
          break;
        }
      }
      if (stoppedAt) { next = stoppedAt; break; }
      if (!page.nextKey || (limit && items.length === limit)) break;
      after = page.nextKey;
    }
    const list: ListObject = {
      apiVersion: apiVersionOfDef(def),
      kind: `${def.kind}List`,
      metadata: { resourceVersion: String(rv) },
      items,
    };
    if (next) list.metadata.continue = encodeContinue(rv, next);
    return list;
  }

  matches(o: KubeObject, q: Pick<ListQuery, 'labels' | 'fields'>): boolean {
    if (q.labels && q.labels.length && !matchesLabels(q.labels, o.metadata.labels)) return false;
    if (q.fields && q.fields.length && !matchesFields(q.fields, o)) return false;
    return true;
  }

  private ctx(op: AdmissionContext['op'], def: ResourceDef, name: string, o: WriteOptions, object?: KubeObject, old?: KubeObject): AdmissionContext {
    return {
      op, def, name, object, old, namespace: object?.metadata.namespace ?? old?.metadata.namespace,
      subresource: o.subresource, user: o.user, dryRun: !!o.dryRun, storage: this.storage,
    };
  }

  async create(def: ResourceDef, namespace: string | undefined, input: unknown, o: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.normalise(def, namespace, input);
    const m = obj.metadata;
    await this.ensureNamespace(def, namespace);
    const generated = (m.name === undefined || m.name === '') && typeof m.generateName === 'string' && m.generateName !== '';
    for (let attempt = 0; ; attempt++) {
      if (generated) m.name = `${m.generateName}${generateNameSuffix()}`;
      m.uid = randomUUID();
      m.creationTimestamp = nowRfc3339(this.now());
      delete m.resourceVersion;
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
      delete m.selfLink;
      if (def.tracksGeneration) m.generation = 1;
      else delete m.generation;
      def.strategy.prepareForCreate?.(obj);
      def.strategy.defaults?.(obj);
      const ctx = this.ctx('CREATE', def, m.name ?? '', o, obj);
      await this.admission.admit(ctx);
      this.validate(def, obj);
      await this.admission.validate(ctx);
      if (o.fieldManager) {
        recordManager(obj, { manager: o.fieldManager, operation: o.applyFields ? 'Apply' : 'Update', fields: o.applyFields ?? fieldSet(obj), time: m.creationTimestamp });
      }
      if (o.dryRun) return obj;
      try {
        const stored = await this.storage.create(storageKey(def, namespace, m.name!), obj);
        await this.admission.committed(ctx, stored);
        return stored;
      } catch (e) {
        // A generated name may collide: upstream retries a few times before giving up.
        if (generated && isStorageError(e, 'Exists') && attempt < 5) continue;
        this.mapStorageError(e, def, m.name!);
      }
    }
  }

  /**
   * PUT semantics. Returns the stored object and whether it was created (201).
   * `mutate` (used by patch) builds the new object from the current one.
   */
  async update(
    def: ResourceDef, namespace: string | undefined, name: string, input: unknown, o: WriteOptions = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const obj = this.normalise(def, namespace, input);
    if (obj.metadata.name !== undefined && obj.metadata.name !== '' && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    const key = storageKey(def, namespace, name);
    const old = await this.storage.get(key);
    if (!old) {
      if (def.allowCreateOnUpdate && !o.subresource) return { object: await this.create(def, namespace, obj, o), created: true };
      throw notFound(this.gr(def), name);
    }
    const given = obj.metadata.resourceVersion;
    if (given !== undefined && given !== '' && given !== old.metadata.resourceVersion) throw conflict(this.gr(def), name);
    return { object: await this.write(def, key, old, obj, o), created: false };
  }

  /** The shared tail of update and patch: merge with the stored object, check, store. */
  private async write(def: ResourceDef, key: string, old: KubeObject, obj: KubeObject, o: WriteOptions): Promise<KubeObject> {
    const name = old.metadata.name!;
    let next: KubeObject;
    if (o.subresource === 'status') {
      next = clone(old);
      next.status = obj.status;
    } else {
      next = obj;
      const m = next.metadata;
      const om = old.metadata;
      m.uid = om.uid;
      m.creationTimestamp = om.creationTimestamp;
      m.namespace = om.namespace;
      if (om.deletionTimestamp) m.deletionTimestamp = om.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (om.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
      else delete m.deletionGracePeriodSeconds;
      if (om.generation !== undefined) m.generation = om.generation;
      else delete m.generation;
      // The main resource never changes status; subresources (binding) may.
      if (def.subresources.includes('status') && !o.subresource) {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
      def.strategy.prepareForUpdate?.(next, old);
    }
    def.strategy.defaults?.(next);
    if (def.tracksGeneration && specPart(next) !== specPart(old)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    const ctx = this.ctx('UPDATE', def, name, o, next, old);
    await this.admission.admit(ctx);
    this.validate(def, next, old, o.subresource);
    await this.admission.validate(ctx);
    if (comparable(next) === comparable(old)) return old; // no-op: no new revision, no event
    if (o.fieldManager) {
      recordManager(next, {
        manager: o.fieldManager, operation: o.applyFields ? 'Apply' : 'Update', subresource: o.subresource,
        fields: o.applyFields ?? fieldSet(next), time: nowRfc3339(this.now()),
      });
    }
    if (o.dryRun) return next;
    const expected = Number(old.metadata.resourceVersion);
    try {
      // The last finalizer removed from an object being deleted: the delete completes.
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
        const gone = await this.storage.delete(key, expected);
        await this.admission.committed({ ...ctx, op: 'DELETE' }, gone);
        return next;
      }
      const stored = await this.storage.update(key, next, expected);
      await this.admission.committed(ctx, stored);
      return stored;
    } catch (e) {
      this.mapStorageError(e, def, name);
    }
  }

  /**
   * Read-modify-write with retries on conflict, as upstream's GuaranteedUpdate: `apply`
   * computes the new object from the current one (patches). When `createIfMissing` is
   * given and the object does not exist, the result of applying to undefined is created.
   */
  async patch(
    def: ResourceDef, namespace: string | undefined, name: string,
    apply: (current: KubeObject | undefined) => KubeObject, o: WriteOptions & { createIfMissing?: boolean } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = storageKey(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.storage.get(key);
      if (!cur) {
        if (!o.createIfMissing) throw notFound(this.gr(def), name);
        const fresh = apply(undefined);
        return { object: await this.create(def, namespace, { ...fresh, metadata: { ...fresh.metadata, name } }, o), created: true };
      }
      const patched = this.normalise(def, namespace, apply(clone(cur)));
      if (patched.metadata.name !== name) throw badRequest(`the name of the object (${String(patched.metadata.name)}) does not match the name on the URL (${name})`);
      const askedRv = patched.metadata.resourceVersion;
      if (askedRv !== undefined && askedRv !== cur.metadata.resourceVersion) throw conflict(this.gr(def), name);
      try {
        return { object: await this.write(def, key, cur, patched, o), created: false };
      } catch (e) {
        const retriable = isApiError(e) && e.reason === 'Conflict' && askedRv === cur.metadata.resourceVersion && attempt < 10;
        if (!retriable) throw e;
      }
    }
  }

  async delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}, o: WriteOptions = {}): Promise<KubeObject> {
    const key = storageKey(def, namespace, name);
    const cur = await this.storage.get(key);
    if (!cur) throw notFound(this.gr(def), name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid) {
      throw conflict(this.gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(this.gr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    await this.admission.validate(this.ctx('DELETE', def, name, o, undefined, cur));
    const dryRun = o.dryRun || (opts.dryRun ?? []).includes('All');
    if (dryRun) return cur;
    const grace = this.gracefulDelete(def, cur, opts);
    const hasFinalizers = (cur.metadata.finalizers ?? []).length > 0;
    if (grace !== undefined || hasFinalizers) {
      const m = cur.metadata;
      if (grace !== undefined && m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds <= grace) return cur;
      if (grace === undefined && m.deletionTimestamp) return cur;
      const next = clone(cur);
      next.metadata.deletionTimestamp = nowRfc3339(this.now() + (grace ?? 0) * 1000);
      next.metadata.deletionGracePeriodSeconds = grace ?? 0;
      try {
        return await this.storage.update(key, next, Number(m.resourceVersion));
      } catch (e) {
        this.mapStorageError(e, def, name);
      }
    }
    if (def.group === '' && def.resource === 'namespaces') await this.deleteNamespaceContents(name);
    try {
      const gone = await this.storage.delete(key, Number(cur.metadata.resourceVersion));
      await this.admission.committed(this.ctx('DELETE', def, name, o, undefined, cur), gone);
      return gone;
    } catch (e) {
      this.mapStorageError(e, def, name);
    }
  }

  /**
   * Pods bound to a node are deleted gracefully (deletionTimestamp now + grace) so the
   * kubelet can stop them and then delete with grace 0 (upstream podStrategy.CheckGracefulDelete).
   * Returns undefined for an immediate delete.
   */
  private gracefulDelete(def: ResourceDef, cur: KubeObject, opts: DeleteOptions): number | undefined {
    if (!(def.group === '' && def.resource === 'pods')) return undefined;
    const spec = isPlainObject(cur.spec) ? cur.spec : {};
    const phase = isPlainObject(cur.status) ? cur.status.phase : undefined;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return undefined;
    const grace = opts.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    return grace > 0 ? grace : undefined;
  }

  /**
   * Until the namespace controller (issue 4) exists, a namespace's content is removed
   * synchronously when it is deleted; finalizers inside it are not waited for.
   */
  private async deleteNamespaceContents(ns: string): Promise<void> {
    for (const d of this.registry.all().filter((x) => x.namespaced)) {
      const { items } = await this.storage.list(collectionPrefix(d, ns));
      for (const it of items) {
        try {
          await this.storage.delete(storageKey(d, ns, it.metadata.name!));
        } catch (e) {
          if (!isStorageError(e, 'NotFound')) throw e;
        }
      }
    }
  }

  async deleteCollection(def: ResourceDef, namespace: string | undefined, q: ListQuery, opts: DeleteOptions, o: WriteOptions = {}): Promise<ListObject> {
    const list = await this.list(def, namespace, { labels: q.labels, fields: q.fields });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        deleted.push(await this.delete(def, item.metadata.namespace, item.metadata.name!, opts, o));
      } catch (e) {
        if (!(isApiError(e) && e.reason === 'NotFound')) throw e;
      }
    }
    return { ...list, items: deleted };
  }
}
