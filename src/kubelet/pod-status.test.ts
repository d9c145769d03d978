import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerRecord, PodRecord } from './pod-record.js';
import { buildPodStatus, podPhase, sameStatus } from './pod-status.js';
import { initialProbeState, recordProbe } from './probes.js';

const c = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  name: 'app', image: 'hawser/echo', containerId: 'c1', state: 'running', pid: 10, restartCount: 0,
  startedAt: '2026-01-01T00:00:00Z', ready: true, started: true, logFile: '/x', ...over,
});
const rec = (containers: ContainerRecord[], podIPs = ['10.244.0.5']): PodRecord => ({
  uid: 'u', namespace: 'default', name: 'p', sandboxId: 's', netns: 'n', podIPs, startTime: '2026-01-01T00:00:00Z', containers,
});
const pod = (restartPolicy?: string, conditions?: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, spec: { containers: [], restartPolicy }, status: conditions });
const cond = (s: ReturnType<typeof buildPodStatus>, type: string) => s.conditions?.find((x) => x.type === type)?.status;

describe('pod status', () => {
  it('reports a running, ready pod with its IPs and host IP', () => {
    const s = buildPodStatus(pod(), rec([c()]), '192.168.56.10', 'T1');
    expect(s).toMatchObject({ phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], hostIP: '192.168.56.10' });
    expect(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((t) => cond(s, t))).toEqual(['True', 'True', 'True', 'True']);
    expect(s.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true, started: true, containerID: 'hawser://c1', state: { running: {} } });
  });

  it('is Pending with ContainerCreating before the sandbox has an IP', () => {
    const s = buildPodStatus(pod(), rec([c({ state: 'waiting', startedAt: undefined, reason: 'ContainerCreating' })], []), 'h', 'T');
    expect(s.phase).toBe('Pending');
    expect(s.podIP).toBeUndefined();
    expect(s.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating', message: undefined } });
    expect(cond(s, 'Ready')).toBe('False');
  });

  it('is not Ready while a readiness probe has not passed', () => {
    const s = buildPodStatus(pod(), rec([c(), c({ name: 'side', ready: false })]), 'h', 'T');
    expect([cond(s, 'ContainersReady'), cond(s, 'Ready')]).toEqual(['False', 'False']);
    expect(s.conditions?.find((x) => x.type === 'Ready')?.reason).toBe('ContainersNotReady');
  });

  it('derives the phase of finished containers from the restart policy', () => {
    const ok = c({ state: 'terminated', exitCode: 0 });
    const bad = c({ state: 'terminated', exitCode: 3 });
    expect(podPhase(pod('Never'), rec([ok]))).toBe('Succeeded');
    expect(podPhase(pod('Never'), rec([ok, bad]))).toBe('Failed');
    expect(podPhase(pod('OnFailure'), rec([bad]))).toBe('Running');
    expect(podPhase(pod('OnFailure'), rec([ok]))).toBe('Succeeded');
    expect(podPhase(pod(), rec([bad]))).toBe('Running');
    expect(podPhase(pod(), rec([]))).toBe('Pending');
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const first = buildPodStatus(pod(), rec([c()]), 'h', 'T1');
    const again = buildPodStatus(pod(undefined, first), rec([c()]), 'h', 'T2');
    expect(again.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe('T1');
    expect(sameStatus(first, again)).toBe(true);
    const flipped = buildPodStatus(pod(undefined, first), rec([c({ ready: false })]), 'h', 'T3');
    expect(flipped.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe('T3');
    expect(sameStatus(first, flipped)).toBe(false);
  });
});

describe('probe schedule', () => {
  const probe = { initialDelaySeconds: 2, periodSeconds: 5, failureThreshold: 2, successThreshold: 2 };

  it('waits the initial delay, then decides by thresholds', () => {
    const s0 = initialProbeState(probe, 1000);
    expect(s0).toEqual({ nextAt: 3000, successes: 0, failures: 0, result: undefined });
    const s1 = recordProbe(probe, s0, true, 3000);
    expect(s1).toEqual({ nextAt: 8000, successes: 1, failures: 0, result: undefined });
    const s2 = recordProbe(probe, s1, true, 8000);
    expect(s2.result).toBe(true);
    const s3 = recordProbe(probe, s2, false, 13000);
    expect(s3.result).toBe(true);
    const s4 = recordProbe(probe, s3, false, 18000);
    expect(s4).toMatchObject({ result: false, failures: 2, successes: 0 });
  });

  it('uses Kubernetes defaults: period 10 s, failure threshold 3, success threshold 1', () => {
    let s = initialProbeState({}, 0);
    s = recordProbe({}, s, false, 0);
    s = recordProbe({}, s, false, 0);
    expect(s.result).toBeUndefined();
    expect(recordProbe({}, s, false, 0).result).toBe(false);
    expect(recordProbe({}, s, true, 0)).toMatchObject({ result: true, nextAt: 10_000 });
  });
});
