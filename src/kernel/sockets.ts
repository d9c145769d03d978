// Listening sockets of a namespace (`ss -H -l -n -t -u`): the tracer needs them to say
// whether a packet delivered to a node's own stack is accepted or answered with a reset.
import { run } from './exec.js';

export interface ListeningSocket { proto: 'tcp' | 'udp'; addr: string; port: number }

/** Pure: one `ss -H -l -n -t -u` listing → sockets (`*`, `0.0.0.0` and `[::]` mean any address). */
export function parseListening(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || (f[0] !== 'tcp' && f[0] !== 'udp')) continue;
    const m = /^\[?(.*?)\]?(?:%[^:]+)?:(\d+)$/.exec(f[4]!);
    if (!m) continue;
    out.push({ proto: f[0], addr: m[1] === '' ? '*' : m[1]!, port: Number(m[2]) });
  }
  return out;
}

export async function listListeningSockets(netns?: string): Promise<ListeningSocket[]> {
  const r = await run(['ss', '-H', '-l', '-n', '-t', '-u'], netns ? { netns } : {});
  return parseListening(r.stdout);
}
