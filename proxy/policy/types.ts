// The policy agent's view of the cluster: the few fields of NetworkPolicy, Pod and
// Namespace (networking.k8s.io/v1, core/v1) that NetworkPolicy semantics read. The shapes
// are structural subsets of @kubernetes/client-node's V1NetworkPolicy / V1Pod /
// V1Namespace, so informer objects are passed as they are and tests write plain literals.

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: { [key: string]: string };
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
export type Direction = 'Ingress' | 'Egress';

interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: { [key: string]: string };
}

export interface IPBlockSpec {
  cidr: string;
  except?: string[];
}

export interface PeerSpec {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlockSpec;
}

export interface PortSpec {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface IngressRuleSpec {
  from?: PeerSpec[];
  ports?: PortSpec[];
}

export interface EgressRuleSpec {
  to?: PeerSpec[];
  ports?: PortSpec[];
}

export interface NetworkPolicy {
  metadata?: Meta;
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: IngressRuleSpec[];
    egress?: EgressRuleSpec[];
  };
}

export interface ContainerPortSpec {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Pod {
  metadata?: Meta;
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: { ports?: ContainerPortSpec[] }[];
    initContainers?: { ports?: ContainerPortSpec[]; restartPolicy?: string }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
  };
}

export interface Namespace {
  metadata?: Meta;
}

/** Everything one evaluation reads: the whole cluster as the informers see it. */
export interface World {
  policies: readonly NetworkPolicy[];
  pods: readonly Pod[];
  namespaces: readonly Namespace[];
  /** Node name → the node's own addresses (InternalIP, the bridge gateway): "from the
   *  pod's own node" is always allowed (NetworkPolicy docs, "Behavior of to and from
   *  selectors"). */
  nodeIPs?: Readonly<Record<string, readonly string[]>>;
}

/** `ns/name`: how policies and pods are named in results, counters and logs. */
export const keyOf = (o: { metadata?: Meta }): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
