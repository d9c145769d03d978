// The normalised dump: one canonical text form of a table, produced from the fake's state
// and from the kernel's listing alike, so that the two can be compared line by line.
// Order of sets, maps, chains and elements is sorted (the kernel lists elements in hash
// order); rule order is kept; handles, counter values and element expiry are left out
// (they depend on history and time, not on the programmed state).
import { dumpRuleText } from './canonical.js';
import { formatDuration, quote } from './format.js';
import { renderSetType } from './render.js';
import type { ChainContent, ElementContent, MapContent, SetContent, TableContent } from './types.js';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function elementText(e: ElementContent, setTimeout: number | undefined): string {
  let s = e.key.join(' . ');
  // nft lists an element's timeout only when it differs from the set's default.
  if (e.timeout !== undefined && e.timeout !== setTimeout) s += ` timeout ${formatDuration(e.timeout)}`;
  if (e.comment !== undefined) s += ` comment ${quote(e.comment)}`;
  if (e.value !== undefined) s += ` : ${e.value.join(' . ')}`;
  return s;
}

function setLines(s: SetContent | MapContent): string[] {
  const lines = [`${s.kind} ${s.name}`, `\ttype ${renderSetType(s)}`];
  if (s.typeof !== undefined) lines.push(`\ttypeof ${s.typeof}`);
  const flags = [...new Set(s.flags ?? [])].sort();
  if (flags.length) lines.push(`\tflags ${flags.join(',')}`);
  if (s.timeout !== undefined) lines.push(`\ttimeout ${formatDuration(s.timeout)}`);
  if (s.size !== undefined) lines.push(`\tsize ${s.size}`);
  if (s.comment !== undefined) lines.push(`\tcomment ${quote(s.comment)}`);
  const elements = s.elements.map((e) => elementText(e, s.timeout)).sort();
  for (const e of elements) lines.push(`\telement ${e}`);
  return lines;
}

function chainLines(c: ChainContent): string[] {
  const lines = [`chain ${c.name}`];
  if (c.base) {
    const b = c.base;
    lines.push(`\ttype ${b.type} hook ${b.hook}${b.device !== undefined ? ` device ${quote(b.device)}` : ''} priority ${b.priority} policy ${b.policy ?? 'accept'}`);
  }
  if (c.comment !== undefined) lines.push(`\tcomment ${quote(c.comment)}`);
  for (const r of c.rules) {
    lines.push(`\trule ${dumpRuleText(r.rule)}${r.comment !== undefined ? ` comment ${quote(r.comment)}` : ''}`);
  }
  return lines;
}

export function normalisedDump(t: TableContent): string {
  const lines = [`table ${t.family} ${t.name}`];
  if (t.comment !== undefined) lines.push(`\tcomment ${quote(t.comment)}`);
  for (const s of [...t.sets].sort(byName)) lines.push(...setLines(s));
  for (const m of [...t.maps].sort(byName)) lines.push(...setLines(m));
  for (const c of [...t.chains].sort(byName)) lines.push(...chainLines(c));
  return `${lines.join('\n')}\n`;
}
