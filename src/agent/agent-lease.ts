// Agent liveness for the L2 announcer: every agent renews a short Lease
// kube-node-lease/hawser-agent-<node> and watches the others'. An agent whose Lease has not
// changed for its leaseDurationSeconds is taken as dead and its LoadBalancer IPs move.
// The kubelet's own node Lease (40 s) is too slow for a takeover, and an agent can die
// while its kubelet lives on.
//
// Freshness is judged by when THIS agent last saw the Lease change (client-go's leader
// election does the same), not by comparing renewTime with our clock: node clocks differ.
import type { V1Lease } from '@kubernetes/client-node';
import { microTime } from '../kubelet/node-status.js';
import { isNotFoundError, type Rest } from '../kubelet/rest.js';

export const AGENT_LEASE_NAMESPACE = 'kube-node-lease';
export const AGENT_LEASE_LABEL = 'hawser.dev/agent-lease';
export const agentLeaseName = (node: string) => `hawser-agent-${node}`;

export interface LeaseTimes {
  /** How long a Lease stays valid without renewal. */
  durationSeconds: number;
  /** How often our own Lease is renewed. */
  renewMs: number;
}

interface Seen {
  version: string;
  at: number;
  durationMs: number;
}

/** The pure part: which holders are live, from the Lease changes seen and when. */
export class LeaseLiveness {
  private readonly seen = new Map<string, Seen>();

  observe(lease: V1Lease | undefined, holder: string, now: number): void {
    if (!lease) {
      this.seen.delete(holder);
      return;
    }
    const version = `${lease.spec?.renewTime ?? ''}/${lease.spec?.holderIdentity ?? ''}`;
    const prev = this.seen.get(holder);
    if (prev?.version === version) return;
    this.seen.set(holder, { version, at: now, durationMs: (lease.spec?.leaseDurationSeconds ?? 15) * 1000 });
  }

  live(now: number): Set<string> {
    return new Set([...this.seen].filter(([, s]) => now - s.at < s.durationMs).map(([h]) => h));
  }

  /** When the next holder will expire (to re-elect at that moment), or undefined. */
  nextExpiry(now: number): number | undefined {
    const times = [...this.seen.values()].map((s) => s.at + s.durationMs).filter((t) => t > now);
    return times.length ? Math.min(...times) : undefined;
  }
}

export function holderOf(lease: V1Lease): string | undefined {
  const name = lease.metadata?.name ?? '';
  return lease.metadata?.labels?.[AGENT_LEASE_LABEL] !== undefined && name.startsWith('hawser-agent-') ? name.slice('hawser-agent-'.length) : undefined;
}

/** Create or renew our own Lease. */
export async function renewAgentLease(api: Rest, node: string, times: LeaseTimes, now = new Date()): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases`;
  const spec = { holderIdentity: node, leaseDurationSeconds: times.durationSeconds, renewTime: microTime(now) };
  try {
    await api.patch(`${path}/${agentLeaseName(node)}`, { spec }, 'merge');
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
    await api.post(path, {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: agentLeaseName(node), namespace: AGENT_LEASE_NAMESPACE, labels: { [AGENT_LEASE_LABEL]: 'true' } },
      spec: { ...spec, acquireTime: spec.renewTime },
    });
  }
}

/** A graceful stop hands our IPs over at once instead of after the Lease expires. */
export async function releaseAgentLease(api: Rest, node: string): Promise<void> {
  await api.delete(`/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE_NAMESPACE}/leases/${agentLeaseName(node)}`).catch((e: unknown) => {
    if (!isNotFoundError(e)) throw e;
  });
}
