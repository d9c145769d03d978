// Small numeric and formatting helpers of bench/apiserver.
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
/** Nearest rank: with 20 samples p99 is the largest, which is what a p99 of 20 can honestly say. */
export const pct = (xs: number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] ?? NaN;
export const median = (xs: number[]): number => pct(xs, 0.5);
export const ratio = (x: number): string => `×${x.toFixed(2)}`;
export const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`);
export const fmtRate = (perS: number): string => `${Math.round(perS).toLocaleString('en-US')}/s`;
export const thousands = (n: number): string => n.toLocaleString('en-US');

/** Runs `count` jobs numbered from `from`, at most `concurrency` at a time. */
export async function runPool(from: number, count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const end = from + count;
  const loop = async () => {
    while (next < end) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
}
