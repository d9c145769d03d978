// Releases pod addresses whose network namespace is gone (a pod that died without a CNI
// DEL: runtime crash, node reboot with a persistent data dir) — host-local's known leak.
// Runs on a timer in the agent; each sweep takes the IPAM store's lock like an ADD does,
// so it never races a call in flight.
import { sweepStaleReservations } from '../../cni/sweep.js';
import type { Logger } from '../log.js';

export class IpamSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: { dataDir: string; network: string; intervalMs: number; log: Logger }) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.sweep().finally(() => { this.running = undefined; }); }, this.o.intervalMs);
  }

  async sweep(): Promise<void> {
    try {
      const released = await sweepStaleReservations(this.o.dataDir, this.o.network);
      for (const r of released) this.o.log.info({ ip: r.ip, container: r.containerId, ifname: r.ifname }, 'released the address of a pod whose network namespace is gone');
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'IPAM sweep failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
