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

/** Runs one trace and returns what the command prints (stdout, warnings) and its exit status. */
export async function traceOutput(o: RunTraceOptions): Promise<{ stdout: string; warnings: string[]; code: number }> {
  const lines: string[] = [];
  const warnings: string[] = [];
  const print = (x: string) => lines.push(x);
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
  for (const m of missing) warnings.push(`node ${m.node} left out of the trace: ${m.error}`);
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
    print(whyText(result));
    return { stdout: lines.join('\n'), warnings, code: 0 };
  }
  if (o.output === 'json') print(JSON.stringify({ ...result, verdict: clusterVerdict(result), ...(live ? { live, agreement } : {}) }, null, 2));
  else if (o.output === 'html') print(renderHtml(result));
  else if (o.output === 'mermaid') print(renderMermaid(result));
  else {
    print(renderText(result));
    if (live) {
      const { renderLive } = await import('./live.js');
      print(`\nlive probe:\n${renderLive(live as never)}\n\n${agreement}`);
    }
  }
  return { stdout: lines.join('\n'), warnings, code: agreement?.startsWith('DISAGREE') ? 2 : 0 };
}

export async function runTrace(o: RunTraceOptions): Promise<number> {
  const r = await traceOutput(o);
  for (const w of r.warnings) console.error(`warning: ${w}`);
  console.log(r.stdout);
  return r.code;
}
