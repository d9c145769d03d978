// The kinds hawser's node components watch: API path + list function per kind, all through
// the public Kubernetes API so the same agent works against a real kube-apiserver.
// The list function must apply the same selectors as the watch (client-node passes them only
// to the watch — REFERENCE.md).
import {
  CoordinationV1Api, CoreV1Api, DiscoveryV1Api, NetworkingV1Api,
  type KubeConfig, type KubernetesListObject, type KubernetesObject,
  type V1EndpointSlice, type V1Lease, type V1Namespace, type V1NetworkPolicy, type V1Node, type V1Pod, type V1Service,
} from '@kubernetes/client-node';
import { watchKind, type RunningInformer, type WatchHandlers } from './informer.js';

export interface KindSpec<T extends KubernetesObject> {
  path: string;
  list(kc: KubeConfig, sel: { labelSelector?: string; fieldSelector?: string }): Promise<KubernetesListObject<T>>;
}

export const NODES: KindSpec<V1Node> = {
  path: '/api/v1/nodes',
  list: (kc, sel) => kc.makeApiClient(CoreV1Api).listNode(sel),
};
export const SERVICES: KindSpec<V1Service> = {
  path: '/api/v1/services',
  list: (kc, sel) => kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces(sel),
};
export const ENDPOINT_SLICES: KindSpec<V1EndpointSlice> = {
  path: '/apis/discovery.k8s.io/v1/endpointslices',
  list: (kc, sel) => kc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces(sel),
};
export const PODS: KindSpec<V1Pod> = {
  path: '/api/v1/pods',
  list: (kc, sel) => kc.makeApiClient(CoreV1Api).listPodForAllNamespaces(sel),
};
export const NAMESPACES: KindSpec<V1Namespace> = {
  path: '/api/v1/namespaces',
  list: (kc, sel) => kc.makeApiClient(CoreV1Api).listNamespace(sel),
};
export const NETWORK_POLICIES: KindSpec<V1NetworkPolicy> = {
  path: '/apis/networking.k8s.io/v1/networkpolicies',
  list: (kc, sel) => kc.makeApiClient(NetworkingV1Api).listNetworkPolicyForAllNamespaces(sel),
};

/** The hawser agents' liveness Leases (label-selected, see src/agent/agent-lease.ts). */
export const AGENT_LEASES: KindSpec<V1Lease> = {
  path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
  list: (kc, sel) => kc.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: 'kube-node-lease', ...sel }),
};

export function watch<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: KindSpec<T>,
  handlers: WatchHandlers<T>,
  sel: { labelSelector?: string; fieldSelector?: string } = {},
): RunningInformer<T> {
  return watchKind(kc, kind.path, () => kind.list(kc, sel), handlers, sel);
}
