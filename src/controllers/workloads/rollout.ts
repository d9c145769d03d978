// The Deployment rollout arithmetic (pkg/controller/deployment/util, rolling.go,
// sync.go) as pure functions: the template hash that names ReplicaSets, maxSurge and
// maxUnavailable resolution, and how far to scale the new and old ReplicaSets in one step.
import type { Deployment, PodTemplate, ReplicaSet } from '../types.js';

export const HASH_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

/** rand.SafeEncodeString's alphabet: no vowels (no words), no confusable 0/1/3 (upstream). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Canonical JSON (sorted keys), so equal templates hash equally whatever the key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** controller.ComputeHash: FNV-32a of the template (+ collisionCount), safe-encoded decimal. */
export function templateHash(tpl: PodTemplate, collisionCount?: number): string {
  const h = fnv32a(canonical(tpl) + (collisionCount ? String(collisionCount) : ''));
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

/** Template equality ignoring the hash label (EqualIgnoreHash). */
export function sameTemplate(a: PodTemplate, b: PodTemplate): boolean {
  const strip = (t: PodTemplate) => {
    const c = structuredClone(t);
    if (c.metadata?.labels) delete c.metadata.labels[HASH_LABEL];
    return canonical(c);
  };
  return strip(a) === strip(b);
}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaled(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.isInteger(Number(v)) ? Number(v) : 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** ResolveFenceposts: surge rounds up, unavailable down; both zero → unavailable 1. */
export function fenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate;
  const maxSurge = scaled(ru?.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = scaled(ru?.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const available = (rs: ReplicaSet) => rs.status?.availableReplicas ?? 0;

/** NewRSNewReplicas for RollingUpdate: how many replicas the new ReplicaSet should have now. */
export function newReplicaCount(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return replicas;
  const { maxSurge } = fenceposts(d);
  const current = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const maxTotal = replicas + maxSurge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, up);
}

/**
 * reconcileOldReplicaSets: how far each old ReplicaSet may shrink now without going under
 * replicas - maxUnavailable available pods. Returns new spec.replicas per old RS name.
 */
export function oldReplicaCounts(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, old: ReplicaSet[]): Map<string, number> {
  const out = new Map<string, number>();
  const oldCount = old.reduce((n, rs) => n + specReplicas(rs), 0);
  if (oldCount === 0) return out;
  const replicas = d.spec.replicas ?? 1;
  const { maxUnavailable } = fenceposts(d);
  const allCount = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = newRS ? specReplicas(newRS) - available(newRS) : 0;
  let maxScaledDown = allCount - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  const byAge = [...old].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  // 1. cleanupUnhealthyReplicas: unavailable old pods go first, they cost no availability.
  for (const rs of byAge) {
    if (maxScaledDown <= 0) break;
    const unhealthy = specReplicas(rs) - available(rs);
    if (unhealthy <= 0) continue;
    const cut = Math.min(maxScaledDown, unhealthy);
    out.set(rs.metadata.name!, specReplicas(rs) - cut);
    maxScaledDown -= cut;
  }
  // 2. scaleDownOldReplicaSetsForRollingUpdate: then as many available ones as allowed.
  const after = (rs: ReplicaSet) => out.get(rs.metadata.name!) ?? specReplicas(rs);
  const availableNow = all.reduce((n, rs) => n + Math.min(available(rs), after(rs)), 0);
  let total = availableNow - minAvailable;
  for (const rs of byAge) {
    if (total <= 0) break;
    const cur = after(rs);
    if (cur === 0) continue;
    const cut = Math.min(cur, total);
    out.set(rs.metadata.name!, cur - cut);
    total -= cut;
  }
  return out;
}

export const revisionOf = (rs: ReplicaSet): number => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
