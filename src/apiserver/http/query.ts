// Query parameters of list/watch/write requests (metav1.ListOptions, CreateOptions …).
import { parseLabelSelector, SelectorParseError, type Requirement } from '../../k8s/labels.js';
import { FieldSelectorError, parseFieldSelector, type FieldRequirement } from '../../k8s/fields.js';
import { badRequest } from '../errors.js';
import type { ResourceDef } from '../registry.js';

export type Query = Record<string, string | string[] | undefined>;

export function first(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

export function all(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function bool(q: Query, name: string): boolean {
  const v = first(q, name);
  return v === 'true' || v === '1';
}

export function int(q: Query, name: string): number | undefined {
  const v = first(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

export function labels(q: Query): Requirement[] {
  const s = first(q, 'labelSelector');
  if (!s) return [];
  try {
    return parseLabelSelector(s);
  } catch (e) {
    if (e instanceof SelectorParseError) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
}

export function fields(q: Query, def: ResourceDef): FieldRequirement[] {
  const s = first(q, 'fieldSelector');
  if (!s) return [];
  let reqs: FieldRequirement[];
  try {
    reqs = parseFieldSelector(s);
  } catch (e) {
    if (e instanceof FieldSelectorError) throw badRequest(e.message);
    throw e;
  }
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...def.fieldLabels]);
  for (const r of reqs) {
    if (!allowed.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
  return reqs;
}

export function resourceVersion(q: Query): number | undefined {
  const v = first(q, 'resourceVersion');
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid resource version: ${JSON.stringify(v)}`);
  return Number(v);
}

export function dryRun(q: Query): boolean {
  const v = all(q, 'dryRun');
  for (const x of v) if (x !== 'All') throw badRequest(`Invalid dry run value: ${JSON.stringify(x)}: supported values: "All"`);
  return v.length > 0;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidation(q: Query): FieldValidation {
  const v = first(q, 'fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}; valid values: Ignore, Warn, Strict`);
}
