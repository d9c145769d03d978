// Per-policy counters read back from a listed table (NftBackend.listTable): every allow
// rule carries `counter` and the comment `<ns>/<policy> <direction>[<rule index>]`, every
// per-pod deny rule `deny <direction> <ns>/<pod> isolated by <policies>`. The kernel lists
// the rule as `… counter packets N bytes M …`, so summing by comment maps counts back to
// policies without a named counter object per policy (which nft would need in every rule
// that a policy contributes to, and to create and delete with the policy).
import type { TableContent } from '../../src/kernel/nft/types.js';

export interface Count {
  packets: number;
  bytes: number;
}

export interface PodDenyCount extends Count {
  pod: string;
  direction: 'ingress' | 'egress';
  /** Policies isolating the pod in that direction when the rule was written. */
  isolatedBy: string[];
}

export interface PolicyCounters {
  /** `<ns>/<policy> <direction>` → new connections its rules accepted (summed over pods). */
  allowed: Map<string, Count>;
  /** Denied new connections per isolated local pod and direction. */
  denied: PodDenyCount[];
}

const COUNTER = /\bcounter packets (\d+) bytes (\d+)/;
const ALLOW = /^(\S+) (ingress|egress)\[\d+\]$/;
const DENY = /^deny (ingress|egress) (\S+) isolated by (\S+)$/;

export function readCounters(listed: TableContent): PolicyCounters {
  const allowed = new Map<string, Count>();
  const denied: PodDenyCount[] = [];
  for (const chain of listed.chains) {
    for (const r of chain.rules) {
      const m = COUNTER.exec(r.rule);
      if (!m || r.comment === undefined) continue;
      const c = { packets: Number(m[1]), bytes: Number(m[2]) };
      const a = ALLOW.exec(r.comment);
      if (a) {
        const key = `${a[1]} ${a[2]}`;
        const prev = allowed.get(key) ?? { packets: 0, bytes: 0 };
        allowed.set(key, { packets: prev.packets + c.packets, bytes: prev.bytes + c.bytes });
        continue;
      }
      const d = DENY.exec(r.comment);
      if (d) denied.push({ pod: d[2]!, direction: d[1] as 'ingress' | 'egress', isolatedBy: d[3]!.split(','), ...c });
    }
  }
  return { allowed, denied };
}
