// Reading `nft -a list table` text, for what `nft -j` (1.0.6) does not give us.
//
// Why not JSON alone: nft's JSON describes rules as expression trees; turning them back
// into the text people read would mean re-implementing nft's printer (its quirks included:
// `numgen random mod 2 0`, implied dependencies dropped, 32-bit hex marks). The text
// listing IS that printer's output, keyed by `# handle N`. And 1.0.6's JSON omits chain
// and table comments and the `dynamic` set flag (checked on this machine). So: JSON for
// structure and elements (typed, no line wrapping), this listing for rule text and the
// fields JSON leaves out. Cost: a second `nft` run per listTable(), which is a read path
// for tests, diagnostics and resyncs, not the per-change write path.

export interface Listing {
  tableComment?: string;
  chainComments: Map<string, string>;
  /** Flags as printed (the text omits `timeout` when the set has a default timeout). */
  setFlags: Map<string, string[]>;
  /** `typeof` key expressions (JSON reports only the resulting datatypes). */
  setTypeof: Map<string, string>;
  /** Rule text by handle, without the trailing ` comment "…"` and ` # handle N`. */
  rules: Map<number, { chain: string; text: string; comment?: string }>;
}

const unquote = (s: string): string => s.replace(/^"|"$/g, '');

/** Split a trailing ` comment "…"` off a rule line (the comment cannot contain a quote). */
export function splitRuleComment(text: string): { text: string; comment?: string } {
  const m = / comment "([^"]*)"$/.exec(text);
  return m ? { text: text.slice(0, m.index), comment: m[1] } : { text };
}

export function parseListing(text: string): Listing {
  const out: Listing = { chainComments: new Map(), setFlags: new Map(), setTypeof: new Map(), rules: new Map() };
  let block: { kind: 'chain' | 'set' | 'map'; name: string } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const open = /^(chain|set|map) (\S+) \{/.exec(line);
    if (open) {
      block = { kind: open[1] as 'chain' | 'set' | 'map', name: unquote(open[2]!) };
      continue;
    }
    if (line === '}') {
      block = undefined;
      continue;
    }
    if (!block) {
      if (line.startsWith('comment "')) out.tableComment = unquote(line.slice('comment '.length));
      continue;
    }
    if (block.kind !== 'chain') {
      if (line.startsWith('flags ')) out.setFlags.set(block.name, line.slice(6).split(','));
      if (line.startsWith('typeof ')) out.setTypeof.set(block.name, line.slice(7).split(' : ')[0]!);
      continue;
    }
    const rule = /^(.*) # handle (\d+)$/.exec(line);
    if (rule) {
      out.rules.set(Number(rule[2]), { chain: block.name, ...splitRuleComment(rule[1]!) });
    } else if (line.startsWith('comment "')) {
      out.chainComments.set(block.name, unquote(line.slice('comment '.length)));
    }
  }
  return out;
}
