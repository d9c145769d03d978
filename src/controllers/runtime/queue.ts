// A keyed work queue with one worker, as client-go's workqueue is used by upstream
// controllers: a key queued many times is reconciled once; a key being reconciled is
// re-run afterwards if it was queued meanwhile; failures retry with capped backoff. One
// worker per controller keeps reconciles of one controller strictly serial, which is what
// makes the allocators inside controllers (LB IPs, pod CIDRs) race-free.

export interface QueueOptions {
  name: string;
  onError?: (key: string, err: unknown) => void;
  maxBackoffMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class WorkQueue {
  private queued = new Set<string>();
  private order: string[] = [];
  private active: string | undefined;
  private failures = new Map<string, number>();
  private timers = new Map<string, unknown>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly reconcile: (key: string) => Promise<void>, private readonly opts: QueueOptions) {}

  add(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.kick();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const set = this.opts.setTimer ?? ((fn, d) => setTimeout(fn, d).unref());
    this.timers.set(key, set(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms));
  }

  get length(): number {
    return this.order.length + (this.active ? 1 : 0);
  }

  /** Resolves when nothing is queued or running (timers not counted). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.order = [];
    this.queued.clear();
    const clear = this.opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    for (const t of this.timers.values()) clear(t);
    this.timers.clear();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.order.length > 0 && !this.stopped) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private async loop(): Promise<void> {
    while (this.order.length > 0 && !this.stopped) {
      const key = this.order.shift()!;
      this.queued.delete(key);
      this.active = key;
      try {
        await this.reconcile(key);
        this.failures.delete(key);
      } catch (err) {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.opts.onError?.(key, err);
        this.addAfter(key, Math.min(5 * 2 ** n, this.opts.maxBackoffMs ?? 5_000));
      } finally {
        this.active = undefined;
      }
    }
  }
}
