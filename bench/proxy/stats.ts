// Small numeric and formatting helpers of bench/proxy, and its memory reference.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
export const median = (xs: number[]): number => pct(xs, 0.5);
/** Nearest rank: with 20 samples p99 is the largest, which is what a p99 of 20 can honestly say. */
export const pct = (xs: number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] ?? NaN;
export const ratio = (x: number): string => `×${x.toFixed(2)}`;
export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/**
 * RSS of an idle bare Node process (the floor of any Node daemon), read once it has
 * settled: the same reference as bench/lab.
 */
export async function bareNodeRssKiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
  } finally {
    child.kill('SIGKILL');
  }
}
