// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
// Load Balancer", NSDI 2016, §3.4, Pseudocode 1). Each backend gets a permutation of the M
// table slots from two hashes of its name (offset, skip); backends take turns claiming their
// next preferred free slot until the table is full. Every backend ends with ⌊M/N⌋ or ⌈M/N⌉
// slots, and removing one backend moves little more than the slots it owned (≈ 1/N).
import { createHash } from 'node:crypto';

/** Prime table sizes; the paper wants M ≫ N (M > 100·N keeps imbalance ≤ 1 %). */
export const MAGLEV_SIZES = [251, 1021, 4093, 16381, 65521] as const;

/**
 * Table size for N backends: the smallest prime with at least 10 slots per backend. The size
 * only changes when N crosses a threshold, so ordinary scale changes keep consistency.
 */
export function maglevSize(n: number): number {
  return MAGLEV_SIZES.find((m) => m >= 10 * n) ?? MAGLEV_SIZES[MAGLEV_SIZES.length - 1]!;
}

function h32(salt: string, name: string): number {
  return createHash('sha256').update(`${salt}:${name}`).digest().readUInt32BE(0);
}

/**
 * The lookup table: entry[slot] = index into `backends`. `backends` are stable names (e.g.
 * `ip:port`); their order does not matter, only their set.
 */
export function maglevTable(backends: readonly string[], size: number): number[] {
  const n = backends.length;
  const table = new Array<number>(size).fill(-1);
  if (n === 0) return table;
  const offset = backends.map((b) => h32('offset', b) % size);
  const skip = backends.map((b) => (h32('skip', b) % (size - 1)) + 1);
  const next = new Array<number>(n).fill(0);
  let filled = 0;
  for (;;) {
    for (let i = 0; i < n; i++) {
      let c = (offset[i]! + next[i]! * skip[i]!) % size;
      while (table[c] !== -1) {
        next[i] = next[i]! + 1;
        c = (offset[i]! + next[i]! * skip[i]!) % size;
      }
      table[c] = i;
      next[i] = next[i]! + 1;
      if (++filled === size) return table;
    }
  }
}
