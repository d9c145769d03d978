// A compiled Ruleset as one `nft -f` table block, in the order and spelling the compiler
// wrote (not nft's listing form): the golden text of the unit tests and something a person
// can load by hand (`nft -f`) to try a ruleset. Applying goes through Transactions instead.
import { formatDuration, quote } from '../src/kernel/nft/format.js';
import type { ChainContent, MapContent, Ruleset, SetContent } from '../src/kernel/nft/types.js';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** `type …` or, for maps keyed by a numgen/jhash result, `typeof …`. */
export function setTypeText(s: SetContent | MapContent): string {
  const t = s.typeof;
  const key = t !== undefined ? `typeof ${t}` : `type ${s.type.join(' . ')}`;
  return s.kind === 'map' ? `${key} : ${s.value.join(' . ')}` : key;
}

function setBlock(s: SetContent | MapContent): string[] {
  const lines = [`\t${s.kind} ${s.name} {`, `\t\t${setTypeText(s)}`];
  if (s.flags?.length) lines.push(`\t\tflags ${s.flags.join(',')}`);
  if (s.timeout !== undefined) lines.push(`\t\ttimeout ${formatDuration(s.timeout)}`);
  if (s.size !== undefined) lines.push(`\t\tsize ${s.size}`);
  if (s.comment !== undefined) lines.push(`\t\tcomment ${quote(s.comment)}`);
  if (s.elements.length) {
    const els = s.elements.map((e) => e.key.join(' . ') + (e.value ? ` : ${e.value.join(' . ')}` : ''));
    lines.push(`\t\telements = { ${els.join(',\n\t\t\t     ')} }`);
  }
  lines.push('\t}');
  return lines;
}

function chainBlock(c: ChainContent): string[] {
  const lines = [`\tchain ${c.name} {`];
  if (c.base) lines.push(`\t\ttype ${c.base.type} hook ${c.base.hook} priority ${c.base.priority}; policy ${c.base.policy ?? 'accept'};`);
  for (const r of c.rules) lines.push(`\t\t${r.rule}${r.comment !== undefined ? ` comment ${quote(r.comment)}` : ''}`);
  lines.push('\t}');
  return lines;
}

/** Sets and maps, then base chains, then regular chains, each sorted by name. */
export function renderRuleset(t: Ruleset): string {
  const lines = [`table ${t.family} ${t.name} {`];
  if (t.comment !== undefined) lines.push(`\tcomment ${quote(t.comment)}`);
  for (const s of [...t.sets].sort(byName)) lines.push(...setBlock(s));
  for (const m of [...t.maps].sort(byName)) lines.push(...setBlock(m));
  for (const c of t.chains.filter((x) => x.base).sort(byName)) lines.push(...chainBlock(c));
  for (const c of t.chains.filter((x) => !x.base).sort(byName)) lines.push(...chainBlock(c));
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
