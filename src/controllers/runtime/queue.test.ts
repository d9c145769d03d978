import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('dedups queued keys, re-runs a key queued while it runs, one at a time', async () => {
    const runs: string[] = [];
    let concurrent = 0;
    let max = 0;
    let requeued = false;
    const q: WorkQueue = new WorkQueue(async (k) => {
      concurrent++;
      max = Math.max(max, concurrent);
      runs.push(k);
      await new Promise((r) => setImmediate(r));
      if (k === 'a' && !requeued) {
        requeued = true;
        q.add('a');
      }
      concurrent--;
    }, { name: 't' });
    q.add('a');
    q.add('b');
    q.add('b');
    await q.idle();
    expect(runs).toEqual(['a', 'b', 'a']);
    expect(max).toBe(1);
  });

  it('retries a failing key with backoff through the injected timer', async () => {
    const timers: Array<() => void> = [];
    let fails = 2;
    const errors: string[] = [];
    const q = new WorkQueue(async () => {
      if (fails-- > 0) throw new Error('boom');
    }, { name: 't', onError: (k) => errors.push(k), setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
    q.add('k');
    await q.idle();
    expect(errors).toEqual(['k']);
    timers.shift()!();
    await q.idle();
    timers.shift()!();
    await q.idle();
    expect(errors).toEqual(['k', 'k']);
    expect(timers).toHaveLength(0);
  });
});
