// LoadBalancer IP assignment from a pool (--lb-pool), in the way bare-metal load-balancer
// implementations (MetalLB, kube-vip's cloud provider) do it: Services of type
// LoadBalancer without a foreign loadBalancerClass get one pool address per address
// family into status.loadBalancer.ingress; a requested spec.loadBalancerIP is honoured if
// it is in the pool and free. The decision is pure; the controller applies it.
import type { Condition, Service } from '../types.js';
import type { ValueAllocator } from '../allocators/value-allocator.js';

export const LB_CONDITION = 'LoadBalancerIPAllocated';
/** Services with this class (or none) are ours; any other class belongs to someone else. */
export const LB_CLASS = 'hawser.io/lb-pool';

export const wantsPoolIP = (s: Service): boolean =>
  s.spec?.type === 'LoadBalancer' && !s.metadata.deletionTimestamp && (!s.spec.loadBalancerClass || s.spec.loadBalancerClass === LB_CLASS);

export const ingressIPs = (s: Service): string[] =>
  (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((x): x is string => !!x);

export type LbDecision =
  | { kind: 'keep'; ip: string }
  | { kind: 'assign'; ip: string }
  | { kind: 'fail'; reason: 'PoolExhausted' | 'IPNotInPool' | 'IPAlreadyAllocated'; message: string }
  | { kind: 'release' };

/**
 * Decides and marks (synchronously, in `pool`) the address for one Service. `owner` is
 * the Service's key. A Service that lost its type (or is ours no longer) is released.
 */
export function decide(s: Service, pool: ValueAllocator<string>, owner: string): LbDecision {
  if (!wantsPoolIP(s)) return { kind: 'release' };
  const requested = s.spec?.loadBalancerIP;
  const current = ingressIPs(s).find((ip) => pool.contains(ip));
  if (requested) {
    if (current === requested && pool.ownerOf(requested) === owner) return { kind: 'keep', ip: requested };
    if (!pool.contains(requested)) {
      return { kind: 'fail', reason: 'IPNotInPool', message: `requested loadBalancerIP ${requested} is not in the pool ${pool.space.describe}` };
    }
    const r = pool.allocate(requested, owner);
    if (r === 'taken') return { kind: 'fail', reason: 'IPAlreadyAllocated', message: `requested loadBalancerIP ${requested} is already allocated to ${pool.ownerOf(requested)}` };
    return { kind: 'assign', ip: requested };
  }
  if (current) {
    const r = pool.allocate(current, owner);
    if (r === 'held' || r === 'ok') return { kind: 'keep', ip: current };
  }
  const ip = pool.allocateNext(owner);
  if (ip === undefined) return { kind: 'fail', reason: 'PoolExhausted', message: `no available IP in pool ${pool.space.describe}` };
  return { kind: 'assign', ip };
}

/** metav1.Condition upsert: lastTransitionTime moves only when the status changes. */
export function setCondition(conds: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
