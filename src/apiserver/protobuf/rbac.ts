// k8s.io/api/rbac/v1 (`kubectl create role|clusterrole|rolebinding|clusterrolebinding`).
import { LIST, message, msg, str, type Message } from './schema.js';
import { labelSelector, metadata } from './meta.js';

const policyRule = message('rbac.v1.PolicyRule', {
  1: str('verbs', LIST), 2: str('apiGroups', LIST), 3: str('resources', LIST), 4: str('resourceNames', LIST), 5: str('nonResourceURLs', LIST),
});
const subject = message('rbac.v1.Subject', { 1: str('kind'), 2: str('apiGroup'), 3: str('name'), 4: str('namespace') });
const roleRef = message('rbac.v1.RoleRef', { 1: str('apiGroup'), 2: str('kind'), 3: str('name') });
const binding = (kind: string) => message(`rbac.v1.${kind}`, { 1: metadata, 2: msg('subjects', subject, LIST), 3: msg('roleRef', roleRef) });

export const RBAC_KINDS: Record<string, Message> = {
  'rbac.authorization.k8s.io/v1/Role': message('rbac.v1.Role', { 1: metadata, 2: msg('rules', policyRule, LIST) }),
  'rbac.authorization.k8s.io/v1/ClusterRole': message('rbac.v1.ClusterRole', {
    1: metadata, 2: msg('rules', policyRule, LIST),
    3: msg('aggregationRule', message('rbac.v1.AggregationRule', { 1: msg('clusterRoleSelectors', labelSelector, LIST) })),
  }),
  'rbac.authorization.k8s.io/v1/RoleBinding': binding('RoleBinding'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': binding('ClusterRoleBinding'),
};
