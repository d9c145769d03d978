// Figure 1's reference: what loading the same NUMBER of things costs the nft tool and the
// kernel without hawser's structure. One flat table — a single plain set holding as many
// addresses as the policy table has set and map elements, and a single base chain holding
// as many rules as all its chains together — loaded by one bare `nft -f`. And the diagnostic
// variant of our own text with each set's elements in one command (groupElements).
import type { Ruleset } from '../../src/kernel/nft/types.js';

export const FLAT_TABLE = 'bench-flat';

export interface RulesetSize {
  chains: number;
  rules: number;
  sets: number;
  /** Set and verdict-map elements. */
  elements: number;
}

export function sizeOf(r: Ruleset): RulesetSize {
  const sets = [...r.sets, ...r.maps];
  return {
    chains: r.chains.length,
    rules: r.chains.reduce((s, c) => s + c.rules.length, 0),
    sets: sets.length,
    elements: sets.reduce((s, x) => s + x.elements.length, 0),
  };
}

const v4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** `elements` distinct addresses in one set, `rules` rules matching on it, one chain. */
export function flatRuleset({ rules, elements }: RulesetSize): string {
  const lines = [`table ip ${FLAT_TABLE} {`, '\tset flat {', '\t\ttype ipv4_addr'];
  const base = 172 << 24 | 16 << 16; // 172.16.0.0/12 holds a million addresses
  for (let i = 0; i < elements; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, elements - i) }, (_, j) => v4(base + i + j));
    lines.push(`\t\telements = { ${chunk.join(', ')} }`);
  }
  lines.push('\t}', '\tchain forward {', '\t\ttype filter hook forward priority 0; policy accept;');
  // Distinct ports so that nothing is deduplicated; each rule is one lookup + counter, like ours.
  for (let i = 0; i < rules; i++) lines.push(`\t\tip saddr @flat tcp dport ${1 + (i % 65535)} counter accept`);
  lines.push('\t}', '}', '');
  return lines.join('\n');
}

/**
 * Our own transaction text with each run of single-element `add element` lines for one set
 * merged into one command: what rendering elements per set (src/kernel/nft/render.ts writes
 * one command per element, so an error line maps to one operation) would save the nft tool.
 */
export function groupElements(text: string): string {
  const out: string[] = [];
  let head: string | undefined;
  let items: string[] = [];
  const flush = () => { if (head) out.push(`${head} { ${items.join(', ')} }`); head = undefined; items = []; };
  for (const line of text.split('\n')) {
    const m = /^(add element \S+ \S+ \S+) \{ (.*) \}$/.exec(line);
    if (m) {
      if (head !== m[1]) { flush(); head = m[1]; }
      items.push(m[2]!);
    } else {
      flush();
      if (line) out.push(line);
    }
  }
  flush();
  return out.join('\n') + '\n';
}
