// Optional masquerade (ipMasq): pods' traffic leaving the cluster CIDR gets the node's
// address, as kubenet and bridge's ipMasq do. It lives in the CNI's own table
// `hawser-cni` (DESIGN.md rule 3) and is node-wide rather than per pod, so DEL has
// nothing to remove and a repeated ADD re-asserts the same content in one transaction.
import { KernelNft, Transaction, type NftBackend } from '../src/kernel/nft/index.js';
import { mustParseCidr } from '../src/net/cidr.js';

export const CNI_TABLE = 'hawser-cni';

/** Pure: the transaction that makes the table hold exactly the masquerade rule. */
export function masqueradeTransaction(podCidr: string, clusterCidr: string): Transaction {
  const fam = mustParseCidr(podCidr).family === 4 ? 'ip' : 'ip6';
  const tx = new Transaction(fam, CNI_TABLE);
  tx.add({ kind: 'table', comment: 'hawser CNI: pod masquerade' });
  // srcnat (100): after the proxy's DNAT has chosen the real destination, so traffic to
  // a Service whose endpoint is a pod stays unmasqueraded.
  tx.add({ kind: 'chain', name: 'postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 } });
  tx.flush({ kind: 'chain', name: 'postrouting' });
  tx.add({ kind: 'rule', chain: 'postrouting', rule: `${fam} saddr ${podCidr} ${fam} daddr != ${clusterCidr} masquerade`, comment: 'pod traffic leaving the cluster CIDR' });
  return tx;
}

export async function ensureMasquerade(podCidr: string, clusterCidr: string, nft: NftBackend = new KernelNft()): Promise<void> {
  await nft.apply(masqueradeTransaction(podCidr, clusterCidr));
}
