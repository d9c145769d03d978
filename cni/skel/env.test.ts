import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';
import { parseCniArgs } from './cni-args.js';
import { CniError } from './errors.js';

const base = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof CniError ? e.code : -1;
  }
  return undefined;
}

describe('parseEnv', () => {
  it('reads every variable', () => {
    expect(parseEnv({ ...base, CNI_ARGS: 'A=1', CNI_PATH: '/a::/b' })).toEqual({
      command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', args: 'A=1', path: ['/a', '/b'],
    });
  });
  it.each([
    ['no command', { ...base, CNI_COMMAND: undefined }, 4],
    ['unknown command', { ...base, CNI_COMMAND: 'FROB' }, 4],
    ['no container id', { ...base, CNI_CONTAINERID: undefined }, 3],
    ['bad container id', { ...base, CNI_CONTAINERID: '-x' }, 4],
    ['container id with slash', { ...base, CNI_CONTAINERID: 'a/b' }, 4],
    ['no netns on ADD', { ...base, CNI_NETNS: undefined }, 4],
    ['no netns on CHECK', { ...base, CNI_COMMAND: 'CHECK', CNI_NETNS: '' }, 4],
    ['relative netns', { ...base, CNI_NETNS: 'x' }, 4],
    ['netns with ..', { ...base, CNI_NETNS: '/run/netns/../x' }, 4],
    ['no ifname', { ...base, CNI_IFNAME: undefined }, 4],
    ['ifname of 16 chars', { ...base, CNI_IFNAME: 'a234567890123456' }, 4],
    ['ifname with slash', { ...base, CNI_IFNAME: 'a/b' }, 4],
    ['ifname ..', { ...base, CNI_IFNAME: '..' }, 4],
    ['no path on ADD', { ...base, CNI_PATH: undefined }, 4],
    ['no path on STATUS', { CNI_COMMAND: 'STATUS' }, 4],
    ['two missing', { CNI_COMMAND: 'ADD', CNI_PATH: '/x' }, 4],
  ])('%s → code %i', (_n, env, code) => {
    expect(codeOf(() => parseEnv(env))).toBe(code);
  });
  it.each([
    ['DEL without netns', { ...base, CNI_COMMAND: 'DEL', CNI_NETNS: '' }],
    ['ifname of 15 chars', { ...base, CNI_IFNAME: 'a23456789012345' }],
    ['VERSION alone', { CNI_COMMAND: 'VERSION' }],
    ['STATUS with path', { CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }],
    ['GC with path', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }],
    ['proc netns path', { ...base, CNI_NETNS: '/proc/42/ns/net' }],
  ])('accepts %s', (_n, env) => {
    expect(codeOf(() => parseEnv(env))).toBeUndefined();
  });
  it('names the missing variables', () => {
    expect(() => parseEnv({ CNI_COMMAND: 'ADD', CNI_PATH: '/x', CNI_CONTAINERID: 'c' })).toThrow('[CNI_NETNS,CNI_IFNAME]');
  });
});

describe('parseCniArgs', () => {
  it('reads the Kubernetes keys', () => {
    expect(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=c;K8S_POD_UID=u;X=y')).toEqual({
      ignoreUnknown: true, podNamespace: 'ns', podName: 'p', podInfraContainerId: 'c', podUid: 'u',
    });
  });
  it('empty is nothing', () => expect(parseCniArgs('')).toEqual({ ignoreUnknown: false }));
  it('a value may hold =', () => expect(parseCniArgs('K8S_POD_NAME=a=b').podName).toBe('a=b'));
  it.each([
    ['no =', 'K8S_POD_NAME', 4],
    ['empty key', '=v', 4],
    ['bad key', 'a-b=1;IgnoreUnknown=1', 4],
    ['unknown key', 'FOO=1', 2],
    ['unknown key, IgnoreUnknown=0', 'IgnoreUnknown=0;FOO=1', 2],
    ['IgnoreUnknown not a bool', 'IgnoreUnknown=yes', 4],
  ])('%s → code %i', (_n, text, code) => {
    expect(codeOf(() => parseCniArgs(text))).toBe(code);
  });
  it('IgnoreUnknown=true (any case) ignores unknown keys', () => {
    expect(parseCniArgs('FOO=1;IgnoreUnknown=TRUE').ignoreUnknown).toBe(true);
  });
});
