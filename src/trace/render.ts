// How a cluster trace is shown: a hop list per branch for people at a terminal, and a
// Mermaid flowchart inside a self-contained HTML page for people reading docs.
import type { ClusterTrace, TraceBranch } from './cluster.js';

const pct = (p: number): string => `${(p * 100).toFixed(p === 1 || p === 0 ? 0 : 1)}%`;

export function branchTitle(b: TraceBranch): string {
  if (b.verdict === 'delivered') {
    const e = b.endpoint!;
    const where = e.pod ? `pod ${e.pod} ${e.ip}:${e.port} on ${e.node}` : e.host ? `${e.node} itself (${e.ip}:${e.port})` : `${e.ip}:${e.port}`;
    return `delivered to ${where}, source seen ${b.sourceSeen}${b.masquerade ? ' (masqueraded)' : ''}`;
  }
  return `${b.verdict.toUpperCase()}: ${b.reason ?? ''}`;
}

export function renderText(t: ClusterTrace): string {
  const out = [`trace ${t.proto} ${t.source} → ${t.target}`];
  t.branches.forEach((b, i) => {
    out.push('', `branch ${i + 1}/${t.branches.length}  p=${pct(b.probability)}  ${branchTitle(b)}`);
    const width = Math.max(0, ...b.hops.map((h) => (h.node ?? '').length));
    for (const h of b.hops) out.push(`  ${(h.node ?? '').padEnd(width)}  ${h.kind.padEnd(7)} ${h.text}`);
    for (const p of b.policy) out.push(`  policy: ${p}`);
  });
  return out.join('\n');
}

/** Mermaid node ids must be plain; labels are quoted and must not hold quotes. */
const label = (s: string): string => s.replace(/"/g, "'").replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›'));

export function renderMermaid(t: ClusterTrace): string {
  const lines = ['flowchart LR', `  src["${label(t.source)}"]`];
  t.branches.forEach((b, i) => {
    let prev = 'src';
    // The decisions only: verdict-map hits, load-balancing picks, NAT, drops, routes.
    const keyHops = b.hops.filter((h) => h.kind === 'route' || (h.kind === 'nft' && !h.step?.element?.includes('(no element)')
      && /dnat|masquerade|drop|reject|vmap|numgen|jhash/.test(h.step?.rule ?? '')));
    keyHops.forEach((h, j) => {
      const id = `b${i}h${j}`;
      const text = h.kind === 'nft' && h.step
        ? `${label(`${h.node}: ${h.step.table} ${h.step.chain}`)}<br/>${label(h.step.element ?? h.step.rule)}`
        : label(`${h.node ? `${h.node}: ` : ''}${h.text}`);
      lines.push(`  ${id}["${text}"]`);
      lines.push(`  ${prev} -->${j === 0 && t.branches.length > 1 ? `|${pct(b.probability)}|` : ''} ${id}`);
      prev = id;
    });
    const end = `b${i}end`;
    lines.push(`  ${end}${b.verdict === 'delivered' ? `(["${label(branchTitle(b))}"])` : `{{"${label(branchTitle(b))}"}}`}`);
    lines.push(`  ${prev} --> ${end}`);
  });
  return lines.join('\n');
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderHtml(t: ClusterTrace): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hawser trace: ${escapeHtml(t.source)} → ${escapeHtml(t.target)}</title>
<script type="module">import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs'; mermaid.initialize({ startOnLoad: true });</script>
<style>body{font-family:sans-serif;margin:2em} pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head>
<body><h1>${escapeHtml(t.proto)} ${escapeHtml(t.source)} → ${escapeHtml(t.target)}</h1>
<pre class="mermaid">
${escapeHtml(renderMermaid(t))}
</pre>
<h2>Hops</h2>
<pre>${escapeHtml(renderText(t))}</pre>
</body></html>
`;
}

/** `hawser trace --why`: for each way the connection fails, the rule that ends it and the policy story. */
export function whyText(t: ClusterTrace): string {
  const failing = t.branches.filter((b) => b.verdict !== 'delivered');
  const head = `${t.proto} ${t.source} → ${t.target}`;
  if (failing.length === 0) return `${head}: not denied — every branch is delivered (${t.branches.map(branchTitle).join('; ')})`;
  const lines = [`${head}: fails with p=${pct(failing.reduce((a, b) => a + b.probability, 0))}`];
  for (const b of failing) {
    const last = [...b.hops].reverse().find((h) => h.kind === 'nft');
    lines.push(`- ${b.verdict.toUpperCase()} (p=${pct(b.probability)}): ${b.reason ?? ''}`);
    if (last?.step && b.verdict !== 'unreachable') lines.push(`    rule: ${last.step.rule}${last.step.comment ? `  "${last.step.comment}"` : ''}`);
    for (const p of b.policy) lines.push(`    policy: ${p}`);
  }
  return lines.join('\n');
}
