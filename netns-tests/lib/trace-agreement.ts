// Issue 9's agreement check: the static tracer (src/trace) over the live lab — each node's
// tables, addresses and routes from its agent's trace socket, pods from the API — asked
// the same question a test's real probe answered. Tests compare the two outcomes and count
// the comparisons; any disagreement fails the test that made it.
import { nodePaths } from '../../src/lab/components.js';
import { clientRoutes } from '../../src/lab/trace-source.js';
import type { LabPlan } from '../../src/lab/plan.js';
import { CLIENT_IP } from '../../src/lab/plan.js';
import type { Rest } from '../../src/kubelet/rest.js';
import { traceCluster, type ClusterTrace, type ClusterVerdict, type ClusterView, type TraceSource, type TraceTarget } from '../../src/trace/cluster.js';
import { gatherView } from '../../src/trace/view.js';
import { renderText } from '../../src/trace/render.js';

export class StaticTracer {
  private view: ClusterView | undefined;
  /** Comparisons made and those that disagreed (for the test's summary). */
  readonly counts = { compared: 0, disagreed: 0 };

  constructor(private readonly plan: LabPlan, private readonly api: Rest) {}

  /** Re-reads the cluster: call after the state under test settled (the probes matched). */
  async refresh(): Promise<void> {
    const sockets = new Map(this.plan.nodes.map((n) => [n.nodeName, nodePaths(this.plan, n, 'hawser').traceSocket]));
    const { view, missing } = await gatherView({ api: this.api, sockets, externalIP: CLIENT_IP, externalRoutes: await clientRoutes(this.plan) });
    if (missing.length) throw new Error(`trace state missing for ${missing.map((m) => `${m.node}: ${m.error}`).join('; ')}`);
    this.view = view;
  }

  trace(source: TraceSource | { kind: 'podKey'; namespace: string; name: string }, target: TraceTarget): ClusterTrace {
    if (!this.view) throw new Error('StaticTracer.refresh() first');
    let src: TraceSource;
    if (source.kind === 'podKey') {
      const pod = this.view.pods.find((p) => p.namespace === source.namespace && p.name === source.name);
      if (!pod) throw new Error(`no pod ${source.namespace}/${source.name} in the trace view`);
      src = { kind: 'pod', pod };
    } else {
      src = source;
    }
    return traceCluster(this.view, src, target);
  }

  /** Counts one comparison; returns a line for the test's failure list, or undefined when they agree. */
  compare(what: string, agree: boolean, trace: ClusterTrace): string | undefined {
    this.counts.compared++;
    if (agree) return undefined;
    this.counts.disagreed++;
    return `${what}\n${renderText(trace)}`;
  }
}

/** The observed outcome classes a probe can have, as the tracer's verdict names them. */
export type Observed = { delivered: string } | 'REJECT' | 'DROP' | { other: string };

/** Whether a static verdict allows an outcome: the endpoint the kernel chose must be a predicted one. */
export function staticAllows(v: ClusterVerdict, seen: Observed): boolean {
  if (v === 'REJECT' || v === 'DROP') return seen === v;
  if (typeof seen === 'string' || !('delivered' in seen)) return false;
  return v.endpoints.some((e) => e.ip === seen.delivered);
}
