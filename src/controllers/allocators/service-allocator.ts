// ClusterIP, NodePort and healthCheckNodePort allocation for Services, run as admission
// (inside the create/update request, before the write) so that a bad request is a 422 and
// concurrent creates never share a value. Semantics follow kube-apiserver
// pkg/registry/core/service/storage/alloc.go and its error texts.
//
// How it stays correct:
//  - in one process: every value is marked in the in-memory bitmap synchronously, before
//    the first await, so two requests interleaving at awaits can never pick the same one;
//  - across apiservers sharing a store (etcd): after the local mark, a create-only record
//    is claimed in the store (ClaimStore); a lost claim means another apiserver holds the
//    value — automatic values move on to the next one, requested values are a 422;
//  - across restarts: rebuild() re-marks everything the stored Services hold.
// A failed write must call Reservation.abort(); a successful one Reservation.commit(),
// which frees the values an update dropped (only after the write, as upstream does, so a
// failed update never loses the old values).
import { type ApiError, type FieldError, internal, invalid, invalidValue } from '../../apiserver/errors.js';
import { type Family, parseAddress } from '../../net/address.js';
import { type Cidr, formatCidr } from '../../net/cidr.js';
import { staticBandSize } from '../../net/bitmap.js';
import { serviceRange } from '../../net/range.js';
import type { Service } from '../types.js';
import { type ClaimStore, type PortRange, ValueAllocator, addressSpace, portSpace } from './value-allocator.js';
import {
  autoNodePorts, clusterIPsOf, dropTypeDependentFields, isHeadless, needsClusterIP, needsHealthCheckNodePort,
  needsNodePort, nodePortsOf, patchAllocatedValues,
} from './service-fields.js';

export interface ServiceAllocatorConfig {
  /** One CIDR per family; the first is the primary family (dual-stack order). */
  serviceCidrs: Cidr[];
  nodePortRange: PortRange;
  claims?: ClaimStore;
  random?: () => number;
}

export interface Reservation {
  /** The write succeeded: release what the update gave up. */
  commit(): Promise<void>;
  /** The write failed: give back what this request took. */
  abort(): Promise<void>;
  /** Marks this request's values again after a rebuild (it is still in flight). */
  remark(): void;
}

interface Ctx {
  owner: string;
  /** Values this request newly marked (to claim, and to give back on failure). */
  taken: Taken[];
  /** What the client asked for (after the update fix-ups), as opposed to what we picked. */
  requestedPorts: Set<number>;
  requestedIPs: Set<string>;
}

type Taken = { alloc: ValueAllocator<string> | ValueAllocator<number>; value: string | number };

const familyName = (f: Family) => (f === 4 ? 'IPv4' : 'IPv6');
const ownerOf = (s: Service) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`;

export class ServiceAllocator {
  readonly ips = new Map<Family, ValueAllocator<string>>();
  readonly nodePorts: ValueAllocator<number>;
  private readonly cidrs = new Map<Family, Cidr>();
  readonly families: Family[];

  constructor(private readonly cfg: ServiceAllocatorConfig) {
    for (const c of cfg.serviceCidrs) {
      const r = serviceRange(c);
      if (!r) throw new Error(`service CIDR ${formatCidr(c)} holds no usable address`);
      if (this.ips.has(c.family)) throw new Error(`two service CIDRs of family IPv${c.family}`);
      this.cidrs.set(c.family, c);
      this.ips.set(c.family, new ValueAllocator(`serviceips-v${c.family}`, addressSpace(r, formatCidr(c)), {
        random: cfg.random, preferFrom: staticBandSize(r.size),
      }));
    }
    this.families = cfg.serviceCidrs.map((c) => c.family);
    if (this.families.length === 0) throw new Error('no service CIDR');
    this.nodePorts = new ValueAllocator('servicenodeports', portSpace(cfg.nodePortRange), {
      random: cfg.random, preferFrom: staticBandSize(cfg.nodePortRange.size),
    });
  }

  /** The address the `kubernetes` Service gets: the first of the primary range. */
  kubernetesServiceIP(): string {
    return this.ips.get(this.families[0]!)!.space.valueAt(0);
  }

  /**
   * Fills and reserves the Service's ClusterIPs, NodePorts and healthCheckNodePort; mutates
   * `next`. Throws the ApiError the apiserver should answer with (422, or 500 when a range
   * is full, as upstream).
   */
  async admit(next: Service, old?: Service): Promise<Reservation> {
    if (old) {
      patchAllocatedValues(next, old);
      dropTypeDependentFields(next, old);
    }
    const owner = ownerOf(next);
    const taken: Taken[] = [];
    const ctx: Ctx = {
      owner, taken,
      requestedPorts: new Set([...nodePortsOf(next), ...(next.spec?.healthCheckNodePort ? [next.spec.healthCheckNodePort] : [])]),
      requestedIPs: new Set(isHeadless(next) ? [] : clusterIPsOf(next)),
    };
    try {
      const errs: FieldError[] = [];
      // Everything up to the claims is synchronous: the local marks are atomic.
      if (needsClusterIP(next)) this.assignClusterIPs(next, ctx, errs);
      if (needsNodePort(next)) this.assignNodePorts(next, ctx, errs);
      if (needsHealthCheckNodePort(next)) this.assignHealthCheckPort(next, ctx, errs);
      if (errs.length > 0) throw invalid('Service', '', next.metadata.name ?? '', errs);
      await this.claimAll(next, ctx);
    } catch (e) {
      this.unmark(taken, owner);
      await this.unclaim(taken, owner);
      throw e;
    }
    const before = old ? this.heldBy(old) : [];
    return {
      commit: async () => {
        const now = new Set(this.heldBy(next).map(keyOfTaken));
        const dropped = before.filter((t) => !now.has(keyOfTaken(t)));
        this.unmark(dropped, owner);
        await this.unclaim(dropped, owner);
      },
      abort: async () => {
        this.unmark(taken, owner);
        await this.unclaim(taken, owner);
      },
      remark: () => {
        for (const t of taken) (t.alloc as ValueAllocator<string | number>).allocate(t.value, owner);
      },
    };
  }

  /** After a delete: frees everything the Service held. */
  async release(svc: Service): Promise<void> {
    const held = this.heldBy(svc);
    this.unmark(held, ownerOf(svc));
    await this.unclaim(held, ownerOf(svc));
  }

  /** Marks what stored Services hold (start, or a watch event from another apiserver). */
  observe(svc: Service): string[] {
    const problems: string[] = [];
    for (const t of this.heldBy(svc)) {
      const r = (t.alloc as ValueAllocator<string | number>).allocate(t.value, ownerOf(svc));
      if (r === 'taken') problems.push(`${ownerOf(svc)}: ${t.alloc.name} ${t.value} is also held by ${t.alloc.ownerOf(t.value as never)}`);
    }
    return problems;
  }

  /**
   * Mirrors a stored change (a watch event, possibly written by another apiserver): marks
   * what `cur` holds, unmarks locally what `prev` held and `cur` no longer does. Claims
   * are the writer's to release.
   */
  sync(prev: Service | undefined, cur: Service | undefined): string[] {
    const problems = cur ? this.observe(cur) : [];
    if (prev) {
      const now = new Set(cur ? this.heldBy(cur).map(keyOfTaken) : []);
      this.unmark(this.heldBy(prev).filter((t) => !now.has(keyOfTaken(t))), ownerOf(prev));
    }
    return problems;
  }

  /** Rebuilds the bitmaps from the stored Services; returns double allocations found. */
  rebuild(services: Service[]): string[] {
    for (const a of this.ips.values()) a.reset();
    this.nodePorts.reset();
    return services.flatMap((s) => this.observe(s));
  }

  /** Everything a stored Service holds, in allocators' terms. */
  heldBy(svc: Service): Taken[] {
    const out: Taken[] = [];
    if (needsClusterIP(svc) && !isHeadless(svc)) {
      for (const ip of clusterIPsOf(svc)) {
        const a = parseAddress(ip);
        const alloc = a && this.ips.get(a.family);
        if (alloc && alloc.contains(ip)) out.push({ alloc, value: ip });
      }
    }
    if (needsNodePort(svc)) for (const p of nodePortsOf(svc)) if (this.nodePorts.contains(p)) out.push({ alloc: this.nodePorts, value: p });
    const hc = svc.spec?.healthCheckNodePort;
    if (needsHealthCheckNodePort(svc) && hc && this.nodePorts.contains(hc)) out.push({ alloc: this.nodePorts, value: hc });
    return out;
  }

  private assignClusterIPs(svc: Service, { owner, taken }: Ctx, errs: FieldError[]) {
    const spec = svc.spec!;
    const requested = clusterIPsOf(svc);
    if (spec.clusterIP && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP) {
      errs.push(invalidValue('spec.clusterIPs', spec.clusterIPs, 'element [0] must match clusterIP'));
      return;
    }
    const families = this.familiesFor(svc, requested, errs);
    if (!families) return;
    spec.ipFamilies = families.map(familyName);
    spec.ipFamilyPolicy ??= 'SingleStack';
    if (isHeadless(svc)) {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const result: string[] = [];
    families.forEach((family, i) => {
      const alloc = this.ips.get(family)!;
      const want = requested[i];
      const field = `spec.clusterIPs[${i}]`;
      if (!want) {
        const ip = alloc.allocateNext(owner);
        if (ip === undefined) throw internal(`failed to allocate a serviceIP: range is full`);
        taken.push({ alloc, value: ip });
        result.push(ip);
        return;
      }
      const a = parseAddress(want);
      if (!a) {
        errs.push(invalidValue(field, want, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        return;
      }
      const r = alloc.allocate(want, owner);
      if (r === 'out-of-range') {
        errs.push(invalidValue(field, want, `failed to allocate IP ${want}: the provided IP (${want}) is not in the valid range. The range of valid IPs is ${alloc.space.describe}`));
      } else if (r === 'taken') {
        errs.push(invalidValue(field, want, `failed to allocate IP ${want}: provided IP is already allocated`));
      } else {
        if (r === 'ok') taken.push({ alloc, value: want });
        result.push(want);
      }
    });
    if (result.length === families.length) {
      spec.clusterIP = result[0];
      spec.clusterIPs = result;
    }
  }

  /** The families the Service gets, from its ipFamilies/ipFamilyPolicy/clusterIPs and the cluster's. */
  private familiesFor(svc: Service, requested: string[], errs: FieldError[]): Family[] | undefined {
    const spec = svc.spec!;
    const fromIPs = isHeadless(svc) ? [] : requested.map((ip) => parseAddress(ip)?.family);
    const fromSpec = (spec.ipFamilies ?? []).map((f) => (f === 'IPv4' ? 4 : f === 'IPv6' ? 6 : undefined));
    const wanted: Family[] = [];
    for (const [i, f] of (fromSpec.length ? fromSpec : fromIPs).entries()) {
      if (f === undefined) continue;
      if (!this.ips.has(f)) {
        errs.push(invalidValue(fromSpec.length ? `spec.ipFamilies[${i}]` : `spec.clusterIPs[${i}]`, fromSpec.length ? familyName(f) : requested[i], `${familyName(f)} is not configured on this cluster`));
        return undefined;
      }
      if (!wanted.includes(f)) wanted.push(f);
    }
    const policy = spec.ipFamilyPolicy ?? 'SingleStack';
    if (policy === 'RequireDualStack' && this.families.length < 2) {
      errs.push(invalidValue('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
      return undefined;
    }
    if (wanted.length === 0) wanted.push(this.families[0]!);
    if (policy !== 'SingleStack') for (const f of this.families) if (!wanted.includes(f)) wanted.push(f);
    return policy === 'SingleStack' ? wanted.slice(0, 1) : wanted.slice(0, 2);
  }

  private assignNodePorts(svc: Service, { owner, taken }: Ctx, errs: FieldError[]) {
    const mine = new Set<number>();
    // Ports sharing a service port number (DNS on TCP and UDP) share one automatic node
    // port, as upstream initNodePorts does.
    const byServicePort = new Map<number, number>();
    const ports = svc.spec?.ports ?? [];
    ports.forEach((p, i) => {
      if (!p.nodePort) return;
      const field = `spec.ports[${i}].nodePort`;
      if (mine.has(p.nodePort)) return;
      const r = this.nodePorts.allocate(p.nodePort, owner);
      if (r === 'out-of-range') errs.push(invalidValue(field, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.space.describe}`));
      else if (r === 'taken') errs.push(invalidValue(field, p.nodePort, 'provided port is already allocated'));
      else {
        if (r === 'ok') taken.push({ alloc: this.nodePorts, value: p.nodePort });
        mine.add(p.nodePort);
        byServicePort.set(p.port, p.nodePort);
      }
    });
    if (!autoNodePorts(svc)) return;
    for (const p of ports) {
      if (p.nodePort) continue;
      const shared = byServicePort.get(p.port);
      if (shared) {
        p.nodePort = shared;
        continue;
      }
      const n = this.nodePorts.allocateNext(owner);
      if (n === undefined) throw internal('failed to allocate a nodePort: range is full');
      taken.push({ alloc: this.nodePorts, value: n });
      p.nodePort = n;
      byServicePort.set(p.port, n);
    }
  }

  private assignHealthCheckPort(svc: Service, { owner, taken }: Ctx, errs: FieldError[]) {
    const spec = svc.spec!;
    const want = spec.healthCheckNodePort;
    if (!want) {
      const n = this.nodePorts.allocateNext(owner);
      if (n === undefined) throw internal('failed to allocate a nodePort: range is full');
      taken.push({ alloc: this.nodePorts, value: n });
      spec.healthCheckNodePort = n;
      return;
    }
    // It may not reuse one of the Service's own node ports (kube-proxy would serve both).
    if ((spec.ports ?? []).some((p) => p.nodePort === want)) {
      errs.push(invalidValue('spec.healthCheckNodePort', want, `failed to allocate requested HealthCheck NodePort ${want}: provided port is already allocated`));
      return;
    }
    const r = this.nodePorts.allocate(want, owner);
    if (r === 'ok' || r === 'held') {
      if (r === 'ok') taken.push({ alloc: this.nodePorts, value: want });
      return;
    }
    const why = r === 'taken' ? 'provided port is already allocated' : `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.space.describe}`;
    errs.push(invalidValue('spec.healthCheckNodePort', want, `failed to allocate requested HealthCheck NodePort ${want}: ${why}`));
  }

  /** Claims the store records for what this request newly marked (no-op without a ClaimStore). */
  private async claimAll(svc: Service, ctx: Ctx) {
    const { owner, taken } = ctx;
    const claims = this.cfg.claims;
    if (!claims) return;
    for (let i = 0; i < taken.length; i++) {
      const t = taken[i]!;
      if (await claims.claim(t.alloc.name, String(t.value), owner)) continue;
      // Another apiserver holds it. Keep it marked (as theirs) and pick another if we chose.
      t.alloc.release(t.value as never, owner);
      t.alloc.allocate(t.value as never, '<remote>');
      const replacement = this.replace(svc, t, ctx);
      taken.splice(i, 1);
      i--;
      if (replacement === undefined) {
        throw this.lostClaim(svc, t);
      }
      taken.push(replacement);
    }
  }

  /** For an automatically chosen value that lost its claim: the next free one, written into the spec. */
  private replace(svc: Service, t: Taken, { owner, requestedPorts, requestedIPs }: Ctx): Taken | undefined {
    const spec = svc.spec!;
    if (t.alloc === this.nodePorts) {
      const old = t.value as number;
      const auto = (spec.ports ?? []).filter((p) => p.nodePort === old);
      if (requestedPorts.has(old)) return undefined;
      const n = this.nodePorts.allocateNext(owner);
      if (n === undefined) throw internal('failed to allocate a nodePort: range is full');
      for (const p of auto) p.nodePort = n;
      if (spec.healthCheckNodePort === old) spec.healthCheckNodePort = n;
      return { alloc: this.nodePorts, value: n };
    }
    if (requestedIPs.has(t.value as string)) return undefined;
    const alloc = t.alloc as ValueAllocator<string>;
    const ip = alloc.allocateNext(owner);
    if (ip === undefined) throw internal('failed to allocate a serviceIP: range is full');
    spec.clusterIPs = clusterIPsOf(svc).map((x) => (x === t.value ? ip : x));
    spec.clusterIP = spec.clusterIPs[0];
    return { alloc, value: ip };
  }

  private lostClaim(svc: Service, t: Taken): ApiError {
    if (t.alloc === this.nodePorts) {
      const i = (svc.spec?.ports ?? []).findIndex((p) => p.nodePort === t.value);
      const field = i >= 0 ? `spec.ports[${i}].nodePort` : 'spec.healthCheckNodePort';
      return invalid('Service', '', svc.metadata.name ?? '', [invalidValue(field, t.value, 'provided port is already allocated')]);
    }
    const i = clusterIPsOf(svc).indexOf(t.value as string);
    return invalid('Service', '', svc.metadata.name ?? '', [
      invalidValue(`spec.clusterIPs[${i}]`, t.value, `failed to allocate IP ${t.value}: provided IP is already allocated`),
    ]);
  }

  private unmark(list: Taken[], owner: string) {
    for (const t of list) (t.alloc as ValueAllocator<string | number>).release(t.value, owner);
  }

  private async unclaim(list: Taken[], owner: string) {
    const claims = this.cfg.claims;
    if (!claims) return;
    for (const t of list) await claims.release(t.alloc.name, String(t.value), owner);
  }
}

const keyOfTaken = (t: Taken) => `${t.alloc.name}/${t.value}`;
