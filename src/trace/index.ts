// The packet tracer over a compiled Ruleset: `trace(ruleset, packet, env)` gives every
// outcome with its probability; `verdictOf()` condenses them to what the tracer tables and
// the agreement tests compare: the endpoints (with probability and masquerade) or REJECT / DROP.
import type { Ruleset } from '../kernel/nft/types.js';
import { Walker } from './walker.js';
import type { Outcome, TraceEnv, TracePacket } from './walker.js';

export type { Entry, Outcome, TraceEnv, TracePacket } from './walker.js';
export { Walker } from './walker.js';
export { parseRule, RuleParseError } from './rule-parser.js';

export interface DeliveredEndpoint {
  ip: string;
  port: number;
  probability: number;
  masquerade: boolean;
  /** False when no rule translated the destination (the packet goes where it was sent). */
  dnat: boolean;
}

export type Verdict =
  | 'REJECT'
  | 'DROP'
  | {
    endpoints: DeliveredEndpoint[];
    /** True/false when every delivered branch agrees, 'mixed' otherwise (e.g. hairpin on one endpoint). */
    masquerade: boolean | 'mixed';
    /** Probability of the branches that are dropped or rejected, when some are delivered. */
    dropped?: number;
    rejected?: number;
  };

export function trace(rs: Ruleset, pkt: TracePacket, env: TraceEnv): Outcome[] {
  return new Walker(rs, env).trace(pkt);
}

const EPS = 1e-9;

export function verdictOf(outcomes: Outcome[]): Verdict {
  const p = (v: Outcome['verdict']): number => outcomes.filter((o) => o.verdict === v).reduce((a, o) => a + o.probability, 0);
  if (p('deliver') < EPS) return p('reject') >= p('drop') ? 'REJECT' : 'DROP';
  const by = new Map<string, DeliveredEndpoint>();
  for (const o of outcomes.filter((x) => x.verdict === 'deliver')) {
    const k = `${o.ip}|${o.port}|${o.masquerade}|${o.dnat}`;
    const prev = by.get(k);
    if (prev) prev.probability += o.probability;
    else by.set(k, { ip: o.ip, port: o.port, probability: o.probability, masquerade: o.masquerade, dnat: o.dnat });
  }
  const endpoints = [...by.values()].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.port - b.port);
  const masqs = new Set(endpoints.map((e) => e.masquerade));
  const v: Verdict = { endpoints, masquerade: masqs.size === 1 ? [...masqs][0]! : 'mixed' };
  if (p('drop') > EPS) v.dropped = p('drop');
  if (p('reject') > EPS) v.rejected = p('reject');
  return v;
}
