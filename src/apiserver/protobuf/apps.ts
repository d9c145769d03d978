// k8s.io/api/apps/v1 workloads (`kubectl create deployment` sends a Deployment). Their
// pod template is pod.ts.
import { PTR, bool, int, intOrString, message, msg, skip, str, type Message } from './schema.js';
import { labelSelector, metadata } from './meta.js';
import { podTemplateSpec } from './pod.js';

const rollingUpdate = (type: string) => message(type, { 1: intOrString('maxUnavailable', PTR), 2: intOrString('maxSurge', PTR) });

const deploymentSpec = message('apps.v1.DeploymentSpec', {
  1: int('replicas', PTR), 2: msg('selector', labelSelector), 3: msg('template', podTemplateSpec),
  4: msg('strategy', message('apps.v1.DeploymentStrategy', { 1: str('type'), 2: msg('rollingUpdate', rollingUpdate('apps.v1.RollingUpdateDeployment')) })),
  5: int('minReadySeconds'), 6: int('revisionHistoryLimit', PTR), 7: bool('paused'), 9: int('progressDeadlineSeconds', PTR),
  10: str('podReplacementPolicy', PTR),
});

const replicaSetSpec = message('apps.v1.ReplicaSetSpec', {
  1: int('replicas', PTR), 2: msg('selector', labelSelector), 3: msg('template', podTemplateSpec), 4: int('minReadySeconds'),
});

const daemonSetSpec = message('apps.v1.DaemonSetSpec', {
  1: msg('selector', labelSelector), 2: msg('template', podTemplateSpec),
  3: msg('updateStrategy', message('apps.v1.DaemonSetUpdateStrategy', { 1: str('type'), 2: msg('rollingUpdate', rollingUpdate('apps.v1.RollingUpdateDaemonSet')) })),
  4: int('minReadySeconds'), 6: int('revisionHistoryLimit', PTR),
});

const workload = (kind: string, spec: Message) => message(`apps.v1.${kind}`, { 1: metadata, 2: msg('spec', spec), 3: skip('status') });

export const APPS_KINDS: Record<string, Message> = {
  'apps/v1/Deployment': workload('Deployment', deploymentSpec),
  'apps/v1/ReplicaSet': workload('ReplicaSet', replicaSetSpec),
  'apps/v1/DaemonSet': workload('DaemonSet', daemonSetSpec),
};
