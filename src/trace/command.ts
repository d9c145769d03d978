// The `hawser trace` command: gather the live cluster, walk the packet, print it.
import { hostname } from 'node:os';
import { loadKubeConfig } from '../client/kubeconfig.js';
import { restFromKubeConfig } from '../client/rest-access.js';
import { clusterVerdict, traceCluster } from './cluster.js';
import { renderHtml, renderMermaid, renderText, whyText } from './render.js';
import { gatherView, parseProto, resolveSource, resolveTarget, type ViewSource } from './view.js';

export interface RunTraceOptions {
  from: string; to: string; proto?: string; output: string; lab?: string | boolean;
  kubeconfig?: string; agentSocket: string[]; externalIp: string; live?: boolean; why?: boolean;
}

export async function runTrace(o: RunTraceOptions): Promise<number> {
  if (!['text', 'json', 'html', 'mermaid'].includes(o.output)) throw new Error(`--output must be text, json, html or mermaid, not ${o.output}`);
  const proto = o.proto ? parseProto(o.proto) : undefined;
  let src: ViewSource;
  let lab: import('../lab/trace-source.js').LabTraceSource | undefined;
  if (o.lab !== undefined && o.lab !== false) {
    const { labTraceSource } = await import('../lab/trace-source.js');
    lab = labTraceSource(typeof o.lab === 'string' ? o.lab : 'lab');
    src = { api: lab.api, sockets: lab.sockets, externalIP: lab.externalIP, externalRoutes: await lab.externalRoutes() };
  } else {
    const sockets = new Map<string, string>();
    for (const kv of o.agentSocket) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`--agent-socket takes NODE=PATH, not ${kv}`);
      sockets.set(kv.slice(0, i), kv.slice(i + 1));
    }
    if (sockets.size === 0) sockets.set(hostname(), '/run/hawser/agent.sock');
    src = { api: restFromKubeConfig(loadKubeConfig(o.kubeconfig)), sockets, externalIP: o.externalIp };
  }
  const { view, objs, missing } = await gatherView(src);
  for (const m of missing) console.error(`warning: node ${m.node} left out of the trace: ${m.error}`);
  const source = resolveSource(o.from, view, objs);
  const target = resolveTarget(o.to, proto, view, objs);
  const result = traceCluster(view, source, target);
  let live: unknown;
  let agreement: string | undefined;
  if (o.live) {
    if (!lab) throw new Error('--live needs --lab: it enters the nodes\' network namespaces');
    const { runLive } = await import('./live-compare.js');
    const r = await runLive(lab, source, target, result);
    live = r.live;
    agreement = r.agreement;
  }
  if (o.why) {
    console.log(whyText(result));
    return 0;
  }
  if (o.output === 'json') console.log(JSON.stringify({ ...result, verdict: clusterVerdict(result), ...(live ? { live, agreement } : {}) }, null, 2));
  else if (o.output === 'html') console.log(renderHtml(result));
  else if (o.output === 'mermaid') console.log(renderMermaid(result));
  else {
    console.log(renderText(result));
    if (live) {
      const { renderLive } = await import('./live.js');
      console.log(`\nlive probe:\n${renderLive(live as never)}\n\n${agreement}`);
    }
  }
  if (agreement?.startsWith('DISAGREE')) return 2;
  return 0;
}
