// Server-side apply (application/apply-patch+yaml): the applied configuration is merged
// into the live object with strategic-merge semantics; fields this manager applied before
// but no longer sets are removed (SSA's promise: "what I stop applying goes away"); a
// field another applier owns with a different value is a 409 conflict unless force=true.
import { isPlainObject, type KubeObject } from '../../k8s/types.js';
import { badRequest } from '../errors.js';
import { fieldSet } from '../managed-fields.js';
import { mergeObject } from './strategic.js';
import { mergeKeyFor } from './merge-keys.js';

type Fields = Record<string, unknown>;

export function validateApplyBody(applied: unknown): KubeObject {
  if (!isPlainObject(applied)) throw badRequest('apply patch must be a single object (YAML or JSON)');
  if (typeof applied.apiVersion !== 'string' || applied.apiVersion === '' || typeof applied.kind !== 'string' || applied.kind === '') {
    throw badRequest('invalid object type: apiVersion and kind must be set in an apply patch');
  }
  if (applied.metadata !== undefined && !isPlainObject(applied.metadata)) throw badRequest('metadata must be an object');
  return applied as KubeObject;
}

/** Removes from `obj` every field in `drop` (a FieldsV1 set) that `keep` does not contain. */
function prune(obj: unknown, drop: Fields, keep: Fields, path: string[]): void {
  if (!isPlainObject(obj)) return;
  for (const [k, sub] of Object.entries(drop)) {
    if (k.startsWith('f:')) {
      const name = k.slice(2);
      const keepSub = keep[k] as Fields | undefined;
      const subFields = (sub ?? {}) as Fields;
      if (!keepSub) {
        delete obj[name];
      } else if (Object.keys(subFields).length > 0) {
        const child = obj[name];
        if (Array.isArray(child)) pruneList(child, subFields, keepSub, [...path, name], obj, name);
        else prune(child, subFields, keepSub, [...path, name]);
      }
    }
  }
}

function pruneList(list: unknown[], drop: Fields, keep: Fields, path: string[], parent: Record<string, unknown>, name: string): void {
  const key = mergeKeyFor(path);
  if (!key) return;
  const out: unknown[] = [];
  for (const item of list) {
    if (!isPlainObject(item)) { out.push(item); continue; }
    const id = `k:${JSON.stringify({ [key]: item[key] })}`;
    if (drop[id] && !keep[id]) continue;
    if (drop[id] && keep[id]) prune(item, drop[id] as Fields, keep[id] as Fields, [...path, '[]']);
    out.push(item);
  }
  parent[name] = out;
}

export interface ApplyResult {
  object: KubeObject;
  fields: Fields;
}

export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, manager: string): ApplyResult {
  const fields = fieldSet(applied);
  if (!live) return { object: structuredClone(applied), fields };
  const merged = mergeObject(structuredClone(live) as Record<string, unknown>, structuredClone(applied) as Record<string, unknown>, []) as KubeObject;
  const previous = (live.metadata.managedFields ?? []).find((e) => e.manager === manager && e.operation === 'Apply' && !e.subresource);
  if (previous?.fieldsV1) prune(merged, previous.fieldsV1 as Fields, fields, []);
  return { object: merged, fields };
}

/** A field another applier owns with a different value than this apply sets. */
export interface ApplyConflict {
  manager: string;
  path: string[];
}

function leaves(fs: Fields, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, sub] of Object.entries(fs)) {
    if (k === '.') continue;
    const children = Object.keys((sub ?? {}) as Fields).filter((c) => c !== '.');
    if (children.length === 0) out.push([...prefix, k]);
    else out.push(...leaves(sub as Fields, [...prefix, k]));
  }
  return out;
}

function has(fs: Fields, path: string[]): boolean {
  let cur: unknown = fs;
  for (const seg of path) {
    if (!isPlainObject(cur) || !(seg in cur)) return false;
    cur = cur[seg];
  }
  return true;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (seg.startsWith('f:')) {
      cur = isPlainObject(cur) ? cur[seg.slice(2)] : undefined;
    } else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as Record<string, unknown>;
      cur = Array.isArray(cur) ? cur.find((i) => isPlainObject(i) && Object.entries(key).every(([k, v]) => i[k] === v)) : undefined;
    }
  }
  return cur;
}

/** Upstream's rendering of a field path: `.spec.ports[port=80].targetPort`. */
export function fieldPathText(path: string[]): string {
  return path.map((seg) => {
    if (seg.startsWith('f:')) return `.${seg.slice(2)}`;
    const key = JSON.parse(seg.slice(2)) as Record<string, unknown>;
    return `[${Object.entries(key).map(([k, v]) => `${k}=${String(v)}`).join(',')}]`;
  }).join('');
}

/**
 * Fields this apply sets that another *applier* owns with a different value. Managers of
 * plain updates are not considered: their entries record whole objects here, not the
 * fields they changed, so they would conflict on everything.
 */
export function findApplyConflicts(live: KubeObject, applied: KubeObject, fields: Fields, manager: string): ApplyConflict[] {
  const out: ApplyConflict[] = [];
  const mine = leaves(fields);
  for (const e of live.metadata.managedFields ?? []) {
    if (e.operation !== 'Apply' || e.manager === manager || e.subresource || !e.fieldsV1) continue;
    for (const leaf of mine) {
      if (!has(e.fieldsV1 as Fields, leaf)) continue;
      if (JSON.stringify(valueAt(live, leaf)) !== JSON.stringify(valueAt(applied, leaf))) out.push({ manager: e.manager ?? '', path: leaf });
    }
  }
  return out;
}

/** With force=true the applier takes the conflicting fields over from their owners. */
export function takeOwnership(obj: KubeObject, conflicts: ApplyConflict[]): void {
  for (const c of conflicts) {
    const e = (obj.metadata.managedFields ?? []).find((m) => m.manager === c.manager && m.operation === 'Apply' && !m.subresource);
    if (!e?.fieldsV1) continue;
    let cur: Fields | undefined = e.fieldsV1 as Fields;
    for (const seg of c.path.slice(0, -1)) cur = cur?.[seg] as Fields | undefined;
    if (cur) delete cur[c.path[c.path.length - 1]!];
  }
}
