// Strategic merge patch (application/strategic-merge-patch+json), the format kubectl's
// client-side apply and `kubectl patch` default to (apimachinery
// pkg/util/strategicpatch). Lists with a merge key merge item by item; `$patch: delete`
// / `$patch: replace` directives, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/
// <list>` and `$retainKeys` are honoured; null deletes a field. Lists without a merge key
// are replaced, exactly as upstream does for atomic lists.
import { isPlainObject } from '../../k8s/types.js';
import { PatchError } from './json-patch.js';
import { isMergedScalarList, mergeKeyFor } from './merge-keys.js';

type Obj = Record<string, unknown>;

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function mergeList(cur: unknown[], patch: unknown[], path: string[], order: unknown[] | undefined): unknown[] {
  const key = mergeKeyFor(path);
  if (!key) {
    if (isMergedScalarList(path)) {
      const out = [...cur];
      for (const v of patch) if (!out.includes(v)) out.push(v);
      return reorder(out, order, undefined);
    }
    // `$patch: replace` inside an atomic list is just the list itself.
    return patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1)).map((p) => stripDirectives(p));
  }
  if (patch.some((p) => isPlainObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace')).map((p) => stripDirectives(p));
  }
  const out = cur.map((c) => structuredClone(c));
  for (const p of patch) {
    if (!isPlainObject(p)) throw new PatchError(`${path.join('.')}: list items must be objects (merge key ${key})`);
    if (p[key] === undefined) throw new PatchError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((c) => isPlainObject(c) && c[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeObject(out[idx] as Obj, p, [...path, '[]']);
    else out.push(mergeObject({}, p, [...path, '[]']));
  }
  return reorder(out, order, key);
}

/** `$setElementOrder` gives the final relative order of the items it names. */
function reorder(items: unknown[], order: unknown[] | undefined, key: string | undefined): unknown[] {
  if (!order) return items;
  const id = (v: unknown) => JSON.stringify(key && isPlainObject(v) ? v[key] : v);
  const orderIds = order.map((o) => JSON.stringify(key && isPlainObject(o) ? o[key] : o));
  const listed = items.filter((i) => orderIds.includes(id(i))).sort((a, b) => orderIds.indexOf(id(a)) - orderIds.indexOf(id(b)));
  const rest = items.filter((i) => !orderIds.includes(id(i)));
  return [...listed, ...rest];
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function mergeObject(cur: Obj, patch: Obj, path: string[]): Obj {
  if (patch.$patch === 'replace') return stripDirectives(patch) as Obj;
  if (patch.$patch === 'delete') return {};
  if (patch.$patch !== undefined) throw new PatchError(`Unknown patch type: ${String(patch.$patch)}`);
  let out: Obj = { ...cur };
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (k.startsWith('$')) throw new PatchError(`unknown directive ${k}`);
    if (v === null) {
      delete out[k];
      continue;
    }
    const order = patch[`${SET_ORDER}${k}`];
    if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, [...path, k], Array.isArray(order) ? order : undefined);
    } else if (isPlainObject(v)) {
      out[k] = mergeObject(isPlainObject(out[k]) ? (out[k] as Obj) : {}, v, [...path, k]);
    } else {
      out[k] = v;
    }
  }
  // An order directive alone (items unchanged) still reorders the list.
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER) || !Array.isArray(v)) continue;
    const field = k.slice(SET_ORDER.length);
    if (patch[field] === undefined && Array.isArray(out[field])) {
      // Items the order does not name were added by others and are kept (after the named ones).
      out[field] = reorder(out[field] as unknown[], v, mergeKeyFor([...path, field]));
    }
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  return out;
}

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  return mergeObject(isPlainObject(target) ? structuredClone(target) : {}, patch, []);
}
