// conntrack entries, through the `conntrack` tool (conntrack-tools), optionally inside a
// network namespace. Used by the service proxy to remove stale UDP flows after a sync
// (upstream kube-proxy does the same through netlink in pkg/proxy/conntrack).
import { run } from './exec.js';

/** One `conntrack -D` filter: every given field must match. */
export interface ConntrackDeleteFilter {
  proto: 'udp' | 'tcp' | 'sctp';
  origDst?: string;
  origDport?: number;
  dstNat?: string;
}

export function conntrackDeleteArgv(f: ConntrackDeleteFilter): string[] {
  const argv = ['conntrack', '-D', '-p', f.proto];
  if (f.origDst) argv.push('--orig-dst', f.origDst);
  if (f.origDport) argv.push('--orig-port-dst', String(f.origDport));
  if (f.dstNat) argv.push('--dst-nat', f.dstNat);
  return argv;
}

/**
 * Deletes the flows matching each filter. conntrack exits 1 with "0 flow entries have been
 * deleted" when nothing matched: that is success here, not an error.
 */
export async function deleteConntrackFlows(filters: ConntrackDeleteFilter[], netns?: string): Promise<number> {
  let deleted = 0;
  for (const f of filters) {
    const r = await run(conntrackDeleteArgv(f), { netns, allowFailure: true, timeoutMs: 10_000 });
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
    if (r.code !== 0 && !m) throw new Error(`${conntrackDeleteArgv(f).join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    deleted += m ? Number(m[1]) : 0;
  }
  return deleted;
}
