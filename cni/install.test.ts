import { describe, expect, it } from 'vitest';
import { commonVersion, conflist, launcherScript } from './install.js';
import { parseConfig } from './config.js';

describe('install', () => {
  it('conflist: hawser first, portmap chained when present, and our config parses', () => {
    const c = conflist({ binDir: '/b', confDir: '/c', podCIDR: '10.244.2.0/24', dataDir: '/d', clusterCIDR: '10.244.0.0/16' }, '1.0.0', true) as {
      cniVersion: string; name: string; plugins: Record<string, unknown>[];
    };
    expect(c.cniVersion).toBe('1.0.0');
    expect(c.plugins.map((p) => p.type)).toEqual(['hawser', 'portmap']);
    const parsed = parseConfig({ ...c.plugins[0], name: c.name, cniVersion: c.cniVersion });
    expect(parsed).toMatchObject({ podCIDR: '10.244.2.0/24', dataDir: '/d', ipMasq: true, clusterCIDR: '10.244.0.0/16', bridge: 'hawser0' });
  });
  it('no portmap: one plugin', () => {
    expect((conflist({ binDir: '/b', confDir: '/c' }, '1.1.0', false).plugins as unknown[]).length).toBe(1);
  });
  it.each([
    [['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'], '1.0.0'],
    [['1.1.0', '1.0.0'], '1.1.0'],
    [['0.3.1'], '0.3.1'],
    [['0.2.0'], undefined],
    [[], undefined],
  ])('common version with %j is %s', (theirs, want) => expect(commonVersion(theirs)).toBe(want));
  it('launcher quotes paths and keeps sbin on PATH', () => {
    const s = launcherScript('/usr/bin/node', "/opt/it's/main.js");
    expect(s.startsWith('#!/bin/sh\n')).toBe(true);
    expect(s).toContain(`exec '/usr/bin/node' '/opt/it'\\''s/main.js'`);
    expect(s).toContain('/usr/sbin');
  });
});
