import { describe, expect, it } from 'vitest';
import { dispatch, type Plugin, type PluginContext } from './dispatch.js';
import { CniCode, CniError } from './errors.js';
import type { CniResult } from './result.js';
import { SUPPORTED_VERSIONS } from './version.js';

const result: CniResult = {
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/p', mac: '0a:58:0a:00:00:02' }],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
  dns: {},
};

/** A plugin that records which handler ran with what, and can be told to fail. */
function recorder(fail?: CniError): Plugin & { calls: [string, PluginContext][] } {
  const calls: [string, PluginContext][] = [];
  const h = (name: string) => async (ctx: PluginContext) => {
    calls.push([name, ctx]);
    if (fail) throw fail;
  };
  return {
    calls,
    add: async (ctx) => { await h('add')(ctx); return result; },
    del: h('del'), check: h('check'), status: h('status'), gc: h('gc'),
  };
}

const env = (cmd: string, extra: Record<string, string | undefined> = {}) => ({
  CNI_COMMAND: cmd, CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin', ...extra,
});
const conf = (v: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ cniVersion: v, name: 'net', type: 'hawser', ...extra });

describe('dispatch', () => {
  it.each(SUPPORTED_VERSIONS)('ADD at %s answers in that version', async (v) => {
    const p = recorder();
    const out = await dispatch(env('ADD'), conf(v), p);
    expect(out.exitCode).toBe(0);
    const j = JSON.parse(out.stdout) as { cniVersion: string; ips: { version?: string }[] };
    expect(j.cniVersion).toBe(v);
    expect(j.ips[0]!.version).toBe(v.startsWith('0.') ? '4' : undefined);
    expect(p.calls.map((c) => [c[0], c[1].version])).toEqual([['add', v]]);
  });

  it.each([
    ['DEL', '0.3.0', 'del'], ['DEL', '1.1.0', 'del'], ['CHECK', '0.4.0', 'check'], ['CHECK', '1.0.0', 'check'],
    ['STATUS', '1.1.0', 'status'], ['GC', '1.1.0', 'gc'],
  ])('%s at %s runs %s and prints nothing', async (cmd, v, handler) => {
    const p = recorder();
    expect(await dispatch(env(cmd), conf(v), p)).toEqual({ stdout: '', exitCode: 0 });
    expect(p.calls.map((c) => c[0])).toEqual([handler]);
  });

  it.each([
    ['CHECK before 0.4.0', env('CHECK'), conf('0.3.1'), CniCode.IncompatibleVersion],
    ['STATUS before 1.1.0', env('STATUS'), conf('1.0.0'), CniCode.IncompatibleVersion],
    ['GC before 1.1.0', env('GC'), conf('0.4.0'), CniCode.IncompatibleVersion],
    ['unsupported version', env('ADD'), conf('0.2.0'), CniCode.IncompatibleVersion],
    ['future version', env('ADD'), conf('2.0.0'), CniCode.IncompatibleVersion],
    ['missing cniVersion', env('ADD'), JSON.stringify({ name: 'n', type: 'hawser' }), CniCode.IncompatibleVersion],
    ['numeric cniVersion', env('ADD'), conf(1), CniCode.Decode],
    ['malformed JSON', env('ADD'), '{"cniVersion":', CniCode.Decode],
    ['JSON array', env('ADD'), '[]', CniCode.Decode],
    ['empty stdin', env('ADD'), '', CniCode.Decode],
    ['missing name', env('ADD'), JSON.stringify({ cniVersion: '1.0.0', type: 'hawser' }), CniCode.InvalidConfig],
    ['bad name', env('ADD'), conf('1.0.0', { name: 'a b' }), CniCode.InvalidConfig],
    ['missing CNI_NETNS', env('ADD', { CNI_NETNS: undefined }), conf('1.0.0'), CniCode.InvalidEnv],
    ['missing CNI_CONTAINERID', env('DEL', { CNI_CONTAINERID: undefined }), conf('1.0.0'), CniCode.UnknownContainer],
    ['ifname too long', env('ADD', { CNI_IFNAME: 'eth0123456789012' }), conf('1.0.0'), CniCode.InvalidEnv],
    ['bad CNI_ARGS', env('ADD', { CNI_ARGS: 'garbage' }), conf('1.0.0'), CniCode.InvalidEnv],
    ['unknown CNI_ARGS key', env('ADD', { CNI_ARGS: 'FOO=bar' }), conf('1.0.0'), CniCode.UnsupportedField],
  ])('%s → exit 1, code %i, handler not run', async (_n, e, stdin, code) => {
    const p = recorder();
    const out = await dispatch(e, stdin, p);
    expect(out.exitCode).toBe(1);
    const j = JSON.parse(out.stdout) as { code: number; msg: string; cniVersion: string };
    expect(j.code).toBe(code);
    expect(j.msg).not.toBe('');
    expect(p.calls).toEqual([]);
  });

  it('the error carries the config version when it has one', async () => {
    const out = await dispatch(env('ADD', { CNI_ARGS: 'x' }), conf('0.3.1'), recorder());
    expect(JSON.parse(out.stdout)).toMatchObject({ cniVersion: '0.3.1', code: 4 });
  });

  it("a handler's CniError is printed with its code and details", async () => {
    const out = await dispatch(env('ADD'), conf('1.0.0'), recorder(new CniError(11, 'busy', 'lock held')));
    expect(out).toEqual({ exitCode: 1, stdout: JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'busy', details: 'lock held' }) });
  });

  it('any other exception is code 999', async () => {
    const p = recorder();
    p.del = async () => { throw new Error('boom'); };
    const out = await dispatch(env('DEL'), conf('1.0.0'), p);
    expect(JSON.parse(out.stdout)).toMatchObject({ code: 999, msg: 'boom' });
  });

  it.each([
    ['echoes a supported version', '{"cniVersion":"0.4.0"}', '0.4.0'],
    ['latest when none is given', '', '1.1.0'],
    ['latest for an unknown one', '{"cniVersion":"9.9.9"}', '1.1.0'],
  ])('VERSION %s', async (_n, stdin, v) => {
    const out = await dispatch({ CNI_COMMAND: 'VERSION' }, stdin, recorder());
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ cniVersion: v, supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('passes CNI_ARGS and the config to the handler', async () => {
    const p = recorder();
    await dispatch(env('ADD', { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web;X=1' }), conf('1.1.0', { bridge: 'b0' }), p);
    const ctx = p.calls[0]![1];
    expect(ctx.args.podName).toBe('web');
    expect(ctx.config.bridge).toBe('b0');
  });
});
