// The bootstrap RBAC objects (a subset of upstream's bootstrappolicy): cluster-admin for
// system:masters, discovery and public info for everyone authenticated, and the role the
// hawser node agents and lab kubelets run with (group system:nodes).
import type { KubeObject } from '../../k8s/types.js';

const rule = (apiGroups: string[], resources: string[], verbs: string[]) => ({ apiGroups, resources, verbs });
const READ = ['get', 'list', 'watch'];
const LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const clusterRole = (name: string, rules: unknown[]): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: LABELS }, rules,
});

const binding = (name: string, role: string, subject: { kind: string; name: string }): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name, labels: LABELS },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', ...subject }],
});

export const NODE_GROUP = 'system:nodes';
export const NODE_ROLE = 'system:hawser-node';

export function bootstrapRbac(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { nonResourceURLs: ['*'], verbs: ['*'] }]),
    clusterRole('view', [rule(['', 'apps', 'discovery.k8s.io', 'networking.k8s.io', 'coordination.k8s.io'], ['*'], READ)]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'], verbs: ['get'] }]),
    clusterRole('system:basic-user', [rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create'])]),
    clusterRole(NODE_ROLE, [
      rule([''], ['services', 'endpoints', 'namespaces', 'pods', 'nodes', 'configmaps', 'secrets'], READ),
      rule(['discovery.k8s.io'], ['endpointslices'], READ),
      rule(['networking.k8s.io'], ['networkpolicies'], READ),
      rule([''], ['nodes'], ['create', 'update', 'patch']),
      rule([''], ['nodes/status', 'pods/status'], ['update', 'patch']),
      rule([''], ['pods'], ['delete']),
      rule([''], ['events'], ['create', 'patch', 'update']),
      // list/watch/delete: the agents' LoadBalancer announcer watches its peers' liveness
      // Leases and deletes its own on a graceful stop (src/agent/agent-lease.ts).
      rule(['coordination.k8s.io'], ['leases'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    ]),
    binding('cluster-admin', 'cluster-admin', { kind: 'Group', name: 'system:masters' }),
    binding('system:discovery', 'system:discovery', { kind: 'Group', name: 'system:authenticated' }),
    binding('system:basic-user', 'system:basic-user', { kind: 'Group', name: 'system:authenticated' }),
    binding(NODE_ROLE, NODE_ROLE, { kind: 'Group', name: NODE_GROUP }),
  ];
}
