// A bounded-frequency runner, after upstream's async.BoundedFrequencyRunner: requests are
// coalesced and run at most once per `minIntervalMs`; a periodic run happens at least every
// `maxIntervalMs`; a failed run is retried after `retryMs`. One run at a time. The clock
// and timers are injected so tests drive time by hand.
import type { Clock } from './api.js';

export type RunReason = 'request' | 'periodic' | 'retry';

export interface RunnerOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  retryMs: number;
  clock: Clock;
}

export class SyncRunner {
  private lastStart = -Infinity;
  private lastEnd = -Infinity;
  private timer: unknown;
  private timerAt = Infinity;
  private running: Promise<void> | undefined;
  private pending: RunReason | undefined;
  private retryAt = Infinity;
  private stopped = false;
  /** Runs that threw, in a row. */
  failures = 0;

  constructor(private readonly fn: (reason: RunReason) => Promise<void>, private readonly o: RunnerOptions) {}

  /** Start the periodic schedule (the first run comes from a request). */
  start(): void {
    this.reschedule();
  }

  /** Ask for a run; it happens as soon as the minimum interval allows. */
  request(): void {
    if (this.stopped) return;
    this.pending ??= 'request';
    this.reschedule();
  }

  /** Ask for a run no earlier than `at` (e.g. when stale chains become deletable). */
  requestAt(at: number): void {
    if (this.stopped) return;
    this.retryAt = Math.min(this.retryAt, at);
    this.reschedule();
  }

  /** Run now (waiting for a run in progress first), ignoring the minimum interval. */
  async runNow(reason: RunReason = 'request'): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    this.pending = undefined;
    await this.runOnce(reason);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    return this.running?.catch(() => undefined) ?? Promise.resolve();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** When the next run is due, given what is pending. */
  private nextDue(): { at: number; reason: RunReason } {
    const periodic = { at: (Number.isFinite(this.lastStart) ? this.lastStart : this.o.clock.now()) + this.o.maxIntervalMs, reason: 'periodic' as RunReason };
    let best = periodic;
    if (this.pending) {
      const at = Math.max(this.o.clock.now(), this.lastStart + this.o.minIntervalMs);
      if (at <= best.at) best = { at, reason: this.pending };
    }
    if (this.retryAt < best.at) best = { at: Math.max(this.retryAt, this.lastStart + this.o.minIntervalMs), reason: 'retry' };
    return best;
  }

  private reschedule(): void {
    if (this.stopped || this.running) return;
    const { at } = this.nextDue();
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      const due = this.nextDue();
      if (due.at > this.o.clock.now()) { this.reschedule(); return; }
      void this.runOnce(due.reason).catch(() => undefined);
    }, Math.max(0, at - this.o.clock.now()));
  }

  private async runOnce(reason: RunReason): Promise<void> {
    if (this.stopped) return;
    this.clearTimer();
    this.pending = undefined;
    if (reason === 'retry' || this.retryAt <= this.o.clock.now()) this.retryAt = Infinity;
    this.lastStart = this.o.clock.now();
    const run = (async () => {
      try {
        await this.fn(reason);
        this.failures = 0;
      } catch (e) {
        this.failures++;
        this.retryAt = Math.min(this.retryAt, this.o.clock.now() + this.o.retryMs);
        throw e;
      } finally {
        this.lastEnd = this.o.clock.now();
      }
    })();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
      this.reschedule();
    }
  }

  /** For tests and metrics. */
  get lastRunEndedAt(): number {
    return this.lastEnd;
  }
}
