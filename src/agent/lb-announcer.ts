// L2 announcement of LoadBalancer IPs (MetalLB's layer-2 mode, without a speaker of its
// own): the elected node (lb-election.ts) adds each IP it owns as a /32 on its underlay
// interface, so its kernel answers ARP for it, and sends gratuitous ARP so neighbours
// update at once after a takeover. The proxy's rules then DNAT the traffic as for any
// LoadBalancer ingress IP. Addresses carry the label `<dev>:hlb`, so a restarted agent
// finds (and removes) the ones it no longer owns — also after a kill -9.
//
// Liveness comes from short agent Leases (agent-lease.ts). An agent that cannot renew
// its own Lease gives its IPs up before the others take them over, so two nodes never
// answer for one IP for longer than a renewal period.
import type { V1EndpointSlice, V1Lease, V1Node, V1Service } from '@kubernetes/client-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { sendGratuitousArp } from '../kernel/arp.js';
import { addAddress, deleteAddress, listAddresses } from '../kernel/link/index.js';
import type { Logger } from '../log.js';
import type { Rest } from '../kubelet/rest.js';
import { LeaseLiveness, holderOf, releaseAgentLease, renewAgentLease, type LeaseTimes } from './agent-lease.js';
import type { HealthSource } from './health.js';
import { electAnnouncers, ownedIPs, type Announcement } from './lb-election.js';
import { nodeInternalIP } from './node-routes.js';

export type AnnouncerKind = 'Service' | 'EndpointSlice' | 'Node' | 'Lease';
const KINDS: AnnouncerKind[] = ['Service', 'EndpointSlice', 'Node', 'Lease'];
export const LABEL_SUFFIX = ':hlb';

export interface AnnouncerOptions {
  nodeName: string;
  nodeIP?: string;
  api: Rest;
  times?: LeaseTimes;
  /** Full reconcile period (repairs an address removed by hand). */
  resyncMs?: number;
  registry: Registry;
  log: Logger;
}

const key = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

export class LbAnnouncer implements HealthSource {
  readonly name = 'lb-announcer';
  private readonly services = new Map<string, V1Service>();
  private readonly slices = new Map<string, V1EndpointSlice>();
  private readonly nodes = new Map<string, V1Node>();
  private readonly liveness = new LeaseLiveness();
  private readonly listed = new Set<AnnouncerKind>();
  private readonly times: LeaseTimes;
  private lastRenewOk: number | undefined;
  /** When every kind had been listed; new claims wait one lease duration after it. */
  private listedAt: number | undefined;
  private lastOk: number | undefined;
  private owed = true;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly intervals: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private announcements: Announcement[] = [];
  private readonly announced: Gauge;
  private readonly takeovers: Counter;

  constructor(private readonly o: AnnouncerOptions) {
    this.times = o.times ?? { durationSeconds: 6, renewMs: 2000 };
    this.announced = new Gauge({ name: 'hawser_lb_announced_ips', help: 'LoadBalancer IPs this node announces on the underlay', registers: [o.registry] });
    this.takeovers = new Counter({ name: 'hawser_lb_ip_acquisitions_total', help: 'LoadBalancer IPs this node started announcing', registers: [o.registry] });
  }

  start(): void {
    void this.renew();
    this.intervals.push(setInterval(() => void this.renew(), this.times.renewMs));
    this.intervals.push(setInterval(() => this.request(), this.o.resyncMs ?? 10_000));
  }

  onService(prev: V1Service | undefined, cur: V1Service | undefined): void { this.record(this.services, prev, cur); }
  onEndpointSlice(prev: V1EndpointSlice | undefined, cur: V1EndpointSlice | undefined): void { this.record(this.slices, prev, cur); }
  onNode(prev: V1Node | undefined, cur: V1Node | undefined): void { this.record(this.nodes, prev, cur); }

  onLease(prev: V1Lease | undefined, cur: V1Lease | undefined): void {
    const holder = holderOf((cur ?? prev)!);
    if (!holder || holder === this.o.nodeName) return; // our own liveness is our renewal
    this.liveness.observe(cur, holder, Date.now());
    this.request();
  }

  setListed(kind: AnnouncerKind): void {
    this.listed.add(kind);
    this.request();
  }

  /** Who announces what, as last computed (for status and the tracer). */
  current(): Announcement[] {
    return this.announcements;
  }

  lastSyncOk(): number | undefined { return this.lastOk; }
  pending(): boolean { return this.owed; }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const i of this.intervals) clearInterval(i);
    if (this.timer) clearTimeout(this.timer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await this.running;
    // A graceful stop hands over at once: others see the Lease gone and re-elect.
    await releaseAgentLease(this.o.api, this.o.nodeName).catch((err: unknown) => this.o.log.warn({ err: String(err) }, 'could not release the agent lease'));
    await this.apply([]).catch((err: unknown) => this.o.log.warn({ err: String(err) }, 'could not remove announced addresses'));
  }

  private record<T extends { metadata?: { namespace?: string; name?: string } }>(m: Map<string, T>, prev: T | undefined, cur: T | undefined): void {
    if (prev) m.delete(key(prev));
    if (cur) m.set(key(cur), cur);
    this.request();
  }

  private selfLive(now: number): boolean {
    return this.lastRenewOk !== undefined && now - this.lastRenewOk < this.times.durationSeconds * 1000 - this.times.renewMs;
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const wasLive = this.selfLive(Date.now());
    try {
      await renewAgentLease(this.o.api, this.o.nodeName, this.times);
      this.lastRenewOk = Date.now();
      if (!wasLive) this.request();
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'agent lease renewal failed');
      // Without a renewed Lease the others will take our IPs: give them up first.
      if (wasLive !== this.selfLive(Date.now())) this.request();
    }
  }

  private request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    // Coalesce a burst of informer events into one reconcile.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.reconcile().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
    }, 50);
  }

  private async reconcile(): Promise<void> {
    if (!KINDS.every((k) => this.listed.has(k))) return;
    const now = Date.now();
    this.listedAt ??= now;
    // A freshly started agent has not yet seen its peers renew (their Leases may not even
    // exist yet when all agents start together): claiming at once would put an IP on two
    // nodes for a moment. So for one lease duration it keeps what it already holds (an
    // agent restarted after kill -9) and claims nothing new.
    const settling = now - this.listedAt < this.times.durationSeconds * 1000;
    if (settling && !this.stopped) {
      if (this.settleTimer) clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => this.request(), this.listedAt + this.times.durationSeconds * 1000 - now + 10);
    }
    const live = this.liveness.live(now);
    if (this.selfLive(now)) live.add(this.o.nodeName);
    this.announcements = electAnnouncers({ services: [...this.services.values()], slices: [...this.slices.values()], nodes: [...this.nodes.values()], liveAgents: live });
    try {
      await this.apply(this.selfLive(now) ? ownedIPs(this.announcements, this.o.nodeName) : [], settling);
      this.lastOk = Date.now();
      this.owed = false;
    } catch (err) {
      this.owed = true;
      this.o.log.warn({ err: String(err) }, 'LoadBalancer announcement failed; retrying');
      setTimeout(() => this.request(), 1000);
    }
    // Re-elect the moment the next peer's Lease would expire.
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const next = this.liveness.nextExpiry(now);
    if (next !== undefined && !this.stopped) this.expiryTimer = setTimeout(() => this.request(), next - now + 10);
  }

  private nodeIP(): string | undefined {
    if (this.o.nodeIP) return this.o.nodeIP;
    const self = this.nodes.get(`/${this.o.nodeName}`);
    return self ? nodeInternalIP(self) : undefined;
  }

  /** Make the labelled /32s on the underlay interface exactly `want`. */
  private async apply(want: string[], keepOnly = false): Promise<void> {
    const ip = this.nodeIP();
    if (!ip) throw new Error('this node has no InternalIP yet');
    const addrs = await listAddresses();
    const dev = addrs.find((a) => a.cidr.startsWith(`${ip}/`))?.dev;
    if (!dev) throw new Error(`no interface holds the node address ${ip}`);
    const label = `${dev}${LABEL_SUFFIX}`;
    if (label.length > 15) throw new Error(`interface name ${dev} is too long for an address label (${label})`);
    const have = new Set(addrs.filter((a) => a.dev === dev && a.label === label && a.cidr.endsWith('/32')).map((a) => a.cidr.slice(0, -3)));
    const wanted = new Set(keepOnly ? want.filter((x) => have.has(x)) : want);
    for (const x of have) {
      if (wanted.has(x)) continue;
      await deleteAddress(dev, `${x}/32`);
      this.o.log.info({ ip: x, dev }, 'stopped announcing LoadBalancer IP');
    }
    for (const x of wanted) {
      if (have.has(x)) continue;
      // noprefixroute: a /32 has no subnet to route; the local route is all we need.
      await addAddress(dev, `${x}/32`, { label, noprefixroute: true });
      this.takeovers.inc();
      this.o.log.info({ ip: x, dev }, 'announcing LoadBalancer IP');
      await sendGratuitousArp(dev, x).catch((err: unknown) => this.o.log.warn({ ip: x, err: String(err) }, 'gratuitous ARP failed'));
    }
    this.announced.set(wanted.size);
  }
}
