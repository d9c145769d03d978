import { describe, expect, it } from 'vitest';
import { healthStatus, type HealthSource } from './health.js';

const src = (last: number | undefined, pending: boolean): HealthSource => ({ name: 'x', lastSyncOk: () => last, pending: () => pending });

describe('agent health', () => {
  it('is unhealthy before the first sync', () => {
    expect(healthStatus([src(undefined, false)], 1000, 60_000).healthy).toBe(false);
  });
  it('is healthy after a sync with nothing pending, however old', () => {
    expect(healthStatus([src(1000, false)], 10_000_000, 60_000).healthy).toBe(true);
  });
  it('is unhealthy when a wanted sync has not happened for too long', () => {
    expect(healthStatus([src(1000, true)], 1000 + 60_001, 60_000).healthy).toBe(false);
    expect(healthStatus([src(1000, true)], 1000 + 59_999, 60_000).healthy).toBe(true);
  });
  it('needs every component healthy', () => {
    const r = healthStatus([src(1000, false), src(undefined, false)], 2000, 60_000);
    expect(r.healthy).toBe(false);
    expect(r.body).toMatchObject({ nodeHealthy: false });
  });
});
