import { describe, expect, it } from 'vitest';
import { maglevSize, maglevTable } from './maglev.js';

const backends = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.244.${i >> 8}.${i & 255}:8080`);

describe('maglevTable', () => {
  it('fills every slot and balances within one slot per backend', () => {
    for (const n of [1, 2, 3, 7, 20]) {
      const size = maglevSize(n);
      const t = maglevTable(backends(n), size);
      expect(t.every((b) => b >= 0 && b < n)).toBe(true);
      const counts = new Array<number>(n).fill(0);
      for (const b of t) counts[b]!++;
      // Pseudocode 1 hands out slots in turns, so counts differ by at most one.
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('moves about 1/N of the slots when one of N backends goes away', () => {
    for (const n of [5, 10, 20]) {
      const size = maglevSize(n);
      const names = backends(n);
      const before = maglevTable(names, size).map((i) => names[i]);
      const removed = names[3]!;
      const rest = names.filter((b) => b !== removed);
      const after = maglevTable(rest, size).map((i) => rest[i]);
      const moved = before.filter((b, slot) => b !== after[slot]).length / size;
      // The removed backend's own slots (1/N) must move; others may move a little (the
      // paper's Figure 11: a few percent beyond the minimum).
      expect(moved).toBeGreaterThanOrEqual(1 / n - 1 / size);
      expect(moved).toBeLessThan(1 / n + 0.1);
      const movedFromSurvivors = before.filter((b, slot) => b !== removed && b !== after[slot]).length / size;
      expect(movedFromSurvivors).toBeLessThan(0.1);
    }
  });

  it('does not depend on the order backends are listed in', () => {
    const names = backends(6);
    const a = maglevTable(names, 251).map((i) => names[i]);
    const rev = [...names].reverse();
    const b = maglevTable(rev, 251).map((i) => rev[i]);
    // Turn order differs, so a few contested slots may differ, but ownership is nearly identical.
    expect(a.filter((x, i) => x !== b[i]).length).toBeLessThan(251 * 0.1);
  });

  it('chooses a prime size with room for ten slots per backend', () => {
    expect(maglevSize(1)).toBe(251);
    expect(maglevSize(26)).toBe(1021);
  });
});
