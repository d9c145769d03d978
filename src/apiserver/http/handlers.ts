// Resource requests: verb resolution, authorization, and the mapping of each verb and
// subresource onto the Rest layer, with upstream's status codes (201 created, 202 deletion
// pending) and content negotiation (JSON, Table).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { ApiError, badRequest, conflict, methodNotAllowed, forbidden, pathNotFound, unsupportedMediaType } from '../errors.js';
import { apiVersionOfDef, collectionPrefix, storageKey, type ResourceDef } from '../registry.js';
import type { Rest, WriteOptions, DeleteOptions } from '../rest.js';
import type { WatchCache } from '../watch/cache.js';
import { serveWatch } from '../watch/stream.js';
import { applyJsonPatch, PatchError } from '../patch/json-patch.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import { applyStrategicMergePatch } from '../patch/strategic.js';
import { fieldPathText, findApplyConflicts, serverSideApply, takeOwnership, validateApplyBody } from '../patch/apply.js';
import { toTable, wantsTable } from '../table.js';
import { duplicateJsonFields, unknownFields } from '../strict.js';
import { forbiddenMessage, type Authorizer } from '../auth/authorizer.js';
import type { UserInfo } from '../auth/tokens.js';
import { managerFromUserAgent } from '../managed-fields.js';
import { bodyFormat, decodeObjectBody, parseJson, parseYaml, type BodyFormat } from './body.js';
import type { ResourcePath } from './paths.js';
import * as Q from './query.js';

export interface HandlerContext {
  rest: Rest;
  cache: WatchCache;
  authorizer: Authorizer;
  bookmarkIntervalMs: number;
  /** Open watch streams, ended when the server closes. */
  watches: Set<() => void>;
}

function verbOf(method: string, p: ResourcePath, q: Q.Query): string {
  switch (method) {
    case 'GET': case 'HEAD': return p.name ? 'get' : Q.bool(q, 'watch') ? 'watch' : 'list';
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return p.name ? 'delete' : 'deletecollection';
    default: throw methodNotAllowed();
  }
}

function bodyBuffer(req: FastifyRequest): Buffer {
  const b = req.body;
  if (b === undefined || b === null) return Buffer.alloc(0);
  return Buffer.isBuffer(b) ? b : Buffer.from(String(b));
}

/** Strict/Warn field validation of a decoded body; warnings go into the Warning header. */
function checkFields(def: ResourceDef, obj: unknown, raw: Buffer, format: BodyFormat, mode: Q.FieldValidation, reply: FastifyReply): void {
  if (mode === 'Ignore') return;
  const problems = [
    // Duplicates are looked for only when they would fail the request (a full scan of the body).
    ...(mode === 'Strict' && (format === 'json' || format === 'merge-patch' || format === 'strategic-merge-patch') ? duplicateJsonFields(raw.toString('utf8')).map((f) => `duplicate field "${f}"`) : []),
    ...unknownFields(def, obj).map((f) => `unknown field "${f}"`),
  ];
  if (problems.length === 0) return;
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${problems.join(', ')}`);
  reply.header('Warning', problems.map((p) => `299 - ${JSON.stringify(p)}`));
}

function writeOptions(req: FastifyRequest, q: Q.Query, user: UserInfo | undefined, subresource?: string): WriteOptions {
  const fm = Q.first(q, 'fieldManager');
  if (fm !== undefined && fm.length > 128) throw badRequest('fieldManager: Too long: may not be longer than 128 characters');
  return { dryRun: Q.dryRun(q), user, subresource, fieldManager: fm || managerFromUserAgent(req.headers['user-agent']) };
}

function toScale(def: ResourceDef, o: KubeObject): KubeObject {
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const status = isPlainObject(o.status) ? o.status : {};
  const sel = isPlainObject(spec.selector) && isPlainObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',') },
  };
}

function applyPatchDoc(format: BodyFormat, current: unknown, doc: unknown): unknown {
  try {
    switch (format) {
      case 'json-patch': return applyJsonPatch(current, doc);
      case 'merge-patch': return applyMergePatch(current, doc);
      case 'strategic-merge-patch': return applyStrategicMergePatch(current, doc);
      default: throw unsupportedMediaType(format);
    }
  } catch (e) {
    if (e instanceof PatchError) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${e.message}`);
    throw e;
  }
}

function parsePatchBody(format: BodyFormat, raw: Buffer): unknown {
  if (raw.length === 0) throw badRequest('the body of the request was empty');
  if (format === 'apply-yaml') return parseYaml(raw);
  const doc = parseJson(raw);
  if (format === 'json-patch' && !Array.isArray(doc)) throw badRequest('json patch must be a JSON array of operations');
  if (format !== 'json-patch' && !isPlainObject(doc)) throw badRequest('patch body must be a JSON object');
  return doc;
}

export async function handleResource(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, p: ResourcePath, user: UserInfo | undefined): Promise<unknown> {
  const { rest } = ctx;
  const def = rest.registry.get(p.group, p.version, p.resource);
  if (!def) throw pathNotFound();
  if (p.namespace !== undefined && !def.namespaced) throw pathNotFound();
  if (p.subresource && !def.subresources.includes(p.subresource as 'status')) throw pathNotFound();
  if (p.subresource && !p.name) throw pathNotFound();
  const q = req.query as Q.Query;
  const verb = verbOf(req.method, p, q);
  if (!def.verbs.includes(verb) && !p.subresource) throw methodNotAllowed();
  if ((verb === 'update' || verb === 'patch') && !p.name) throw methodNotAllowed();
  if (verb === 'create' && p.name && p.subresource !== 'binding') throw methodNotAllowed();
  if (p.subresource === 'binding' && verb !== 'create') throw methodNotAllowed();
  if (user) {
    const attrs = { verb, group: def.group, resource: def.resource, subresource: p.subresource, namespace: p.namespace, name: p.name };
    const d = await ctx.authorizer.authorize(user, { resource: attrs });
    if (!d.allowed) throw forbidden(forbiddenMessage(user, attrs), { group: def.group, resource: def.resource }, p.name);
  }
  if (def.group === 'authorization.k8s.io') return accessReview(ctx, req, reply, user);
  const ns = def.namespaced ? p.namespace : undefined;
  const table = wantsTable(req.headers.accept);
  const tableOpts = { includeObject: (Q.first(q, 'includeObject') as 'None' | 'Metadata' | 'Object' | undefined) ?? 'Metadata' };

  switch (verb) {
    case 'get': {
      const obj = await rest.get(def, ns, p.name!);
      if (p.subresource === 'scale') return toScale(def, obj);
      return table ? toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, tableOpts) : obj;
    }
    case 'list': {
      const list = await rest.list(def, ns, { labels: Q.labels(q), fields: Q.fields(q, def), limit: Q.int(q, 'limit'), continueToken: Q.first(q, 'continue') || undefined });
      return table ? toTable(def, list.items, list.metadata, tableOpts) : list;
    }
    case 'watch': return startWatch(ctx, req, reply, def, ns, q, table ? tableOpts : undefined);
    case 'create': return create(ctx, req, reply, def, ns, p, q, user);
    case 'update': return update(ctx, req, reply, def, ns, p, q, user);
    case 'patch': return patch(ctx, req, reply, def, ns, p, q, user);
    case 'delete': {
      const opts = deleteOptions(req);
      const wo = writeOptions(req, q, user);
      const before = await rest.get(def, ns, p.name!);
      const res = await rest.delete(def, ns, p.name!, opts, wo);
      const pending = !wo.dryRun && (await rest.storage.get(storageKey(def, ns, p.name!)))?.metadata.uid === before.metadata.uid;
      reply.code(pending ? 202 : 200);
      if (def.group === '' && ['pods', 'services', 'namespaces'].includes(def.resource) || pending) return res;
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: p.name, group: def.group, kind: def.resource, uid: before.metadata.uid } };
    }
    case 'deletecollection': {
      return rest.deleteCollection(def, ns, { labels: Q.labels(q), fields: Q.fields(q, def) }, deleteOptions(req), writeOptions(req, q, user));
    }
  }
  throw methodNotAllowed();
}

function deleteOptions(req: FastifyRequest): DeleteOptions {
  const raw = bodyBuffer(req);
  const q = req.query as Q.Query;
  const opts: DeleteOptions = {};
  if (raw.length > 0) {
    const body = parseJson(raw);
    if (!isPlainObject(body)) throw badRequest('DeleteOptions must be a JSON object');
    if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`expected DeleteOptions, got ${String(body.kind)}`);
    if (body.gracePeriodSeconds !== undefined && typeof body.gracePeriodSeconds !== 'number') throw badRequest('gracePeriodSeconds must be an integer');
    Object.assign(opts, body);
  }
  const g = Q.int(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  const pp = Q.first(q, 'propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(opts.propagationPolicy)}`);
  }
  if (Q.dryRun(q)) opts.dryRun = ['All'];
  return opts;
}

async function create(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, def: ResourceDef, ns: string | undefined, p: ResourcePath, q: Q.Query, user?: UserInfo) {
  const raw = bodyBuffer(req);
  const format = bodyFormat(req.headers['content-type']);
  const body = decodeObjectBody(format, raw);
  if (p.subresource === 'binding') return bind(ctx, reply, def, ns, p.name!, body, writeOptions(req, q, user, 'binding'));
  checkFields(def, body, raw, format, Q.fieldValidation(q), reply);
  const obj = await ctx.rest.create(def, ns, body, writeOptions(req, q, user));
  reply.code(201);
  return obj;
}

async function bind(ctx: HandlerContext, reply: FastifyReply, def: ResourceDef, ns: string | undefined, name: string, body: unknown, wo: WriteOptions) {
  const b = isPlainObject(body) ? body : {};
  const target = isPlainObject(b.target) ? b.target : {};
  if (typeof target.name !== 'string' || target.name === '') throw new ApiError(422, 'Invalid', 'Binding "' + name + '" is invalid: target.name: Required value');
  await ctx.rest.patch(def, ns, name, (cur) => {
    const pod = cur!;
    const spec = isPlainObject(pod.spec) ? pod.spec : (pod.spec = {});
    if (pod.metadata.deletionTimestamp) throw conflict({ group: '', resource: 'pods' }, name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw conflict({ group: '', resource: 'pods' }, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    spec.nodeName = target.name;
    const status = isPlainObject(pod.status) ? pod.status : (pod.status = {});
    const conds = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isPlainObject(c) && c.type === 'PodScheduled'));
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    status.conditions = conds;
    return pod;
  }, wo);
  reply.code(201);
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}

async function update(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, def: ResourceDef, ns: string | undefined, p: ResourcePath, q: Q.Query, user?: UserInfo) {
  const raw = bodyBuffer(req);
  const format = bodyFormat(req.headers['content-type']);
  const body = decodeObjectBody(format, raw);
  if (p.subresource === 'scale') {
    const s = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
    if (typeof s.replicas !== 'number' || !Number.isInteger(s.replicas) || s.replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale "${p.name!}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(s.replicas ?? null)}: must be greater than or equal to 0`);
    }
    const { object } = await ctx.rest.patch(def, ns, p.name!, (cur) => ({ ...cur!, spec: { ...(cur!.spec as object), replicas: s.replicas } }), writeOptions(req, q, user));
    return toScale(def, object);
  }
  checkFields(def, body, raw, format, Q.fieldValidation(q), reply);
  const { object, created } = await ctx.rest.update(def, ns, p.name!, body, writeOptions(req, q, user, p.subresource));
  reply.code(created ? 201 : 200);
  return object;
}

async function patch(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, def: ResourceDef, ns: string | undefined, p: ResourcePath, q: Q.Query, user?: UserInfo) {
  const raw = bodyBuffer(req);
  const format = bodyFormat(req.headers['content-type']);
  if (!['json-patch', 'merge-patch', 'strategic-merge-patch', 'apply-yaml'].includes(format)) {
    throw unsupportedMediaType(req.headers['content-type'] ?? '');
  }
  const doc = parsePatchBody(format, raw);
  const wo = writeOptions(req, q, user, p.subresource);
  const mode = Q.fieldValidation(q);
  if (p.subresource === 'scale') {
    const { object } = await ctx.rest.patch(def, ns, p.name!, (cur) => {
      const scaled = applyPatchDoc(format === 'apply-yaml' ? 'merge-patch' : format, toScale(def, cur!), doc);
      const s = isPlainObject(scaled) && isPlainObject(scaled.spec) ? scaled.spec : {};
      if (typeof s.replicas !== 'number' || !Number.isInteger(s.replicas) || s.replicas < 0) {
        throw new ApiError(422, 'Invalid', `Scale "${p.name!}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(s.replicas ?? null)}: must be greater than or equal to 0`);
      }
      return { ...cur!, spec: { ...(cur!.spec as object), replicas: s.replicas } };
    }, { ...wo, subresource: undefined });
    return toScale(def, object);
  }
  if (format === 'apply-yaml') {
    const applied = validateApplyBody(doc);
    if (applied.apiVersion !== apiVersionOfDef(def) || applied.kind !== def.kind) {
      throw badRequest(`the apply patch's apiVersion/kind (${applied.apiVersion}/${applied.kind}) does not match the URL (${apiVersionOfDef(def)}/${def.kind})`);
    }
    if (applied.metadata?.name !== undefined && applied.metadata.name !== p.name) {
      throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${p.name!})`);
    }
    checkFields(def, applied, raw, format, mode === 'Warn' ? 'Warn' : mode, reply);
    const manager = Q.first(q, 'fieldManager');
    if (!manager) throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = Q.bool(q, 'force');
    let fields: Record<string, unknown> = {};
    const res = await ctx.rest.patch(def, ns, p.name!, (cur) => {
      const config = { ...applied, metadata: { ...(applied.metadata ?? {}), name: p.name } };
      const r = serverSideApply(cur, config, manager);
      fields = r.fields;
      const conflicts = cur ? findApplyConflicts(cur, config, r.fields, manager) : [];
      if (conflicts.length && !force) {
        const text = conflicts.map((c) => `conflict with "${c.manager}": ${fieldPathText(c.path)}`);
        throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${text.join(', ')}`, {
          causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: fieldPathText(c.path) })),
        });
      }
      takeOwnership(r.object, conflicts);
      return r.object;
    }, { ...wo, fieldManager: manager, get applyFields() { return fields; }, createIfMissing: !p.subresource });
    reply.code(res.created ? 201 : 200);
    return res.object;
  }
  const { object } = await ctx.rest.patch(def, ns, p.name!, (cur) => {
    const patched = applyPatchDoc(format, cur, doc);
    checkFields(def, patched, raw, format, mode, reply);
    return patched as KubeObject;
  }, wo);
  return object;
}

function startWatch(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, def: ResourceDef, ns: string | undefined, q: Q.Query, tableOpts?: { includeObject: 'None' | 'Metadata' | 'Object' }) {
  const labels = Q.labels(q);
  const fields = Q.fields(q, def);
  const rv = Q.resourceVersion(q);
  const timeout = Q.int(q, 'timeoutSeconds');
  const bookmarks = Q.bool(q, 'allowWatchBookmarks');
  const sendInitial = Q.first(q, 'sendInitialEvents');
  const matches = (o: KubeObject) => ctx.rest.matches(o, { labels, fields });
  const render = tableOpts ? (o: KubeObject) => toTable(def, [o], { resourceVersion: o.metadata.resourceVersion }, tableOpts) : undefined;
  const bookmark = (r: number, annotations?: Record<string, string>): KubeObject => ({
    kind: def.kind, apiVersion: apiVersionOfDef(def), metadata: { resourceVersion: String(r), ...(annotations ? { annotations } : {}) },
  });
  const go = (fromRv: number, initial: KubeObject[] | undefined) => {
    reply.hijack();
    const end = serveWatch(reply.raw, ctx.cache, {
      prefix: collectionPrefix(def, ns),
      fromRv,
      matches,
      initial,
      render,
      afterInitial: sendInitial === 'true' && bookmarks ? () => bookmark(fromRv, { 'k8s.io/initial-events-end': 'true' }) : undefined,
      bookmarks: bookmarks ? { intervalMs: ctx.bookmarkIntervalMs, make: (r) => bookmark(r) } : undefined,
      timeoutMs: timeout !== undefined && timeout > 0 ? timeout * 1000 : 30 * 60_000,
    });
    ctx.watches.add(end);
    reply.raw.on('close', () => ctx.watches.delete(end));
  };
  // Unset or "0": start from the current state, sent as synthetic ADDED events first.
  if ((rv === undefined || rv === 0) && sendInitial !== 'false' || sendInitial === 'true') {
    return ctx.rest.list(def, ns, { labels, fields }).then((list) => {
      go(Number(list.metadata.resourceVersion), list.items);
      return reply;
    });
  }
  go(rv ?? ctx.cache.revision(), undefined);
  return reply;
}


/** SelfSubjectAccessReview: "may I?" answered by the same authorizer that guards requests. */
async function accessReview(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply, user: UserInfo | undefined) {
  const body = decodeObjectBody(bodyFormat(req.headers['content-type']), bodyBuffer(req));
  const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
  const ra = isPlainObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isPlainObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (!ra && !nra) throw new ApiError(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  let allowed = true;
  let reason = 'no authentication configured';
  if (user) {
    const d = ra
      ? await ctx.authorizer.authorize(user, { resource: { verb: s(ra.verb) ?? '', group: s(ra.group) ?? '', resource: s(ra.resource) ?? '', subresource: s(ra.subresource), namespace: s(ra.namespace), name: s(ra.name) } })
      : await ctx.authorizer.authorize(user, { nonResource: { verb: s(nra!.verb) ?? '', path: s(nra!.path) ?? '' } });
    allowed = d.allowed;
    reason = d.reason ?? (d.allowed ? 'allowed by RBAC' : '');
  }
  reply.code(201);
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec, status: { allowed, ...(reason ? { reason } : {}) } };
}
