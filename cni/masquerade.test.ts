import { describe, expect, it } from 'vitest';
import { FakeNft, renderTransaction } from '../src/kernel/nft/index.js';
import { ensureMasquerade, masqueradeTransaction } from './masquerade.js';

describe('masquerade', () => {
  it('renders one table, a srcnat chain and the rule', () => {
    const { text } = renderTransaction(masqueradeTransaction('10.244.1.0/24', '10.244.0.0/16'));
    expect(text).toContain('hawser-cni');
    expect(text).toContain('ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 masquerade');
    expect(text).toMatch(/type nat hook postrouting priority 100/);
  });
  it('IPv6 pod CIDR gives an ip6 table', () => {
    expect(masqueradeTransaction('fd00:1::/64', 'fd00::/48').family).toBe('ip6');
  });
  it('applying twice leaves exactly one rule', async () => {
    const nft = new FakeNft();
    await ensureMasquerade('10.244.1.0/24', '10.244.0.0/16', nft);
    await ensureMasquerade('10.244.1.0/24', '10.244.0.0/16', nft);
    const t = await nft.listTable('ip', 'hawser-cni');
    expect(t?.chains.find((c) => c.name === 'postrouting')?.rules).toHaveLength(1);
  });
});
