// Server-side apply (application/apply-patch+yaml), first cut: the applied configuration
// is merged into the live object with strategic-merge semantics, and fields this manager
// applied before but no longer sets are removed (the core promise of SSA: "what I stop
// applying goes away"). Ownership conflicts between managers are not detected yet.
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
