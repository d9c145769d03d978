import { describe, expect, it } from 'vitest';
import { commonVersion, conflist, launcherScript, thinClientArgv } from './install.js';
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

describe('thin client build', () => {
  it('compiles the paths in as C string literals', () => {
    const argv = thinClientArgv('/b/hawser', '/run/hawser/cni.sock', '/usr/bin/node', '/opt/hawser/dist/cni/main.js');
    expect(argv.slice(0, 4)).toEqual(['cc', '-O2', '-o', '/b/hawser']);
    expect(argv).toContain('-DHAWSER_SOCKET="/run/hawser/cni.sock"');
    expect(argv).toContain('-DHAWSER_ENTRY="/opt/hawser/dist/cni/main.js"');
    expect(argv.at(-1)).toMatch(/hawser-cni\.c$/);
  });
  it.each(['/a"b', '/a b', 'relative', '/a\\b'])('refuses %j', (p) => {
    expect(() => thinClientArgv('/b/hawser', p, '/usr/bin/node', '/e.js')).toThrow(/not usable/);
  });
});
