import { describe, expect, it } from 'vitest';
import { matchesLabels, parseLabelSelector, requirementsFromLabelSelector, SelectorParseError } from './labels.js';

const L = { app: 'web', tier: 'fe', version: '3' };

describe('label selector strings', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['app=web,tier=fe', true],
    ['app=web,tier=be', false],
    ['version>2', true],
    ['version<3', false],
    ['app in (web),!missing,tier', true],
  ])('%j matches = %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), L)).toBe(want);
  });

  it.each(['app=', 'app in ()', 'app in (a', '=x', 'app=web,', 'a b', 'app=-bad-', 'in (x)x'])('%j: %s', (sel) => {
    if (sel === 'app=') {
      // an empty value is a valid label value
      expect(matchesLabels(parseLabelSelector(sel), { app: '' })).toBe(true);
      return;
    }
    expect(() => parseLabelSelector(sel)).toThrow(SelectorParseError);
  });

  it('structured selectors compile to the same requirements', () => {
    const reqs = requirementsFromLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] });
    expect(matchesLabels(reqs, L)).toBe(true);
    expect(matchesLabels(reqs, { app: 'web', tier: 'db' })).toBe(false);
    expect(matchesLabels(requirementsFromLabelSelector({}), {})).toBe(true);
    expect(() => requirementsFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toThrow(SelectorParseError);
  });
});
