// Gratuitous ARP, through iputils' `arping` (Debian package iputils-arping), optionally
// inside a network namespace. Linux announces nothing when an IPv4 address is added, so a
// node that takes over an address (a LoadBalancer IP moving after a failure) must tell the
// segment itself, or neighbours keep sending to the old owner's MAC until their ARP entry
// expires. An unsolicited ARP updates existing entries even with arp_accept=0.
import { run } from './exec.js';

export async function sendGratuitousArp(dev: string, ip: string, opts: { netns?: string; count?: number } = {}): Promise<void> {
  // -U: unsolicited ARP (sender = target = ip); -c: how many; -w: give up after this many seconds.
  const count = opts.count ?? 2;
  const r = await run(['arping', '-U', '-c', String(count), '-w', String(count + 1), '-I', dev, ip], { netns: opts.netns, allowFailure: true, timeoutMs: 10_000 });
  // arping -U exits 1 when no reply came back — the normal case for an announcement.
  if (r.code !== 0 && r.code !== 1) throw new Error(`arping -U -I ${dev} ${ip} exited ${r.code}: ${r.stderr.trim()}`);
}
