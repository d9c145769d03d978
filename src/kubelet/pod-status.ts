// The pod status a kubelet reports, computed from its record of the pod: phase, the four
// conditions, pod IPs and one status per container (pkg/kubelet/status/generate.go and
// kubelet_pods.go getPhase, reduced to what this kubelet runs).
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import type { ContainerRecord, PodRecord } from './pod-record.js';

export function containerStatus(c: ContainerRecord): V1ContainerStatus {
  const state: V1ContainerStatus['state'] =
    c.state === 'running' ? { running: { startedAt: c.startedAt as unknown as Date } }
      : c.state === 'terminated' ? {
        terminated: {
          exitCode: c.exitCode ?? 0, reason: c.reason ?? (c.exitCode ? 'Error' : 'Completed'),
          startedAt: c.startedAt as unknown as Date, finishedAt: c.finishedAt as unknown as Date,
        },
      }
        : { waiting: { reason: c.reason ?? 'ContainerCreating', message: c.message } };
  return {
    name: c.name,
    image: c.image,
    imageID: c.image,
    containerID: c.state === 'waiting' ? undefined : `hawser://${c.containerId}`,
    ready: c.state === 'running' && c.ready,
    started: c.state === 'running' && c.started,
    restartCount: c.restartCount,
    state,
  };
}

/** Pending until every container started once; then by restart policy and states. */
export function podPhase(pod: V1Pod, r: PodRecord): string {
  const cs = r.containers;
  if (cs.length === 0 || cs.some((c) => c.state === 'waiting' && c.restartCount === 0 && !c.startedAt)) return 'Pending';
  if (cs.some((c) => c.state === 'running')) return 'Running';
  // Every container terminated.
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return 'Running'; // it will be restarted
  const failed = cs.some((c) => (c.exitCode ?? 0) !== 0);
  if (policy === 'OnFailure' && failed) return 'Running';
  return failed ? 'Failed' : 'Succeeded';
}

function condition(type: string, ok: boolean, prev: V1PodCondition[] | undefined, now: string, reason?: string): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  // lastTransitionTime moves only when the status changes, so watchers can see flaps.
  const since = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now;
  return { type, status, lastTransitionTime: since as unknown as Date, lastProbeTime: null as unknown as undefined, ...(ok || !reason ? {} : { reason }) };
}

export function buildPodStatus(pod: V1Pod, r: PodRecord, nodeIP: string, now: string): V1PodStatus {
  const cs = r.containers.map(containerStatus);
  const phase = podPhase(pod, r);
  const allReady = cs.length > 0 && cs.every((c) => c.ready);
  const prev = pod.status?.conditions;
  const reason = allReady ? undefined : 'ContainersNotReady';
  const status: V1PodStatus = {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', r.podIPs.length > 0, prev, now),
      condition('Initialized', true, prev, now),
      condition('Ready', allReady && phase === 'Running', prev, now, reason),
      condition('ContainersReady', allReady, prev, now, reason),
      condition('PodScheduled', true, prev, now),
    ],
    hostIP: nodeIP,
    hostIPs: [{ ip: nodeIP }],
    startTime: r.startTime as unknown as Date,
    containerStatuses: cs,
    qosClass: 'BestEffort',
  };
  if (r.podIPs.length > 0) {
    status.podIP = r.podIPs[0];
    status.podIPs = r.podIPs.map((ip) => ({ ip }));
  }
  if (r.sandboxError) status.message = r.sandboxError;
  return status;
}

/** Status equality that ignores nothing but key order: the kubelet writes only on change. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined && x !== null).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}
