import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from './fake-clock.js';
import { SyncRunner } from './sync-runner.js';
import type { RunReason } from './sync-runner.js';

function setup(fail: () => boolean = () => false) {
  const clock = new FakeClock();
  const runs: Array<{ at: number; reason: RunReason }> = [];
  const runner = new SyncRunner(async (reason) => {
    runs.push({ at: clock.now(), reason });
    if (fail()) throw new Error('boom');
  }, { minIntervalMs: 1000, maxIntervalMs: 60_000, retryMs: 5000, clock });
  runner.start();
  return { clock, runs, runner };
}

describe('SyncRunner', () => {
  it('runs a request at once, then coalesces requests within the minimum interval', async () => {
    const { clock, runs, runner } = setup();
    runner.request();
    await clock.advance(0);
    expect(runs).toEqual([{ at: 0, reason: 'request' }]);
    await clock.advance(100);
    runner.request();
    runner.request();
    await clock.advance(100);
    runner.request();
    await clock.advance(2000);
    expect(runs.map((r) => r.at)).toEqual([0, 1000]);
  });

  it('runs periodically when nothing is requested', async () => {
    const { clock, runs, runner } = setup();
    runner.request();
    await clock.advance(0);
    await clock.advance(130_000);
    expect(runs.map((r) => [r.at, r.reason])).toEqual([[0, 'request'], [60_000, 'periodic'], [120_000, 'periodic']]);
  });

  it('retries after a failure', async () => {
    let n = 0;
    const { clock, runs, runner } = setup(() => n++ === 0);
    runner.request();
    await clock.advance(0);
    expect(runner.failures).toBe(1);
    await clock.advance(6000);
    expect(runs.map((r) => [r.at, r.reason])).toEqual([[0, 'request'], [5000, 'retry']]);
    expect(runner.failures).toBe(0);
  });

  it('honours requestAt, and runNow ignores the minimum interval', async () => {
    const { clock, runs, runner } = setup();
    runner.request();
    await clock.advance(0);
    runner.requestAt(3000);
    await clock.advance(2000);
    expect(runs).toHaveLength(1);
    await clock.advance(1500);
    expect(runs.map((r) => r.at)).toEqual([0, 3000]);
    await runner.runNow();
    expect(runs.map((r) => r.at)).toEqual([0, 3000, 3500]);
  });

  it('never runs twice at once and stops cleanly', async () => {
    const clock = new FakeClock();
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => undefined;
    const runner = new SyncRunner(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => { release = r; });
      active--;
    }, { minIntervalMs: 10, maxIntervalMs: 1000, retryMs: 10, clock });
    runner.request();
    await clock.advance(0);
    const now = runner.runNow();
    runner.request();
    await clock.advance(50);
    release();
    await settle();
    release();
    await now;
    expect(maxActive).toBe(1);
    await runner.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
