// The interpreter must refuse what it does not understand rather than read it as "no match".
import { describe, expect, it } from 'vitest';
import type { Ruleset } from '../../src/kernel/nft/types.js';
import { partHolds, walkHook } from './walk.js';

const table = (rules: string[], extra: Partial<Ruleset> = {}): Ruleset => ({
  family: 'ip', name: 't', sets: [], maps: [],
  chains: [{ kind: 'chain', name: 'f', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, rules: rules.map((rule) => ({ rule })) }],
  ...extra,
});
const pkt = { saddr: '10.0.0.1', daddr: '10.0.0.2', proto: 'tcp', dport: 80, ct: 'new' as const };

describe('walkHook', () => {
  it('throws on unknown rule forms and missing sets or chains', () => {
    expect(() => walkHook(table(['tcp dport 80 drop']), 'forward', pkt)).toThrow(/unknown/);
    expect(() => walkHook(table(['ip saddr @nope drop']), 'forward', pkt)).toThrow(/no set/);
    expect(() => walkHook(table(['jump nowhere']), 'forward', pkt)).toThrow(/missing/);
  });
  it('element parts: CIDRs, address ranges, port ranges', () => {
    expect(partHolds('10.0.0.0/30', '10.0.0.3', 'saddr')).toBe(true);
    expect(partHolds('10.0.0.0/30', '10.0.0.4', 'saddr')).toBe(false);
    expect(partHolds('10.0.0.5-10.0.0.9', '10.0.0.9', 'saddr')).toBe(true);
    expect(partHolds('80-90', '91', 'dport')).toBe(false);
    expect(partHolds('fd00::/64', 'fd00::1', 'saddr')).toBe(true);
  });
  it('jump returns, goto does not, base policy applies at the end', () => {
    const rs = table(['jump a', 'drop'], {
      chains: [
        { kind: 'chain', name: 'f', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, rules: [{ rule: 'jump a' }, { rule: 'goto b' }] },
        { kind: 'chain', name: 'a', rules: [{ rule: 'counter' }] },
        { kind: 'chain', name: 'b', rules: [{ rule: 'ip daddr 10.0.0.9 accept' }] },
      ],
    });
    const r = walkHook(rs, 'forward', pkt);
    expect(r.verdict).toBe('drop');
    expect(r.matched.map((s) => `${s.chain}:${s.rule}`)).toEqual(['f:jump a', 'a:counter', 'f:goto b']);
    expect(walkHook(rs, 'forward', { ...pkt, daddr: '10.0.0.9' }).verdict).toBe('accept');
  });
  it('concatenated interval sets match per part; th dport does not exist for icmp', () => {
    const rs = table(['meta l4proto . th dport @p accept', 'drop'], {
      sets: [{ kind: 'set', name: 'p', type: ['inet_proto', 'inet_service'], flags: ['interval'], elements: [{ key: ['tcp', '80-81'] }, { key: ['udp', '53'] }] }],
    });
    expect(walkHook(rs, 'forward', { ...pkt, dport: 81 }).verdict).toBe('accept');
    expect(walkHook(rs, 'forward', { ...pkt, proto: 'udp', dport: 80 }).verdict).toBe('drop');
    expect(walkHook(rs, 'forward', { ...pkt, proto: 'icmp', dport: undefined }).verdict).toBe('drop');
  });
});
