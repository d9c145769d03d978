// The nftables object model hawser codes against: plain data, no I/O. A compiler (service
// proxy, policy agent, CNI) returns a `TableContent`; a `Transaction` (transaction.ts) holds
// operations on these objects; an `NftBackend` (the kernel adapter or the fake) applies them.
//
// Shapes follow knftables (the library upstream kube-proxy uses): rules are nft text, not
// expression trees, because nft's own parser is the only complete definition of the rule
// language and the text form is what people read in `nft list ruleset`.
//
// The family is a parameter everywhere (DESIGN rule 9: one `ip` and one `ip6` table per
// component when dual-stack arrives); nothing here assumes IPv4.

/** nftables address families (nft(8) "ADDRESS FAMILIES"). */
export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** Base chain types (nft(8) "CHAINS"). `route` only exists for the output hook of ip/ip6/inet. */
export type ChainType = 'filter' | 'nat' | 'route';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

export type ChainPolicy = 'accept' | 'drop';

/** Identifies one table: tables are per family, so the same name may exist in `ip` and `ip6`. */
export interface TableRef {
  family: Family;
  name: string;
}

export interface Table {
  kind: 'table';
  comment?: string;
}

/** What makes a chain a base chain (attached to a netfilter hook). */
export interface BaseChainSpec {
  type: ChainType;
  hook: Hook;
  /** Numeric priority: named priorities (dstnat = -100, srcnat = 100, filter = 0 …) are
   *  resolved by the caller so that a dump compares equal however it was written. */
  priority: number;
  /** Default `accept`; the kernel always reports one for base chains. */
  policy?: ChainPolicy;
  /** Required for netdev ingress/egress and for inet ingress. */
  device?: string;
}

export interface Chain {
  kind: 'chain';
  name: string;
  /** Absent: a regular chain, reached only by jump/goto. */
  base?: BaseChainSpec;
  comment?: string;
}

/**
 * A rule: its expression as nft text, e.g. `ip daddr . meta l4proto . th dport vmap
 * @service-ips`. `comment` is kept apart (rendered as `comment "…"`) so callers never quote.
 */
export interface Rule {
  kind: 'rule';
  chain: string;
  rule: string;
  comment?: string;
  /**
   * Where to put the rule (add/insert only; at most one of these):
   * `index`: the rule's 0-based position in the chain (`add … index N` places it after the
   *   N-th rule, `insert … index N` before it);
   * `handle`: relative to the rule with that handle (`add … position H` after it, `insert
   *   … position H` before it). For replace/delete, `handle` names the rule itself.
   */
  index?: number;
  handle?: number;
}

/**
 * nft datatypes hawser uses in set keys and map values (nft(8) "DATA TYPES"). Other names
 * nft knows are accepted as plain strings.
 */
export type Datatype =
  | 'ipv4_addr' | 'ipv6_addr' | 'ether_addr' | 'inet_proto' | 'inet_service' | 'mark'
  | 'ifname' | 'iface_index' | 'verdict' | 'integer' | 'ct_state'
  | (string & {});

export type SetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic';
export const SET_FLAGS: readonly SetFlag[] = ['constant', 'interval', 'timeout', 'dynamic'];

interface SetLike {
  name: string;
  /** Key type, one datatype per part of a concatenation: ['ipv4_addr','inet_proto','inet_service']. */
  type: Datatype[];
  /**
   * The key given as an expression (`numgen random mod 251`), rendered `typeof …` instead of
   * `type …`. Needed for integer keys such as hash results: nft refuses `type integer`
   * ("unqualified type"), and a jhash lookup needs a key of type integer. `type` still
   * lists the datatypes nft reports for it (`['integer']`). Avoid `typeof jhash …`: nft
   * 1.0.6 crashes listing it; `typeof numgen random mod N` gives the same 32-bit key.
   */
  typeof?: string;
  flags?: SetFlag[];
  /** Default element timeout in seconds (requires, or implies, the `timeout` flag). */
  timeout?: number;
  /** Maximum number of elements (required by the kernel for sets filled from the packet path). */
  size?: number;
  comment?: string;
}

export interface NftSet extends SetLike {
  kind: 'set';
}

export interface NftMap extends SetLike {
  kind: 'map';
  /** Value type: ['verdict'] for verdict maps, or datatypes (concatenations allowed). */
  value: Datatype[];
}

/**
 * One element of a set or map. Key parts are nft text, one per key datatype
 * (`['10.96.0.1', 'tcp', '80']`); an interval set takes `10.0.0.0/8` or `80-90` as a part.
 */
export interface Element {
  kind: 'element';
  /** Name of the set or map holding it. */
  set: string;
  key: string[];
  /** Map elements only: one part per value datatype; a verdict is one part, e.g. `goto svc-x`. */
  value?: string[];
  /** Seconds; overrides the set's default timeout (the set needs the `timeout` flag). */
  timeout?: number;
  comment?: string;
}

export type NftObject = Table | Chain | Rule | NftSet | NftMap | Element;
export type ObjectKind = NftObject['kind'];

/** A chain with its rules in order: the unit a compiler produces and a dump reads back. */
export interface ChainContent extends Chain {
  rules: RuleContent[];
}

/** A rule as it sits in a chain (no placement fields; the handle when read back). */
export interface RuleContent {
  rule: string;
  comment?: string;
  handle?: number;
}

export interface SetContent extends NftSet {
  elements: ElementContent[];
}

export interface MapContent extends NftMap {
  elements: ElementContent[];
}

export interface ElementContent {
  key: string[];
  value?: string[];
  timeout?: number;
  comment?: string;
}

/**
 * The whole content of one table as pure data: what a compiler returns and what
 * listTable() reads back. Order of sets/maps/chains is not significant (a normalised dump
 * sorts them); the order of rules inside a chain is.
 */
export interface TableContent extends TableRef {
  comment?: string;
  chains: ChainContent[];
  sets: SetContent[];
  maps: MapContent[];
}

/** Alias kept for callers that think in "rulesets": one table's desired state. */
export type Ruleset = TableContent;
