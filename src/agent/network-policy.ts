// The agent's NetworkPolicy enforcement: NetworkPolicies, Pods and Namespaces from the
// informers into the enforcer (proxy/policy/), which programs table hawser-policy in this
// node's namespace. The enforcer only records state; a bounded-frequency runner (the
// proxy's SyncRunner) decides when to compile and apply and retries after a failure (the
// enforcer then rewrites the whole table). Drift made by hand is not repaired until the next
// full write: a periodic full rewrite would reset the per-policy counters.
import type { V1Namespace, V1NetworkPolicy, V1Node, V1Pod } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SyncRunner, systemClock } from '../../proxy/index.js';
import { createPolicyEnforcer, type PolicyEnforcer, type WatchedKind } from '../../proxy/policy/index.js';
import { poolFor } from '../../cni/ipam/pool.js';
import { KernelNft } from '../kernel/nft/kernel.js';
import { getSysctl, setSysctl } from '../kernel/sysctl.js';
import type { Logger } from '../log.js';
import type { HealthSource } from './health.js';
import { cidrNetworkAddress, nodeInternalIP, nodePodCIDRs } from './node-routes.js';

export interface NetworkPolicyOptions {
  nodeName: string;
  nodeIP?: string;
  denyVerdict: 'drop' | 'reject';
  logDenied: boolean;
  minSyncIntervalMs: number;
  registry: Registry;
  log: Logger;
}

/**
 * The addresses this node's own stack uses towards its pods, always allowed (kubelet probes;
 * upstream's "traffic from the pod's node is allowed"): the node's underlay address, the
 * bridge gateway (what the node sources to pods on its bridge) and the network address the
 * vxlan device carries.
 */
export function ownNodeAddresses(node: V1Node | undefined, nodeIP: string | undefined): string[] {
  const out = new Set<string>();
  const ip = nodeIP ?? (node ? nodeInternalIP(node) : undefined);
  if (ip) out.add(ip);
  for (const cidr of node ? nodePodCIDRs(node) : []) {
    if (cidr.includes(':')) continue; // the table is IPv4 today (DESIGN rule 9: a parameter)
    out.add(poolFor(cidr).gateway);
    out.add(cidrNetworkAddress(cidr));
  }
  return [...out].sort();
}

export class NetworkPolicyAgent implements HealthSource {
  readonly name = 'network-policy';
  private readonly enforcer: PolicyEnforcer;
  private readonly runner: SyncRunner;
  private lastOk: number | undefined;
  private owed = true;
  private nodeIPs = '';

  constructor(private readonly o: NetworkPolicyOptions) {
    const r = o.registry;
    const duration = new Histogram({
      name: 'hawser_policy_sync_duration_seconds', help: 'Time of one NetworkPolicy sync (compile, diff, nft transaction)',
      labelNames: ['full'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [r],
    });
    const failures = new Counter({ name: 'hawser_policy_sync_failures_total', help: 'NetworkPolicy syncs that failed', registers: [r] });
    const last = new Gauge({ name: 'hawser_policy_sync_last_timestamp_seconds', help: 'When the policy table was last synced successfully', registers: [r] });
    const policies = new Gauge({ name: 'hawser_policy_policies', help: 'NetworkPolicies known to this node', registers: [r] });

    this.enforcer = createPolicyEnforcer({
      backend: new KernelNft(), nodeName: o.nodeName, family: 'ip',
      denyVerdict: o.denyVerdict, logDenied: o.logDenied,
      nodeIPs: o.nodeIP ? [o.nodeIP] : [],
      onChange: () => { this.owed = true; this.runner?.request(); },
    });
    this.runner = new SyncRunner(async () => {
      if (!this.enforcer.ready()) return;
      const started = Date.now();
      try {
        const res = await this.enforcer.syncNow();
        this.lastOk = Date.now();
        this.owed = false;
        last.set(this.lastOk / 1000);
        policies.set(this.enforcer.world().policies.length);
        if (res.applied) {
          duration.observe({ full: String(res.full) }, (Date.now() - started) / 1000);
          o.log.info({ full: res.full, ops: res.operations, ms: Date.now() - started }, 'policy rules synced');
        }
      } catch (err) {
        failures.inc();
        o.log.warn({ err: String(err) }, 'policy sync failed; retrying with a full table');
        throw err;
      }
    }, { minIntervalMs: o.minSyncIntervalMs, maxIntervalMs: 3_600_000, retryMs: 1000, clock: systemClock });
    this.runner.start();
  }

  /**
   * Pods on one node share the bridge: their packets are switched, not routed, and reach the
   * ip forward hook only through br_netfilter (per namespace since Linux 5.3). Without it,
   * same-node pod-to-pod traffic would bypass every policy — so the agent turns it on for
   * its node, as the reference bridge plugin's documentation asks admins to.
   */
  async ensureBridgeFiltering(): Promise<void> {
    const key = 'net.bridge.bridge-nf-call-iptables';
    try {
      if ((await getSysctl(key, { currentNamespace: true })) !== '1') await setSysctl(key, 1, { currentNamespace: true });
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'br_netfilter is not available: policies do not apply between pods of this node');
    }
  }

  onPolicy(prev: V1NetworkPolicy | undefined, cur: V1NetworkPolicy | undefined): void {
    this.enforcer.onPolicyUpdate(prev, cur);
  }

  onPod(prev: V1Pod | undefined, cur: V1Pod | undefined): void {
    this.enforcer.onPodUpdate(prev, cur);
  }

  onNamespace(prev: V1Namespace | undefined, cur: V1Namespace | undefined): void {
    this.enforcer.onNamespaceUpdate(prev, cur);
  }

  onNode(_prev: V1Node | undefined, cur: V1Node | undefined): void {
    if (!cur || cur.metadata?.name !== this.o.nodeName) return;
    const ips = ownNodeAddresses(cur, this.o.nodeIP);
    if (ips.join() === this.nodeIPs) return;
    this.nodeIPs = ips.join();
    this.enforcer.setNodeIPs(ips);
  }

  listed(kind: WatchedKind): void {
    this.enforcer.setInitialListDone(kind);
  }

  lastAppliedRuleset() {
    return this.enforcer.lastAppliedRuleset();
  }

  counters() {
    return this.enforcer.counters();
  }

  lastSyncOk(): number | undefined {
    return this.lastOk;
  }

  pending(): boolean {
    return this.owed;
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}
