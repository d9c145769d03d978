// The kinds this apiserver serves (issue 3): what networking, its controllers and
// kubectl's everyday commands need. Names, short names, categories and scopes are
// upstream's, so `kubectl get svc,netpol,all` behaves as against a real cluster.
import { defineResource, Registry, type ResourceDef } from './registry.js';
import { endpointSliceStrategy, namespaceStrategy, podStrategy, workloadStrategy } from './kinds/core.js';
import { networkPolicyStrategy } from './kinds/networkpolicy.js';
import { serviceStrategy } from './kinds/service.js';

const core = (resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceDef> = {}) =>
  defineResource({ group: '', version: 'v1', resource, kind, namespaced, ...extra });

export function builtinResources(): ResourceDef[] {
  return [
    core('namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status'], fieldLabels: ['status.phase'], strategy: namespaceStrategy }),
    core('nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'], fieldLabels: ['spec.unschedulable'] }),
    core('pods', 'Pod', true, {
      shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding'],
      fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
      strategy: podStrategy,
    }),
    core('services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'], strategy: serviceStrategy }),
    core('endpoints', 'Endpoints', true, { shortNames: ['ep'], allowCreateOnUpdate: true, singular: 'endpoints' }),
    core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    core('secrets', 'Secret', true, { fieldLabels: ['type'], strategy: { defaults: (o) => { o.type ??= 'Opaque'; } } }),
    core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    core('events', 'Event', true, {
      shortNames: ['ev'], allowCreateOnUpdate: true,
      fieldLabels: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
    }),
    defineResource({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true, strategy: endpointSliceStrategy }),
    defineResource({ group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], tracksGeneration: true, strategy: networkPolicyStrategy }),
    defineResource({ group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], tracksGeneration: true, strategy: workloadStrategy('Deployment') }),
    defineResource({ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], tracksGeneration: true, strategy: workloadStrategy('ReplicaSet') }),
    defineResource({ group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'], tracksGeneration: true, strategy: workloadStrategy('DaemonSet') }),
    defineResource({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true, allowCreateOnUpdate: true }),
    ...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map((kind) =>
      defineResource({
        group: 'rbac.authorization.k8s.io', version: 'v1', resource: `${kind.toLowerCase()}s`, kind,
        namespaced: !kind.startsWith('Cluster'), allowCreateOnUpdate: true,
      })),
    // Not stored: answered from the authorizer (kubectl auth can-i).
    defineResource({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
  ];
}

export function builtinRegistry(): Registry {
  return new Registry(builtinResources());
}
