// Issue 10: the docs' links resolve — every relative link in README.md and docs/*.md names
// a file (and, for #anchors into markdown, a heading) that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'deploy/README.md'];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const anchor = (h: string): string => h.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

describe('documentation links', () => {
  it.each(pages)('%s: relative links resolve', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      const [file, hash] = link.split('#');
      const target = file ? resolve(dirname(join(ROOT, page)), file) : join(ROOT, page);
      if (!existsSync(target)) { broken.push(link); continue; }
      if (hash && target.endsWith('.md')) {
        const heads = [...readFileSync(target, 'utf8').matchAll(/^#+ (.*)$/gm)].map((h) => anchor(h[1]!));
        if (!heads.includes(hash)) broken.push(link);
      }
    }
    expect(broken).toEqual([]);
  });
});
