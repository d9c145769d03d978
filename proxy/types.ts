// The service proxy's normalised model: one ServicePort per (Service, port, protocol), with
// everything the compiler needs already resolved (addresses of this family, the endpoints
// this node may use). Built from Kubernetes objects by model.ts; compiled by compile.ts.
// Plain data only, so the compiler and the tracer stay pure.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** IPVS-style schedulers (issue 7), chosen per Service by annotation, with a node default. */
export type Scheduler = 'random' | 'roundrobin' | 'sourcehash' | 'maglev';
export const SCHEDULERS: readonly Scheduler[] = ['random', 'roundrobin', 'sourcehash', 'maglev'];
export const SCHEDULER_ANNOTATION = 'hawser.dev/scheduler';

/** Upstream label opt-outs: kube-proxy's informers select `!service-proxy-name,!headless`. */
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** EndpointSlices point at their Service through this label (discovery.k8s.io/v1). */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

/** Upstream default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT = 10_800;

export type IPFamily = 'IPv4' | 'IPv6';

/** What kube-proxy calls a ServicePortName: ns/name:portName, plus the protocol. */
export interface ServicePortName {
  namespace: string;
  name: string;
  /** The Service port's name ('' for a single unnamed port). */
  port: string;
  protocol: Protocol;
}

export interface Endpoint {
  ip: string;
  /** Target port resolved for this ServicePort through the slice's port of the same name. */
  port: number;
  /** discovery.k8s.io/v1 conditions with upstream defaults: ready/serving nil = true, terminating nil = false. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** nodeName equals this node. */
  local: boolean;
}

export interface ServicePort {
  /** Stable identity `ns/name:port/PROTO`, the key of every per-service map. */
  key: string;
  id: ServicePortName;
  /** The Service port number (spec.ports[].port). */
  port: number;
  /** Addresses of the family being compiled. */
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  /** 0 unless type LoadBalancer with externalTrafficPolicy Local. */
  healthCheckNodePort: number;
  /** ClientIP affinity timeout in seconds, or 0 for no affinity. */
  affinityTimeout: number;
  internalLocal: boolean;
  externalLocal: boolean;
  scheduler: Scheduler;
  /** Every endpoint of this port (all conditions), sorted by ip then port. */
  endpoints: Endpoint[];
  /** Endpoints for traffic under the Cluster policy (ready, else serving+terminating). */
  clusterEndpoints: Endpoint[];
  /** Endpoints on this node for traffic under a Local policy (ready, else serving+terminating). */
  localEndpoints: Endpoint[];
  /** Whether any usable endpoint exists anywhere (distinguishes REJECT from a Local DROP). */
  hasAnyEndpoints: boolean;
}

/** Per-node settings of the proxy; they change rarely and force a full sync when they do. */
export interface NodeConfig {
  nodeName: string;
  family: IPFamily;
  /** This node's addresses of `family` (NodePorts answer on every local address anyway). */
  nodeIPs: string[];
  /** Pod CIDRs of the whole cluster: sources outside them are masqueraded to ClusterIPs. */
  clusterCIDRs: string[];
  /** Service CIDRs: an unallocated IP in them is dropped instead of routed out. */
  serviceCIDRs: string[];
  /** Default scheduler when a Service has no (valid) annotation. */
  scheduler: Scheduler;
  /** Masquerade all Service traffic (kube-proxy --masquerade-all). */
  masqueradeAll?: boolean;
  /** When set, Services labelled with this service-proxy-name are ours; otherwise any label opts out. */
  serviceProxyName?: string;
  /** Table name; default `hawser-proxy`. */
  table?: string;
}

/** The whole model for one family: service ports sorted by key. */
export interface ProxyModel {
  family: IPFamily;
  services: ServicePort[];
}
