import { describe, expect, it } from 'vitest';
import { humanDuration, wantsTable } from './table.js';
import { wantsAggregated } from './discovery.js';

describe('kubectl-style ages (duration.HumanDuration)', () => {
  it.each([
    [-5000, '<invalid>'], [-500, '0s'], [0, '0s'], [59_000, '59s'], [119_000, '119s'], [125_000, '2m5s'], [600_000, '10m'],
    [3 * 3600_000, '3h'], [3 * 3600_000 + 5 * 60_000, '3h5m'], [30 * 3600_000, '30h'], [50 * 3600_000, '2d2h'], [10 * 86400_000, '10d'], [800 * 86400_000, '2y70d'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe('content negotiation', () => {
  it('recognises the Accept headers kubectl sends', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
    expect(wantsAggregated('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(wantsAggregated('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe('v2beta1');
    expect(wantsAggregated('application/json')).toBeUndefined();
  });
});
