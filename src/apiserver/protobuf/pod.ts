// k8s.io/api/core/v1 PodTemplateSpec and what it holds (containers, volumes, scheduling,
// security), as Deployments, ReplicaSets and DaemonSets embed it. Volume sources are the
// in-tree kinds a pod on this cluster can use; the cloud and network-storage ones are not
// listed, so a body carrying one is refused (decode.ts), never silently emptied.
import { LIST, PTR, bool, inline, int, intOrString, map, message, msg, quantity, str } from './schema.js';
import { labelSelector, objectMeta } from './meta.js';

export const localObjectReference = message('core.v1.LocalObjectReference', { 1: str('name') });

// --- env ---
const objectFieldSelector = message('core.v1.ObjectFieldSelector', { 1: str('apiVersion'), 2: str('fieldPath') });
const resourceFieldSelector = message('core.v1.ResourceFieldSelector', { 1: str('containerName'), 2: str('resource'), 3: quantity('divisor') });
const keySelector = (type: string) => message(type, { 1: inline(localObjectReference), 2: str('key'), 3: bool('optional', PTR) });
const envVarSource = message('core.v1.EnvVarSource', {
  1: msg('fieldRef', objectFieldSelector), 2: msg('resourceFieldRef', resourceFieldSelector),
  3: msg('configMapKeyRef', keySelector('core.v1.ConfigMapKeySelector')), 4: msg('secretKeyRef', keySelector('core.v1.SecretKeySelector')),
});
const envVar = message('core.v1.EnvVar', { 1: str('name'), 2: str('value'), 3: msg('valueFrom', envVarSource) });
const envSource = (type: string) => message(type, { 1: inline(localObjectReference), 2: bool('optional', PTR) });
const envFromSource = message('core.v1.EnvFromSource', {
  1: str('prefix'), 2: msg('configMapRef', envSource('core.v1.ConfigMapEnvSource')), 3: msg('secretRef', envSource('core.v1.SecretEnvSource')),
});

// --- probes and lifecycle hooks ---
const execAction = message('core.v1.ExecAction', { 1: str('command', LIST) });
const httpGetAction = message('core.v1.HTTPGetAction', {
  1: str('path'), 2: intOrString('port'), 3: str('host'), 4: str('scheme'),
  5: msg('httpHeaders', message('core.v1.HTTPHeader', { 1: str('name'), 2: str('value') }), LIST),
});
const tcpSocketAction = message('core.v1.TCPSocketAction', { 1: intOrString('port'), 2: str('host') });
const grpcAction = message('core.v1.GRPCAction', { 1: int('port'), 2: str('service', PTR) });
const probeHandler = message('core.v1.ProbeHandler', {
  1: msg('exec', execAction), 2: msg('httpGet', httpGetAction), 3: msg('tcpSocket', tcpSocketAction), 4: msg('grpc', grpcAction),
});
const probe = message('core.v1.Probe', {
  1: inline(probeHandler), 2: int('initialDelaySeconds'), 3: int('timeoutSeconds'), 4: int('periodSeconds'),
  5: int('successThreshold'), 6: int('failureThreshold'), 7: int('terminationGracePeriodSeconds', PTR),
});
const lifecycleHandler = message('core.v1.LifecycleHandler', {
  1: msg('exec', execAction), 2: msg('httpGet', httpGetAction), 3: msg('tcpSocket', tcpSocketAction),
  4: msg('sleep', message('core.v1.SleepAction', { 1: int('seconds') })),
});
const lifecycle = message('core.v1.Lifecycle', { 1: msg('postStart', lifecycleHandler), 2: msg('preStop', lifecycleHandler), 3: str('stopSignal', PTR) });

// --- security ---
const seLinuxOptions = message('core.v1.SELinuxOptions', { 1: str('user'), 2: str('role'), 3: str('type'), 4: str('level') });
const windowsOptions = message('core.v1.WindowsSecurityContextOptions', {
  1: str('gmsaCredentialSpecName', PTR), 2: str('gmsaCredentialSpec', PTR), 3: str('runAsUserName', PTR), 4: bool('hostProcess', PTR),
});
const profile = (type: string) => message(type, { 1: str('type'), 2: str('localhostProfile', PTR) });
const securityContext = message('core.v1.SecurityContext', {
  1: msg('capabilities', message('core.v1.Capabilities', { 1: str('add', LIST), 2: str('drop', LIST) })),
  2: bool('privileged', PTR), 3: msg('seLinuxOptions', seLinuxOptions), 4: int('runAsUser', PTR), 5: bool('runAsNonRoot', PTR),
  6: bool('readOnlyRootFilesystem', PTR), 7: bool('allowPrivilegeEscalation', PTR), 8: int('runAsGroup', PTR), 9: str('procMount', PTR),
  10: msg('windowsOptions', windowsOptions), 11: msg('seccompProfile', profile('core.v1.SeccompProfile')),
  12: msg('appArmorProfile', profile('core.v1.AppArmorProfile')),
});
const podSecurityContext = message('core.v1.PodSecurityContext', {
  1: msg('seLinuxOptions', seLinuxOptions), 2: int('runAsUser', PTR), 3: bool('runAsNonRoot', PTR), 4: int('supplementalGroups', LIST),
  5: int('fsGroup', PTR), 6: int('runAsGroup', PTR), 7: msg('sysctls', message('core.v1.Sysctl', { 1: str('name'), 2: str('value') }), LIST),
  8: msg('windowsOptions', windowsOptions), 9: str('fsGroupChangePolicy', PTR), 10: msg('seccompProfile', profile('core.v1.SeccompProfile')),
  11: msg('appArmorProfile', profile('core.v1.AppArmorProfile')), 12: str('supplementalGroupsPolicy', PTR), 13: str('seLinuxChangePolicy', PTR),
});

// --- containers ---
const resourceRequirements = message('core.v1.ResourceRequirements', {
  1: map('limits', 'quantity'), 2: map('requests', 'quantity'),
  3: msg('claims', message('core.v1.ResourceClaim', { 1: str('name'), 2: str('request') }), LIST),
});
const container = message('core.v1.Container', {
  1: str('name'), 2: str('image'), 3: str('command', LIST), 4: str('args', LIST), 5: str('workingDir'),
  6: msg('ports', message('core.v1.ContainerPort', { 1: str('name'), 2: int('hostPort'), 3: int('containerPort'), 4: str('protocol'), 5: str('hostIP') }), LIST),
  7: msg('env', envVar, LIST), 8: msg('resources', resourceRequirements),
  9: msg('volumeMounts', message('core.v1.VolumeMount', {
    1: str('name'), 2: bool('readOnly'), 3: str('mountPath'), 4: str('subPath'), 5: str('mountPropagation', PTR), 6: str('subPathExpr'),
    7: str('recursiveReadOnly', PTR),
  }), LIST),
  10: msg('livenessProbe', probe), 11: msg('readinessProbe', probe), 12: msg('lifecycle', lifecycle), 13: str('terminationMessagePath'),
  14: str('imagePullPolicy'), 15: msg('securityContext', securityContext), 16: bool('stdin'), 17: bool('stdinOnce'), 18: bool('tty'),
  19: msg('envFrom', envFromSource, LIST), 20: str('terminationMessagePolicy'),
  21: msg('volumeDevices', message('core.v1.VolumeDevice', { 1: str('name'), 2: str('devicePath') }), LIST), 22: msg('startupProbe', probe),
  23: msg('resizePolicy', message('core.v1.ContainerResizePolicy', { 1: str('resourceName'), 2: str('restartPolicy') }), LIST),
  24: str('restartPolicy', PTR),
});

// --- volumes ---
const keyToPath = message('core.v1.KeyToPath', { 1: str('key'), 2: str('path'), 3: int('mode', PTR) });
const downwardAPIVolumeFile = message('core.v1.DownwardAPIVolumeFile', {
  1: str('path'), 2: msg('fieldRef', objectFieldSelector), 3: msg('resourceFieldRef', resourceFieldSelector), 4: int('mode', PTR),
});
const projection = (type: string) => message(type, { 1: inline(localObjectReference), 2: msg('items', keyToPath, LIST), 4: bool('optional', PTR) });
const volumeProjection = message('core.v1.VolumeProjection', {
  1: msg('secret', projection('core.v1.SecretProjection')),
  2: msg('downwardAPI', message('core.v1.DownwardAPIProjection', { 1: msg('items', downwardAPIVolumeFile, LIST) })),
  3: msg('configMap', projection('core.v1.ConfigMapProjection')),
  4: msg('serviceAccountToken', message('core.v1.ServiceAccountTokenProjection', { 1: str('audience'), 2: int('expirationSeconds', PTR), 3: str('path') })),
});
const volumeSource = message('core.v1.VolumeSource', {
  1: msg('hostPath', message('core.v1.HostPathVolumeSource', { 1: str('path'), 2: str('type', PTR) })),
  2: msg('emptyDir', message('core.v1.EmptyDirVolumeSource', { 1: str('medium'), 2: quantity('sizeLimit', PTR) })),
  6: msg('secret', message('core.v1.SecretVolumeSource', { 1: str('secretName'), 2: msg('items', keyToPath, LIST), 3: int('defaultMode', PTR), 4: bool('optional', PTR) })),
  7: msg('nfs', message('core.v1.NFSVolumeSource', { 1: str('server'), 2: str('path'), 3: bool('readOnly') })),
  10: msg('persistentVolumeClaim', message('core.v1.PersistentVolumeClaimVolumeSource', { 1: str('claimName'), 2: bool('readOnly') })),
  16: msg('downwardAPI', message('core.v1.DownwardAPIVolumeSource', { 1: msg('items', downwardAPIVolumeFile, LIST), 2: int('defaultMode', PTR) })),
  19: msg('configMap', message('core.v1.ConfigMapVolumeSource', {
    1: inline(localObjectReference), 2: msg('items', keyToPath, LIST), 3: int('defaultMode', PTR), 4: bool('optional', PTR),
  })),
  26: msg('projected', message('core.v1.ProjectedVolumeSource', { 1: msg('sources', volumeProjection, LIST), 2: int('defaultMode', PTR) })),
});
const volume = message('core.v1.Volume', { 1: str('name'), 2: inline(volumeSource) });

// --- scheduling ---
const nodeSelectorRequirement = message('core.v1.NodeSelectorRequirement', { 1: str('key'), 2: str('operator'), 3: str('values', LIST) });
const nodeSelectorTerm = message('core.v1.NodeSelectorTerm', {
  1: msg('matchExpressions', nodeSelectorRequirement, LIST), 2: msg('matchFields', nodeSelectorRequirement, LIST),
});
const nodeAffinity = message('core.v1.NodeAffinity', {
  1: msg('requiredDuringSchedulingIgnoredDuringExecution', message('core.v1.NodeSelector', { 1: msg('nodeSelectorTerms', nodeSelectorTerm, LIST) })),
  2: msg('preferredDuringSchedulingIgnoredDuringExecution', message('core.v1.PreferredSchedulingTerm', { 1: int('weight'), 2: msg('preference', nodeSelectorTerm) }), LIST),
});
const podAffinityTerm = message('core.v1.PodAffinityTerm', {
  1: msg('labelSelector', labelSelector), 2: str('namespaces', LIST), 3: str('topologyKey'), 4: msg('namespaceSelector', labelSelector),
  5: str('matchLabelKeys', LIST), 6: str('mismatchLabelKeys', LIST),
});
const podAffinity = (type: string) => message(type, {
  1: msg('requiredDuringSchedulingIgnoredDuringExecution', podAffinityTerm, LIST),
  2: msg('preferredDuringSchedulingIgnoredDuringExecution', message('core.v1.WeightedPodAffinityTerm', { 1: int('weight'), 2: msg('podAffinityTerm', podAffinityTerm) }), LIST),
});
const affinity = message('core.v1.Affinity', {
  1: msg('nodeAffinity', nodeAffinity), 2: msg('podAffinity', podAffinity('core.v1.PodAffinity')), 3: msg('podAntiAffinity', podAffinity('core.v1.PodAntiAffinity')),
});
const toleration = message('core.v1.Toleration', { 1: str('key'), 2: str('operator'), 3: str('value'), 4: str('effect'), 5: int('tolerationSeconds', PTR) });
const topologySpreadConstraint = message('core.v1.TopologySpreadConstraint', {
  1: int('maxSkew'), 2: str('topologyKey'), 3: str('whenUnsatisfiable'), 4: msg('labelSelector', labelSelector), 5: int('minDomains', PTR),
  6: str('nodeAffinityPolicy', PTR), 7: str('nodeTaintsPolicy', PTR), 8: str('matchLabelKeys', LIST),
});
const podDNSConfig = message('core.v1.PodDNSConfig', {
  1: str('nameservers', LIST), 2: str('searches', LIST),
  3: msg('options', message('core.v1.PodDNSConfigOption', { 1: str('name'), 2: str('value', PTR) }), LIST),
});

export const podSpec = message('core.v1.PodSpec', {
  1: msg('volumes', volume, LIST), 2: msg('containers', container, LIST), 3: str('restartPolicy'),
  4: int('terminationGracePeriodSeconds', PTR), 5: int('activeDeadlineSeconds', PTR), 6: str('dnsPolicy'), 7: map('nodeSelector'),
  8: str('serviceAccountName'), 9: str('serviceAccount'), 10: str('nodeName'), 11: bool('hostNetwork'), 12: bool('hostPID'), 13: bool('hostIPC'),
  14: msg('securityContext', podSecurityContext), 15: msg('imagePullSecrets', localObjectReference, LIST), 16: str('hostname'), 17: str('subdomain'),
  18: msg('affinity', affinity), 19: str('schedulerName'), 20: msg('initContainers', container, LIST), 21: bool('automountServiceAccountToken', PTR),
  22: msg('tolerations', toleration, LIST), 23: msg('hostAliases', message('core.v1.HostAlias', { 1: str('ip'), 2: str('hostnames', LIST) }), LIST),
  24: str('priorityClassName'), 25: int('priority', PTR), 26: msg('dnsConfig', podDNSConfig), 27: bool('shareProcessNamespace', PTR),
  28: msg('readinessGates', message('core.v1.PodReadinessGate', { 1: str('conditionType') }), LIST), 29: str('runtimeClassName', PTR),
  30: bool('enableServiceLinks', PTR), 31: str('preemptionPolicy', PTR), 32: map('overhead', 'quantity'),
  33: msg('topologySpreadConstraints', topologySpreadConstraint, LIST), 35: bool('setHostnameAsFQDN', PTR),
  36: msg('os', message('core.v1.PodOS', { 1: str('name') })), 37: bool('hostUsers', PTR),
  38: msg('schedulingGates', message('core.v1.PodSchedulingGate', { 1: str('name') }), LIST),
  40: msg('resources', resourceRequirements),
});

export const podTemplateSpec = message('core.v1.PodTemplateSpec', { 1: msg('metadata', objectMeta), 2: msg('spec', podSpec) });
