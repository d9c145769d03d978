// metadata.managedFields bookkeeping (server-side apply's field ownership record). One
// entry per (manager, operation, subresource), replaced on every write by that manager.
// Field sets use the FieldsV1 encoding: `f:<field>` for map keys, `k:{…}` for list items
// with a merge key, `.` for the item itself; other lists are owned whole.
import { isPlainObject, type KubeObject, type ManagedFieldsEntry } from '../k8s/types.js';
import { mergeKeyFor } from './patch/merge-keys.js';

type Fields = Record<string, unknown>;

function fieldsOf(v: unknown, path: string[]): Fields {
  const out: Fields = {};
  if (isPlainObject(v)) {
    for (const [k, child] of Object.entries(v)) out[`f:${k}`] = fieldsOf(child, [...path, k]);
  } else if (Array.isArray(v)) {
    const key = mergeKeyFor(path);
    if (key) {
      for (const item of v) {
        if (!isPlainObject(item) || item[key] === undefined) continue;
        out[`k:${JSON.stringify({ [key]: item[key] })}`] = { '.': {}, ...fieldsOf(item, [...path, '[]']) };
      }
    }
  }
  return out;
}

/** The fields an object (or an applied configuration) sets, minus server-owned metadata. */
export function fieldSet(obj: KubeObject): Fields {
  const copy: Record<string, unknown> = { ...obj };
  delete copy.apiVersion;
  delete copy.kind;
  const meta: Record<string, unknown> = { ...(obj.metadata ?? {}) };
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName', 'selfLink']) delete meta[k];
  copy.metadata = meta;
  const fs = fieldsOf(copy, []);
  if (Object.keys(meta).length === 0) delete fs['f:metadata'];
  return fs;
}

export function recordManager(
  obj: KubeObject,
  entry: { manager: string; operation: 'Apply' | 'Update'; subresource?: string; fields: Fields; time: string },
): void {
  const list = (obj.metadata.managedFields ?? []).filter(
    (e) => !(e.manager === entry.manager && e.operation === entry.operation && (e.subresource ?? '') === (entry.subresource ?? '')),
  );
  const e: ManagedFieldsEntry = {
    manager: entry.manager,
    operation: entry.operation,
    apiVersion: obj.apiVersion,
    time: entry.time,
    fieldsType: 'FieldsV1',
    fieldsV1: entry.fields,
  };
  if (entry.subresource) e.subresource = entry.subresource;
  list.push(e);
  obj.metadata.managedFields = list;
}

/** The manager name upstream derives from a User-Agent when fieldManager is not given. */
export function managerFromUserAgent(ua: string | undefined): string {
  const first = (ua ?? 'unknown').split('/')[0]!.trim();
  return first.slice(0, 128) || 'unknown';
}
