import { describe, expect, it } from 'vitest';
import { jumpGraphProblem, type GraphView } from './jump-graph.js';

/** `uses[c]` lists the verdict maps chain c looks up; `maps[m]` the chains m's elements go to. */
function graph(bases: string[], edges: Record<string, string[]>, maps: Record<string, string[]> = {}, uses: Record<string, string[]> = {}): GraphView {
  return {
    baseChains: () => bases,
    forEachChild: (c, fn) => {
      for (const x of edges[c] ?? []) fn(x);
      for (const m of uses[c] ?? []) for (const x of maps[m] ?? []) fn(x);
    },
  };
}

describe('jumpGraphProblem', () => {
  it('accepts a tree of jumps', () => {
    expect(jumpGraphProblem(graph(['pre'], { pre: ['svc'], svc: ['ep1', 'ep2'] }))).toBeUndefined();
  });
  it('ignores cycles no base chain reaches', () => {
    expect(jumpGraphProblem(graph(['pre'], { a: ['b'], b: ['a'] }))).toBeUndefined();
  });
  it('finds a cycle reachable from a base chain', () => {
    expect(jumpGraphProblem(graph(['pre'], { pre: ['a'], a: ['b'], b: ['a'] }))).toMatch(/loop/);
  });
  it('follows verdict map elements', () => {
    expect(jumpGraphProblem(graph(['pre'], { pre: [], svc: [] }, { m: ['svc'] }, { pre: ['m'], svc: ['m'] }))).toMatch(/loop/);
  });
  it('allows 15 levels and refuses 16', () => {
    const chain = (n: number): Record<string, string[]> =>
      Object.fromEntries([['base', ['c1']], ...Array.from({ length: n - 1 }, (_, i) => [`c${i + 1}`, [`c${i + 2}`]])]);
    expect(jumpGraphProblem(graph(['base'], chain(15)))).toBeUndefined();
    expect(jumpGraphProblem(graph(['base'], chain(16)))).toMatch(/16/);
  });
  it('visits each chain once (10^14 paths through 14 fully connected layers of 10)', () => {
    const layer = (i: number): string[] => Array.from({ length: 10 }, (_, j) => `l${i}-${j}`);
    const edges: Record<string, string[]> = { base: layer(0) };
    for (let i = 0; i < 13; i++) for (const c of layer(i)) edges[c] = layer(i + 1);
    expect(jumpGraphProblem(graph(['base'], edges))).toBeUndefined();
  });
});
