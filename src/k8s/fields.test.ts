import { describe, expect, it } from 'vitest';
import { FieldSelectorError, matchesFields, parseFieldSelector } from './fields.js';

const pod = { metadata: { name: 'a', namespace: 'x' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };

describe('field selectors', () => {
  it.each([
    ['metadata.name=a', true],
    ['metadata.name==a', true],
    ['metadata.name!=a', false],
    ['spec.nodeName=n1,status.phase=Running', true],
    ['spec.nodeName=', false],
    ['spec.missing=', true],
    ['status.phase!=Pending', true],
  ])('%j → %s', (sel, want) => {
    expect(matchesFields(parseFieldSelector(sel), pod)).toBe(want);
  });

  it('unescapes values and rejects operators it does not know', () => {
    expect(parseFieldSelector('metadata.name=a\\,b')).toEqual([{ field: 'metadata.name', op: 'Equals', value: 'a,b' }]);
    expect(() => parseFieldSelector('metadata.name')).toThrow(FieldSelectorError);
  });
});
