// k8s.io/api/core/v1 kinds kubectl's typed `create namespace|configmap|secret|service|
// serviceaccount` send, and authorization/v1 SelfSubjectAccessReview (`kubectl auth can-i`).
import { LIST, PTR, bool, int, intOrString, map, message, msg, skip, str, type Message } from './schema.js';
import { metadata } from './meta.js';
import { localObjectReference } from './pod.js';

const servicePort = message('core.v1.ServicePort', {
  1: str('name'), 2: str('protocol'), 3: int('port'), 4: intOrString('targetPort'), 5: int('nodePort'), 6: str('appProtocol', PTR),
});

const sessionAffinityConfig = message('core.v1.SessionAffinityConfig', {
  1: msg('clientIP', message('core.v1.ClientIPConfig', { 1: int('timeoutSeconds', PTR) })),
});

const serviceSpec = message('core.v1.ServiceSpec', {
  1: msg('ports', servicePort, LIST), 2: map('selector'), 3: str('clusterIP'), 4: str('type'), 5: str('externalIPs', LIST),
  7: str('sessionAffinity'), 8: str('loadBalancerIP'), 9: str('loadBalancerSourceRanges', LIST), 10: str('externalName'),
  11: str('externalTrafficPolicy'), 12: int('healthCheckNodePort'), 13: bool('publishNotReadyAddresses'),
  14: msg('sessionAffinityConfig', sessionAffinityConfig), 17: str('ipFamilyPolicy', PTR), 18: str('clusterIPs', LIST),
  19: str('ipFamilies', LIST), 20: bool('allocateLoadBalancerNodePorts', PTR), 21: str('loadBalancerClass', PTR),
  22: str('internalTrafficPolicy', PTR), 23: str('trafficDistribution', PTR),
});

const objectReference = message('core.v1.ObjectReference', {
  1: str('kind'), 2: str('namespace'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: str('resourceVersion'), 7: str('fieldPath'),
});

const selectorAttributes = (kind: 'Field' | 'Label') => message(`authorization.v1.${kind}SelectorAttributes`, {
  1: str('rawSelector'),
  2: msg('requirements', message(`meta.v1.${kind}SelectorRequirement`, { 1: str('key'), 2: str('operator'), 3: str('values', LIST) }), LIST),
});
const resourceAttributes = message('authorization.v1.ResourceAttributes', {
  1: str('namespace'), 2: str('verb'), 3: str('group'), 4: str('version'), 5: str('resource'), 6: str('subresource'), 7: str('name'),
  8: msg('fieldSelector', selectorAttributes('Field')),
  9: msg('labelSelector', selectorAttributes('Label')),
});

export const CORE_KINDS: Record<string, Message> = {
  'v1/Namespace': message('core.v1.Namespace', {
    1: metadata, 2: msg('spec', message('core.v1.NamespaceSpec', { 1: str('finalizers', LIST) })), 3: skip('status'),
  }),
  'v1/ConfigMap': message('core.v1.ConfigMap', { 1: metadata, 2: map('data'), 3: map('binaryData', 'bytes'), 4: bool('immutable', PTR) }),
  'v1/Secret': message('core.v1.Secret', {
    1: metadata, 2: map('data', 'bytes'), 3: str('type'), 4: map('stringData'), 5: bool('immutable', PTR),
  }),
  'v1/Service': message('core.v1.Service', { 1: metadata, 2: msg('spec', serviceSpec), 3: skip('status') }),
  'v1/ServiceAccount': message('core.v1.ServiceAccount', {
    1: metadata, 2: msg('secrets', objectReference, LIST), 3: msg('imagePullSecrets', localObjectReference, LIST),
    4: bool('automountServiceAccountToken', PTR),
  }),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': message('authorization.v1.SelfSubjectAccessReview', {
    1: metadata,
    2: msg('spec', message('authorization.v1.SelfSubjectAccessReviewSpec', {
      1: msg('resourceAttributes', resourceAttributes),
      2: msg('nonResourceAttributes', message('authorization.v1.NonResourceAttributes', { 1: str('path'), 2: str('verb') })),
    })),
    3: skip('status'),
  }),
};
