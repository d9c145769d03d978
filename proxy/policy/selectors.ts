// LabelSelector matching (metav1.LabelSelectorAsSelector) with NetworkPolicy's nil/empty
// distinction left to the caller. Kept here rather than shared: src/k8s had no committed
// selector matcher when this was written (src/k8s/labels.ts may replace it later).
// Compiled requirements are cached per selector object: a sync matches every peer
// selector against every pod, so re-reading selectors would dominate compile time.
import type { LabelSelector } from './types.js';

type Op = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

const compiled = new WeakMap<LabelSelector, Requirement[] | null>();

/**
 * null: the selector is invalid (unknown operator, In/NotIn without values, Exists with
 * values). The apiserver refuses such objects; reading them as "selects nothing" keeps a
 * bad object from opening more than was written.
 */
function requirements(sel: LabelSelector): Requirement[] | null {
  const cached = compiled.get(sel);
  if (cached !== undefined) return cached;
  let reqs: Requirement[] | null = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'In' as Op, values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator as Op;
    const values = e.values ?? [];
    const ok = op === 'In' || op === 'NotIn' ? values.length > 0 : (op === 'Exists' || op === 'DoesNotExist') && values.length === 0;
    if (!ok) { reqs = null; break; }
    reqs.push({ key: e.key, op, values });
  }
  compiled.set(sel, reqs);
  return reqs;
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'In': return has && r.values.includes(labels[r.key]!);
    // apimachinery: NotIn also matches objects that lack the key.
    case 'NotIn': return !has || !r.values.includes(labels[r.key]!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
  }
}

/**
 * An empty selector ({}) matches everything. A missing selector is the caller's business:
 * its meaning differs by field (a missing spec.podSelector is the empty selector; a missing
 * namespaceSelector in a peer means "the policy's own namespace").
 */
export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const reqs = requirements(sel);
  return reqs !== null && reqs.every((r) => matches(r, labels ?? {}));
}

export function selectorValid(sel: LabelSelector): boolean {
  return requirements(sel) !== null;
}
