// `hawser trace --live` in a lab: one real probe (live.ts) along the static path, and the
// verdict whether the two agree — the endpoint the kernel chose must be one the static
// walk predicts, a refused probe must be a predicted REJECT, a silent one a DROP.
import { kernelLiveDeps } from '../kernel/nft-monitor.js';
import type { LabTraceSource } from '../lab/trace-source.js';
import { clusterVerdict, type ClusterTrace, type TraceSource, type TraceTarget } from './cluster.js';
import { liveTrace, type LiveResult } from './live.js';

export async function runLive(lab: LabTraceSource, source: TraceSource, target: TraceTarget, statik: ClusterTrace): Promise<{ live: LiveResult; agreement: string }> {
  const netns = await lab.netnsOf(source);
  const nodes = [...lab.nodeNetns].map(([name, ns]) => ({ name, netns: ns }));
  const live = await liveTrace({ source: { netns }, dst: target.ip, dport: target.port, proto: target.proto, nodes }, kernelLiveDeps);
  return { live, agreement: compareLive(statik, live) };
}

/** "AGREE: …" or "DISAGREE: …" (the command exits 2 on a disagreement). */
export function compareLive(statik: ClusterTrace, live: LiveResult): string {
  const v = clusterVerdict(statik);
  const k = live.probe.kind;
  if (k === 'connected' || k === 'replied') {
    if (typeof v === 'string') return `DISAGREE: the static path says ${v}, but the probe got through${live.delivered ? ` to ${live.delivered.ip}:${live.delivered.port}` : ''}`;
    const d = live.delivered;
    if (!d) return `AGREE (partly): the probe got through as predicted; no DNAT entry in conntrack names the endpoint (direct traffic)`;
    const hit = v.endpoints.find((e) => e.ip === d.ip && e.port === d.port);
    if (!hit) return `DISAGREE: the kernel sent the probe to ${d.ip}:${d.port}, which the static path does not predict (${v.endpoints.map((e) => `${e.ip}:${e.port}`).join(', ')})`;
    return `AGREE: the kernel chose ${d.ip}:${d.port}${hit.pod ? ` (${hit.pod})` : ''}, one of the ${v.endpoints.length} endpoint(s) the static path predicts (p=${(hit.probability * 100).toFixed(1)}%)`;
  }
  if (k === 'refused' || k === 'reset') {
    return v === 'REJECT' ? 'AGREE: rejected, as the static path predicts' : `DISAGREE: the probe was refused, the static path says ${typeof v === 'string' ? v : 'delivered (is the endpoint listening on that port?)'}`;
  }
  if (k === 'timeout') {
    return v === 'DROP' ? 'AGREE: dropped (no answer), as the static path predicts' : `DISAGREE: the probe got no answer, the static path says ${typeof v === 'string' ? v : 'delivered'}`;
  }
  return `UNDECIDED: the probe could not be judged (${k}${live.probe.error ? `: ${live.probe.error}` : ''})`;
}
