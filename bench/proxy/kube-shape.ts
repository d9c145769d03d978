// The reference of the full-sync figure: the same cluster as upstream kube-proxy's nftables
// mode lays it out (pkg/proxy/nftables: a `service-ips` verdict map, one chain per service
// port, one per endpoint that DNATs), as ONE `nft -f` file loaded by a bare nft run — the
// cost of the tool and the kernel for a ruleset of this size, with no proxier around it.
//
// The one deliberate difference from upstream: the endpoint choice is chained
// `numgen random mod K == 0 goto …` instead of upstream's anonymous
// `numgen random mod N vmap { … }`. Loading one anonymous set per service is O(N²) in the
// kernel (≈ 128 s at 10k services, soft lockups of 22–104 s: REFERENCE.md) — never load it
// at this size. hawser's shape makes the same choice, so the two have equal rule counts.
import { CLUSTER_CIDR, NS, SERVICE_CIDR, SVC_PORT, TARGET_PORT, endpointIPs, serviceIP, serviceName, targetOf } from './objects.js';

export const REF_TABLE = 'kube-ref';
const MASQ = '0x00004000';

export const refServiceChain = (i: number): string => `service-${serviceName(i)}-${NS}/${serviceName(i)}/tcp/http`;
const endpointChain = (i: number, ip: string): string => `endpoint-${serviceName(i)}-${NS}/${serviceName(i)}/tcp/http__${ip}/${TARGET_PORT}`;

/** `nft -f` text of table ip kube-ref: N services × E endpoints in kube-proxy's shape. */
export function kubeShapeRuleset(n: number, perService: number): string {
  const target = targetOf(n);
  const out: string[] = [
    `table ip ${REF_TABLE} {`,
    '\tset cluster-ips { type ipv4_addr; }',
    '\tmap service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }',
    '\tchain nat-prerouting { type nat hook prerouting priority -100; policy accept; jump services; }',
    '\tchain nat-output { type nat hook output priority -100; policy accept; jump services; }',
    '\tchain nat-postrouting { type nat hook postrouting priority 100; policy accept; jump masquerading; }',
    '\tchain filter-forward { type filter hook forward priority 0; policy accept; ct state invalid drop; ct state new jump cluster-ips-check; }',
    '\tchain services { ip daddr . meta l4proto . th dport vmap @service-ips; }',
    `\tchain cluster-ips-check { ip daddr @cluster-ips reject; ip daddr ${SERVICE_CIDR} drop; }`,
    `\tchain mark-for-masquerade { meta mark set meta mark | ${MASQ}; }`,
    `\tchain masquerading { meta mark & ${MASQ} == 0 return; meta mark set meta mark ^ ${MASQ}; masquerade fully-random; }`,
  ];
  const ips: string[] = [];
  const vmap: string[] = [];
  for (let i = 0; i < n; i++) {
    const vip = serviceIP(i);
    const eps = endpointIPs(i, perService, target);
    const rules = [`ip daddr ${vip} tcp dport ${SVC_PORT} ip saddr != ${CLUSTER_CIDR} jump mark-for-masquerade`];
    eps.forEach((ip, j) => {
      if (j < eps.length - 1) rules.push(`numgen random mod ${eps.length - j} == 0 goto ${endpointChain(i, ip)}`);
      else rules.push(`goto ${endpointChain(i, ip)}`);
      out.push(`\tchain ${endpointChain(i, ip)} { ip saddr ${ip} jump mark-for-masquerade; meta l4proto tcp dnat to ${ip}:${TARGET_PORT}; }`);
    });
    out.push(`\tchain ${refServiceChain(i)} { ${rules.join('; ')}; }`);
    ips.push(vip);
    vmap.push(`${vip} . tcp . ${SVC_PORT} : goto ${refServiceChain(i)}`);
  }
  out.push('}');
  // Elements after the chains they name, batched (one line each would also work, slower to parse).
  const chunk = 1000;
  for (let k = 0; k < ips.length; k += chunk) {
    out.push(`add element ip ${REF_TABLE} cluster-ips { ${ips.slice(k, k + chunk).join(', ')} }`);
    out.push(`add element ip ${REF_TABLE} service-ips { ${vmap.slice(k, k + chunk).join(', ')} }`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The reference of the incremental figure: a one-element change at that size as one bare
 * nft run — the k-th change adds or removes one service-ips element (alternately).
 */
export function oneElementChange(n: number, k: number): string {
  const i = (targetOf(n) + 1 + k * 7919) % n;
  const el = `${serviceIP(n + 1 + Math.floor(k / 2))} . tcp . ${SVC_PORT} : goto ${refServiceChain(i)}`;
  return `${k % 2 === 0 ? 'add' : 'delete'} element ip ${REF_TABLE} service-ips { ${el} }\n`;
}
