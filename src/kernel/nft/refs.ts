// What a rule or a map element refers to, read from its nft text: jump/goto targets and
// named sets/maps. The kernel refuses to load a reference to a missing object (ENOENT) and
// to delete an object still referenced (EBUSY); the fake tracks the same references.

const NAME = '[A-Za-z_.][A-Za-z0-9/_.-]*';
const CHAIN_REF = new RegExp(`\\b(?:jump|goto) (${NAME})`, 'g');
const SET_REF = new RegExp(`@(${NAME})`, 'g');
/** Sets written from the packet path (`add @s { … }`, `update @s { … }`): "dynamic sets". */
const DYNSET_REF = new RegExp(`\\b(?:add|update|delete) @(${NAME}) \\{`, 'g');

/** Text outside double quotes (a log prefix or comment could mention `goto x`). */
const unquoted = (text: string): string => text.split('"').filter((_s, i) => i % 2 === 0).join(' ');

export interface RuleRefs {
  chains: string[];
  sets: string[];
  dynsets: string[];
  /** Anonymous sets in the rule: each takes a handle from the table's counter, like a named set. */
  anonymousSets: number;
}

export function ruleRefs(text: string): RuleRefs {
  const t = unquoted(text);
  const all = (re: RegExp): string[] => [...t.matchAll(re)].map((m) => m[1]!);
  const braces = (t.match(/\{/g) ?? []).length;
  const dynsets = all(DYNSET_REF);
  return { chains: all(CHAIN_REF), sets: all(SET_REF), dynsets, anonymousSets: braces - dynsets.length };
}

/** The chain a verdict-map value jumps to, if any. */
export function verdictTarget(value: string[] | undefined): string | undefined {
  if (!value || value.length !== 1) return undefined;
  const m = new RegExp(`^(?:jump|goto) (${NAME})$`).exec(value[0]!);
  return m?.[1];
}
