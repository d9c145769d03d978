// The parent side of figure 3's prober (probe-child.ts, one per client namespace): reads
// its attempts and finds, after a policy change at time T0, the moment new connections
// flipped — the launch time of the first attempt with the new outcome after which no
// attempt had the old one. Resolution: the launch interval (5 ms by default).
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from '../../netns-tests/lib/index.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'probe-child.js');
export const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Attempt { t: number; status: 0 | 1 | 2 }

export interface Flip {
  /** First attempt with the new outcome (after which all have it) − T0. */
  effectiveMs: number;
  /** Attempts launched after T0 with the new outcome but followed by old ones (0 if the flip is clean). */
  flapped: number;
  /** Attempts that were refused or reset (neither outcome: the path itself failed). */
  errors: number;
  /** The outcome just before T0 was the old one (the change really flipped something). */
  wasOld: boolean;
}

export class Prober {
  private attempts: Attempt[] = [];
  private constructor(private readonly child: ChildProcess, readonly intervalMs: number, readonly timeoutMs: number) {}

  static async start(w: World, ns: string, target: { ip: string; port: number }, intervalMs = 5, timeoutMs = 200): Promise<Prober> {
    const child = w.spawn(ns, [process.execPath, CHILD, target.ip, String(target.port), String(intervalMs), String(timeoutMs)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const p = new Prober(child, intervalMs, timeoutMs);
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`prober in ${ns} exited ${code}`)));
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === 'ready') { resolve(); continue; }
          const [t, s] = line.split(' ');
          p.attempts.push({ t: Number(t), status: Number(s) as Attempt['status'] });
        }
      });
    });
    return p;
  }

  /** Wait until the steady outcome is `allowed` (true) or denied (false); throws after `deadlineMs`. */
  async settle(allowed: boolean, deadlineMs = 10_000): Promise<void> {
    const t0 = now();
    await this.flip(t0 - 1, allowed, deadlineMs);
  }

  /**
   * After a change at `t0` that should make new connections `allowed`/denied: wait until
   * at least `stableMs` of attempts have the new outcome and every attempt up to then is
   * decided (a denied one takes `timeoutMs` to be known), then locate the flip.
   */
  async flip(t0: number, allowed: boolean, deadlineMs = 15_000, stableMs = 150): Promise<Flip> {
    const want = allowed ? 1 : 0;
    const old = allowed ? 0 : 1;
    this.attempts = this.attempts.filter((a) => a.t >= t0 - 1000);
    for (;;) {
      const decidedUpTo = now() - this.timeoutMs - 50;
      const rs = this.attempts.filter((a) => a.t >= t0 && a.t <= decidedUpTo).sort((a, b) => a.t - b.t);
      let lastOld = -1;
      rs.forEach((a, i) => { if (a.status === old) lastOld = i; });
      const fresh = rs.slice(lastOld + 1).filter((a) => a.status === want);
      // Decided by now too: a denied attempt just before t0 is reported 200 ms after its start.
      const before = this.attempts.filter((a) => a.t < t0 && a.t > t0 - 100);
      if (fresh.length >= 10 && fresh[fresh.length - 1]!.t - fresh[0]!.t >= stableMs) {
        return {
          effectiveMs: fresh[0]!.t - t0,
          flapped: rs.slice(0, lastOld + 1).filter((a) => a.status === want).length,
          errors: rs.filter((a) => a.status === 2).length,
          wasOld: before.length > 0 && before.every((a) => a.status === old),
        };
      }
      if (now() - t0 > deadlineMs) {
        const counts = [0, 1, 2].map((s) => rs.filter((a) => a.status === s).length);
        throw new Error(`no flip to ${allowed ? 'allowed' : 'denied'} within ${deadlineMs} ms (denied/allowed/error since the change: ${counts.join('/')})`);
      }
      await sleep(20);
    }
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
