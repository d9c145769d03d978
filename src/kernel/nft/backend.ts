// What the service proxy, the policy agent and the CNI plugin program nftables through.
// Two implementations: KernelNft (kernel.ts, one `nft -f -` per transaction) and FakeNft
// (fake.ts, the same semantics in memory for unit tests). DESIGN rule 2.
import type { Transaction } from './transaction.js';
import type { Family, TableContent, TableRef } from './types.js';

export interface NftBackend {
  /** Apply all operations or none; throws an NftError (errors.ts) and leaves state unchanged. */
  apply(tx: Transaction): Promise<void>;
  /** The table's content with rule handles, or undefined when it does not exist. */
  listTable(family: Family, name: string): Promise<TableContent | undefined>;
  listTables(): Promise<TableRef[]>;
  /** The normalised dump (dump.ts) of a table, or undefined when it does not exist. */
  dump(family: Family, name: string): Promise<string | undefined>;
}
