// Node pod CIDRs (kube-controller-manager's nodeipam "RangeAllocator"): each Node gets
// one subnet of --node-cidr-mask-size per cluster CIDR (one per family), lowest free
// first, recorded in spec.podCIDR/podCIDRs. A Node that already has CIDRs keeps them
// (they are marked when the allocator is rebuilt), a deleted Node's CIDRs are released.
import { type Cidr, cidrContains, formatCidr, parseCidr, subnetAt, subnetCount, subnetIndex } from '../../net/cidr.js';
import { MAX_RANGE_SIZE } from '../../net/range.js';
import { ValueAllocator, type ValueSpace } from '../allocators/value-allocator.js';

export interface ClusterCidr {
  cidr: Cidr;
  /** Per-node prefix length (/24 for IPv4, /64 for IPv6 by default, as upstream). */
  nodeMask: number;
}

export function subnetSpace(c: ClusterCidr): ValueSpace<string> {
  const count = subnetCount(c.cidr, c.nodeMask);
  const size = count > BigInt(MAX_RANGE_SIZE) ? MAX_RANGE_SIZE : Number(count);
  return {
    size,
    offsetOf: (v) => {
      const sub = parseCidr(v);
      if (!sub || sub.prefix !== c.nodeMask || !cidrContains(c.cidr, { family: sub.family, value: sub.base })) return -1;
      const i = subnetIndex(c.cidr, sub);
      return i < size ? i : -1;
    },
    valueAt: (o) => formatCidr(subnetAt(c.cidr, c.nodeMask, o)!),
    describe: formatCidr(c.cidr),
  };
}

export function defaultNodeMask(c: Cidr): number {
  const want = c.family === 4 ? 24 : 64;
  return Math.max(want, c.prefix);
}

export class PodCidrAllocator {
  readonly allocators: ValueAllocator<string>[];

  constructor(readonly cidrs: ClusterCidr[]) {
    if (cidrs.length === 0) throw new Error('no cluster CIDR');
    // Lowest free first, as upstream's cidrset (no random start): node CIDRs stay readable.
    this.allocators = cidrs.map((c) => new ValueAllocator(`podcidrs-v${c.cidr.family}`, subnetSpace(c), { random: () => 0 }));
  }

  /** Marks CIDRs a stored Node already has; returns the ones that clash or lie outside. */
  observe(node: string, podCIDRs: string[]): string[] {
    const bad: string[] = [];
    for (const v of podCIDRs) {
      const a = this.allocators.find((x) => x.contains(v));
      if (!a) continue; // outside our ranges: someone else's business (upstream logs it)
      if (a.allocate(v, node) === 'taken') bad.push(v);
    }
    return bad;
  }

  /** One CIDR per cluster CIDR, or undefined (nothing kept) when any range is full. */
  allocate(node: string): string[] | undefined {
    const got: string[] = [];
    for (const a of this.allocators) {
      const v = a.allocateNext(node);
      if (v === undefined) {
        got.forEach((g, i) => this.allocators[i]!.release(g, node));
        return undefined;
      }
      got.push(v);
    }
    return got;
  }

  release(node: string, podCIDRs: string[]): void {
    for (const v of podCIDRs) for (const a of this.allocators) a.release(v, node);
  }
}
