// The agent's node-network controller: from the Node objects to (a) this node's pod CIDR,
// written to the file the CNI plugin reads, and (b) routes to every other node's pods
// (host-gw or vxlan). Syncs are serialised; a failure retries with backoff; a periodic
// resync repairs drift (e.g. a route deleted by hand).
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { desiredNodeNetwork, nodeInternalIP, nodePodCIDRs, type RoutingMode } from './node-routes.js';
import { writePodCIDRFile } from './pod-cidr-file.js';
import { syncNodeNetwork, type RouteSyncContext } from './route-sync.js';
import type { HealthSource } from './health.js';

export interface NodeNetworkOptions {
  nodeName: string;
  /** Underlay address; default: the Node object's InternalIP. */
  nodeIP?: string;
  clusterCIDR: string;
  routing: RoutingMode;
  podCIDRFile: string;
  log: Logger;
  resyncMs?: number;
}

export class NodeNetworkController implements HealthSource {
  readonly name = 'node-network';
  private readonly nodes = new Map<string, V1Node>();
  private synced = false;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private lastOk: number | undefined;
  private ctx: RouteSyncContext | undefined;
  private stopped = false;
  /** This node's pod CIDRs as last read from its Node object (for `hawser trace`). */
  podCIDRs: string[] = [];

  constructor(private readonly opts: NodeNetworkOptions) {}

  onNodeChange(prev: V1Node | undefined, cur: V1Node | undefined): void {
    const name = (cur ?? prev)?.metadata?.name;
    if (!name) return;
    if (cur) this.nodes.set(name, cur);
    else this.nodes.delete(name);
    if (this.synced) this.request();
  }

  /** First complete list of Nodes has arrived: programming may start. */
  onSynced(): void {
    this.synced = true;
    this.request();
    this.resync = setInterval(() => this.request(), this.opts.resyncMs ?? 60_000);
  }

  lastSyncOk(): number | undefined {
    return this.lastOk;
  }

  pending(): boolean {
    return this.running || this.again || this.timer !== undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.resync) clearInterval(this.resync);
  }

  private request(delay = 0): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, delay);
  }

  private async sync(): Promise<void> {
    this.running = true;
    this.again = false;
    try {
      await this.syncOnce();
      this.lastOk = Date.now();
      this.backoffMs = 0;
    } catch (err) {
      this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 500, 30_000);
      this.opts.log.error({ err }, 'node network sync failed; retrying');
      this.again = true;
    } finally {
      this.running = false;
      if (this.again) this.request(this.backoffMs);
    }
  }

  private async syncOnce(): Promise<void> {
    const self = this.nodes.get(this.opts.nodeName);
    const nodeIP = this.opts.nodeIP ?? (self ? nodeInternalIP(self) : undefined);
    if (!nodeIP) {
      this.opts.log.info({ node: this.opts.nodeName }, 'waiting for this node to be registered with an address');
      return;
    }
    const podCIDRs = self ? nodePodCIDRs(self) : [];
    this.podCIDRs = podCIDRs;
    if (podCIDRs.length > 0 && (await writePodCIDRFile(this.opts.podCIDRFile, podCIDRs))) {
      this.opts.log.info({ podCIDRs, file: this.opts.podCIDRFile }, 'pod CIDR handed to the CNI plugin');
    }
    this.ctx ??= { clusterCIDR: this.opts.clusterCIDR, nodeIP };
    this.ctx.selfPodCIDR = podCIDRs[0];
    const desired = desiredNodeNetwork([...this.nodes.values()], { name: this.opts.nodeName, ip: nodeIP, podCIDR: podCIDRs[0] }, this.opts.routing);
    await syncNodeNetwork(this.ctx, desired);
    this.opts.log.debug({ routes: desired.routes.length }, 'node network synced');
  }
}
