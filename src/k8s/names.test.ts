import { describe, expect, it } from 'vitest';
import { dns1123Label, dns1123Subdomain, generateNameSuffix, ianaServiceName, labelValue, qualifiedName } from './names.js';

describe('name validation (apimachinery rules)', () => {
  it.each([
    ['web', true], ['a-b-1', true], ['1abc', true], ['-a', false], ['a-', false], ['A', false], ['a.b', false], ['a'.repeat(64), false],
  ])('DNS-1123 label %j → %s', (v, ok) => expect(dns1123Label(v).length === 0).toBe(ok));

  it.each([
    ['example.com', true], ['a.b-c.d', true], ['a..b', false], ['.a', false], ['a_b', false], [`${'a'.repeat(63)}.${'b'.repeat(63)}`, true],
  ])('DNS-1123 subdomain %j → %s', (v, ok) => expect(dns1123Subdomain(v).length === 0).toBe(ok));

  it.each([
    ['app', true], ['kubernetes.io/metadata.name', true], ['a/b/c', false], ['/a', false], ['Ab_c.d', true], ['-a', false], ['x/', false],
  ])('qualified name %j → %s', (v, ok) => expect(qualifiedName(v).length === 0).toBe(ok));

  it.each([['', true], ['v1.2_3', true], ['-x', false], ['a'.repeat(64), false]])('label value %j → %s', (v, ok) => expect(labelValue(v).length === 0).toBe(ok));

  it.each([['http', true], ['serve-80-tcp', true], ['80', false], ['a--b', false], ['toolongportname1', false], ['UP', false]])('port name %j → %s', (v, ok) => {
    expect(ianaServiceName(v).length === 0).toBe(ok);
  });

  it('generateName suffixes use the 27-letter safe alphabet', () => {
    let i = 0;
    const seq = [0, 0.5, 0.999, 0.25, 0.75];
    expect(generateNameSuffix(() => seq[i++ % seq.length]!)).toBe('br9j2') // indexes 0, 13, 26, 6, 20 of bcdfghjklmnpqrstvwxz2456789;
  });
});
