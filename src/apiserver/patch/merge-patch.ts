// RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge recursively,
// null deletes, everything else (lists included) replaces.
import { isPlainObject } from '../../k8s/types.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
