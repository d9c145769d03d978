// Allocation claims as create-only records in the apiserver's Storage, so that two
// apiservers on one etcd agree on who holds a ClusterIP or NodePort (the Storage contract
// makes `create` fail with Exists when the key is taken — an etcd txn on create_revision 0).
// The key layout mirrors upstream's IPAddress objects (networking.k8s.io ipaddresses,
// named after the value) under a group of our own, outside any served resource.
import type { KubeObject } from '../../k8s/types.js';
import { isStorageError, type Storage } from '../../apiserver/storage/types.js';
import type { ClaimStore } from './value-allocator.js';

export const CLAIM_PREFIX = '/registry/hawser.io/allocations/';

const keyOf = (allocator: string, value: string) => `${CLAIM_PREFIX}${allocator}/${encodeURIComponent(value)}`;

export interface ClaimRecord extends KubeObject {
  owner: string;
}

export class StorageClaimStore implements ClaimStore {
  constructor(private readonly storage: Storage, private readonly now: () => number = Date.now) {}

  async claim(allocator: string, value: string, owner: string): Promise<boolean> {
    const record: ClaimRecord = {
      apiVersion: 'hawser.io/v1', kind: 'AllocationClaim',
      metadata: { name: value, creationTimestamp: new Date(this.now()).toISOString() },
      owner,
    };
    try {
      await this.storage.create(keyOf(allocator, value), record);
      return true;
    } catch (e) {
      if (!isStorageError(e, 'Exists')) throw e;
      const held = (await this.storage.get(keyOf(allocator, value))) as ClaimRecord | undefined;
      if (!held) return this.claim(allocator, value, owner); // released in between
      return held.owner === owner;
    }
  }

  async release(allocator: string, value: string, owner: string): Promise<void> {
    const key = keyOf(allocator, value);
    const held = (await this.storage.get(key)) as ClaimRecord | undefined;
    if (!held || held.owner !== owner) return;
    try {
      // Conditional on the revision we read: never delete a record someone re-took.
      await this.storage.delete(key, Number(held.metadata.resourceVersion));
    } catch (e) {
      if (!isStorageError(e, 'NotFound') && !isStorageError(e, 'Conflict')) throw e;
    }
  }

  async list(allocator: string): Promise<Array<{ value: string; owner: string; createdAt?: number }>> {
    const out: Array<{ value: string; owner: string; createdAt?: number }> = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.list(`${CLAIM_PREFIX}${allocator}/`, { after, limit: 1000 });
      for (const o of page.items as ClaimRecord[]) {
        const t = Date.parse(o.metadata.creationTimestamp ?? '');
        out.push({ value: o.metadata.name!, owner: o.owner, ...(Number.isNaN(t) ? {} : { createdAt: t }) });
      }
      if (!page.nextKey) return out;
      after = page.nextKey;
    }
  }
}
