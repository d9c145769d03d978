// Assigns spec.podCIDR/podCIDRs to Nodes that register without them. Serial (one queue
// worker), rebuilt from every stored Node before the first assignment, so two Nodes never
// get the same range — also across restarts. A full range is an Event on the Node.
import { QueueController, splitKey, type ControllerContext } from '../runtime/controller.js';
import type { Node } from '../types.js';
import { PodCidrAllocator, type ClusterCidr } from './cidrs.js';

const cidrsOf = (n: Node | undefined): string[] => {
  const list = n?.spec?.podCIDRs;
  if (list && list.length) return list;
  return n?.spec?.podCIDR ? [n.spec.podCIDR] : [];
};

export class NodeIpamController extends QueueController {
  readonly name = 'node-ipam';
  readonly allocator: PodCidrAllocator;

  constructor(ctx: ControllerContext, cidrs: ClusterCidr[]) {
    super(ctx);
    this.allocator = new PodCidrAllocator(cidrs);
  }

  register(): void {
    this.ctx.informers.cache('nodes').onChange((prev, cur) => {
      if (!cur) {
        const n = prev as unknown as Node;
        this.allocator.release(n.metadata.name!, cidrsOf(n));
        return;
      }
      const n = cur as unknown as Node;
      if (cidrsOf(n).length === 0) this.enqueue(n.metadata.name!);
      else if (this.started) this.allocator.observe(n.metadata.name!, cidrsOf(n));
    });
  }

  protected initialKeys(): string[] {
    const nodes = this.ctx.informers.cache('nodes').list() as unknown as Node[];
    for (const n of nodes) {
      const clash = this.allocator.observe(n.metadata.name!, cidrsOf(n));
      for (const c of clash) this.ctx.log.warn({ controller: this.name, node: n.metadata.name, cidr: c }, 'pod CIDR already held by another node');
    }
    return nodes.filter((n) => cidrsOf(n).length === 0).map((n) => n.metadata.name!);
  }

  protected async reconcile(key: string): Promise<void> {
    const [, name] = splitKey(key);
    const node = this.ctx.informers.cache('nodes').get(undefined, name) as unknown as Node | undefined;
    if (!node || cidrsOf(node).length > 0 || node.metadata.deletionTimestamp) return;
    const got = this.allocator.allocate(name);
    if (!got) {
      await this.ctx.events.record({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Warning', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      return;
    }
    const next: Node = structuredClone(node);
    next.spec = { ...(next.spec ?? {}), podCIDR: got[0], podCIDRs: got };
    try {
      await this.ctx.client.update('nodes', next);
    } catch (e) {
      this.allocator.release(name, got);
      throw e;
    }
    await this.ctx.events.record({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'CIDRAssignmentSucceeded', `Node ${name}: assigned podCIDRs ${got.join(',')}`);
  }
}
