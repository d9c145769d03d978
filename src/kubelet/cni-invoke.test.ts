import { describe, expect, it } from 'vitest';
import {
  cacheEntry, cacheFile, cniEnv, parseNetworkConfig, pluginConfig, pluginFailure, podCniArgs, resultIPs, type RuntimeConf,
} from './cni-invoke.js';

const conflist = JSON.stringify({
  cniVersion: '1.0.0', name: 'hawser',
  plugins: [{ type: 'hawser', bridge: 'hawser0', cniVersion: '0.3.1', name: 'ignored' }, { type: 'portmap', capabilities: { portMappings: true } }],
});
const list = parseNetworkConfig(conflist, '/etc/cni/net.d/10-hawser.conflist');
const rt: RuntimeConf = {
  containerId: 'a'.repeat(64), netns: '/run/netns/hl-lab-p-0123456789', ifName: 'eth0',
  args: podCniArgs({ namespace: 'default', name: 'web-1', uid: 'u-1', sandboxId: 'a'.repeat(64) }),
};

describe('CNI invocation (libcni semantics)', () => {
  it('sets the CNI_* environment as containerd does, CNI_ARGS in containerd\'s order', () => {
    const env = cniEnv('ADD', rt, ['/opt/cni/bin', '/usr/lib/cni'], { PATH: '/usr/bin' });
    expect(env).toEqual({
      PATH: '/usr/bin',
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'a'.repeat(64),
      CNI_NETNS: '/run/netns/hl-lab-p-0123456789',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;K8S_POD_INFRA_CONTAINER_ID=${'a'.repeat(64)};K8S_POD_UID=u-1`,
      CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    });
  });

  it('injects the list\'s name and cniVersion over each plugin\'s, prevResult only when chained', () => {
    const first = JSON.parse(pluginConfig(list, list.plugins[0]!, undefined));
    expect(first).toEqual({ type: 'hawser', bridge: 'hawser0', cniVersion: '1.0.0', name: 'hawser' });
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.244.0.5/24' }] };
    const second = JSON.parse(pluginConfig(list, list.plugins[1]!, prev));
    expect(second).toEqual({ type: 'portmap', capabilities: { portMappings: true }, cniVersion: '1.0.0', name: 'hawser', prevResult: prev });
  });

  it('drops a stale prevResult written in the plugin\'s own config', () => {
    const j = JSON.parse(pluginConfig(list, { type: 'x', prevResult: { old: true } }, undefined));
    expect(j.prevResult).toBeUndefined();
  });

  it('turns a single-plugin .conf into a one-element list and refuses broken configs', () => {
    const single = parseNetworkConfig(JSON.stringify({ cniVersion: '0.4.0', name: 'n', type: 'bridge' }), 'x.conf');
    expect(single.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(single.cniVersion).toBe('0.4.0');
    expect(() => parseNetworkConfig('{"plugins":[]}', 'x')).toThrow(/name/);
    expect(() => parseNetworkConfig('{"name":"n","plugins":[{}]}', 'x')).toThrow(/type/);
    expect(() => parseNetworkConfig('{"name":"n"}', 'x')).toThrow();
    expect(() => parseNetworkConfig('not json', 'x')).toThrow();
  });

  it('caches the result like libcni: results/<network>-<containerID>-<ifName>, config bytes in base64', () => {
    expect(cacheFile('/var/lib/cni', 'hawser', rt)).toBe(`/var/lib/cni/results/hawser-${'a'.repeat(64)}-eth0`);
    const e = JSON.parse(cacheEntry(list, rt, { ips: [] }));
    expect(e.kind).toBe('cniCacheV1');
    expect(Buffer.from(e.config, 'base64').toString()).toBe(conflist);
    expect(e).toMatchObject({ containerId: rt.containerId, ifName: 'eth0', networkName: 'hawser', result: { ips: [] } });
    expect(e.cniArgs[1]).toEqual(['K8S_POD_NAMESPACE', 'default']);
  });

  it('reads the spec\'s error JSON from stdout, falls back to the text', () => {
    const e = pluginFailure('bridge', 1, '{"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"no subnet"}', '');
    expect([e.code, e.msg, e.details, e.plugin]).toEqual([7, 'invalid config', 'no subnet', 'bridge']);
    const t = pluginFailure('x', 2, '', 'panic: boom');
    expect([t.code, t.details]).toEqual([999, 'panic: boom']);
  });

  it('takes pod IPs from a result without prefix lengths', () => {
    expect(resultIPs({ ips: [{ address: '10.244.1.7/24' }, { address: 'fd00::7/64' }] })).toEqual(['10.244.1.7', 'fd00::7']);
    expect(resultIPs(undefined)).toEqual([]);
  });
});
