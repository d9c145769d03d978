// Readiness, liveness and startup probes: httpGet and tcpSocket from the node's
// namespace to the pod IP (as the real kubelet does from the host), exec inside the
// pod's network namespace. The schedule (initial delay, period, thresholds) is a pure
// state machine; `runProbe` does one attempt.
import http from 'node:http';
import net from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { run } from '../kernel/exec.js';
import { resolvePort } from './container-spec.js';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

export interface ProbeState {
  /** ms timestamp of the next attempt. */
  nextAt: number;
  successes: number;
  failures: number;
  /** The probe's verdict so far: undefined until thresholds decide. */
  result: boolean | undefined;
}

export function initialProbeState(p: V1Probe, containerStartedAt: number): ProbeState {
  return { nextAt: containerStartedAt + (p.initialDelaySeconds ?? 0) * 1000, successes: 0, failures: 0, result: undefined };
}

/** Fold one attempt's outcome into the state (successThreshold / failureThreshold). */
export function recordProbe(p: V1Probe, s: ProbeState, ok: boolean, now: number): ProbeState {
  const successes = ok ? s.successes + 1 : 0;
  const failures = ok ? 0 : s.failures + 1;
  let result = s.result;
  if (ok && successes >= (p.successThreshold ?? 1)) result = true;
  if (!ok && failures >= (p.failureThreshold ?? 3)) result = false;
  return { nextAt: now + (p.periodSeconds ?? 10) * 1000, successes, failures, result };
}

export interface ProbeTarget {
  podIP: string;
  /** Pod network namespace, for exec probes. */
  netns: string;
  env: Record<string, string>;
}

/** One probe attempt: true = success. Never throws. */
export async function runProbe(p: V1Probe, c: V1Container, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  try {
    if (p.httpGet) {
      const port = resolvePort(c, p.httpGet.port as number | string);
      if (port === undefined) return false;
      return await httpProbe(p.httpGet.host || target.podIP, port, p.httpGet.path ?? '/',
        Object.fromEntries((p.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])), timeoutMs);
    }
    if (p.tcpSocket) {
      const port = resolvePort(c, p.tcpSocket.port as number | string);
      if (port === undefined) return false;
      return await tcpProbe(p.tcpSocket.host || target.podIP, port, timeoutMs);
    }
    if (p.exec?.command?.length) {
      const r = await run(p.exec.command, { netns: target.netns, env: { ...target.env }, allowFailure: true, timeoutMs });
      return r.code === 0;
    }
  } catch {
    return false;
  }
  return false;
}

function httpProbe(host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, headers: { 'user-agent': 'kube-probe/1.32', ...headers }, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: timeoutMs });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(false));
  });
}
