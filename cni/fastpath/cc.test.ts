import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/kernel/exec.js';
import { dispatch, type Plugin } from '../skel/dispatch.js';
import { SUPPORTED_VERSIONS } from '../skel/version.js';
import { isStaticElf, skelDefines, staticClientArgv } from './cc.js';
import { buildStatic } from './build-static.js';
import { startCniServer, type CniServer } from './server.js';

describe('static client command line', () => {
  it('static, no Node fallback, the default socket, the skel constants', () => {
    const argv = staticClientArgv('/o/hawser');
    expect(argv.slice(0, 2)).toEqual(['cc', '-static']);
    expect(argv).toContain('-DHAWSER_SOCKET="/run/hawser/cni.sock"');
    expect(argv.some((a) => a.startsWith('-DHAWSER_ENTRY') || a.startsWith('-DHAWSER_NODE'))).toBe(false);
    expect(argv).toEqual(expect.arrayContaining(['-o', '/o/hawser', '-DHAWSER_CODE_TRY_AGAIN=11', '-DHAWSER_CODE_NOT_AVAILABLE=50']));
    expect(argv.at(-1)).toMatch(/hawser-cni\.c$/);
  });
  it('the version list is the Node plugin\'s, as C string literals', () => {
    expect(skelDefines()[0]).toBe(`-DHAWSER_VERSIONS=${SUPPORTED_VERSIONS.map((v) => `"${v}"`).join(',')}`);
  });
  it.each(['/a"b', '/a b', 'relative'])('refuses socket %j', (p) => {
    expect(() => staticClientArgv('/o/hawser', { socketPath: p })).toThrow(/not usable/);
  });
  it('ELF check: this Node is dynamic; junk is not static', () => {
    expect(isStaticElf(readFileSync(process.execPath))).toBe(false);
    expect(isStaticElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });
});

const hasCc = (await run(['cc', '--version'], { allowFailure: true }).catch(() => undefined))?.code === 0;

// The built file end to end, without root: a server with a stub plugin on a socket in a
// temporary directory, the client run with nothing but CNI_* (and the socket) in its env.
describe.skipIf(!hasCc)('the static client', () => {
  let dir = '';
  let bin = '';
  let server: CniServer | undefined;
  const served: string[] = [];
  const stub: Plugin = {
    add: async (c) => {
      served.push(`ADD ${c.env.containerId}`);
      return { interfaces: [{ name: 'eth0' }], ips: [{ address: '10.1.2.3/24', interface: 0 }], routes: [], dns: {} };
    },
    del: async (c) => { served.push(`DEL ${c.env.containerId}`); },
    check: async () => undefined,
    status: async () => undefined,
    gc: async () => undefined,
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hawser-static-'));
    bin = (await buildStatic(join(dir, 'hawser'))).out;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = async (env: Record<string, string>, config: unknown) => {
    const r = await run([bin], { env, input: typeof config === 'string' ? config : JSON.stringify(config), allowFailure: true });
    return { ...r, json: (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as Record<string, unknown> };
  };
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'hawser' };

  it('is a static ELF', () => expect(isStaticElf(readFileSync(bin))).toBe(true));

  it('no agent: VERSION as the Node skel answers it; ADD 11, STATUS 50, naming the socket', async () => {
    const sock = join(dir, 'none.sock');
    for (const asked of ['0.4.0', '9.9.9']) {
      const input = JSON.stringify({ cniVersion: asked });
      const v = await call({ CNI_COMMAND: 'VERSION', HAWSER_CNI_SOCKET: sock }, input);
      const node = await dispatch({ CNI_COMMAND: 'VERSION' }, input, stub);
      expect(v.code).toBe(0);
      expect(v.stdout).toBe(`${node.stdout}\n`);
    }
    const add = await call({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', HAWSER_CNI_SOCKET: sock }, conf);
    expect(add.code).toBe(1);
    expect(add.json).toMatchObject({ cniVersion: '1.0.0', code: 11, msg: `no answer from the hawser node agent at ${sock}` });
    const status = await call({ CNI_COMMAND: 'STATUS', HAWSER_CNI_SOCKET: sock }, { ...conf, cniVersion: '1.1.0' });
    expect(status.json).toMatchObject({ cniVersion: '1.1.0', code: 50 });
    expect(status.code).toBe(1);
  });

  it('the socket: env first, then the config\'s top-level agentSocket, then the built-in default', async () => {
    const fromConf = join(dir, 'conf.sock');
    const nested = { ...conf, runtimeConfig: { agentSocket: '/nested' }, agentSocket: fromConf };
    expect((await call({ CNI_COMMAND: 'ADD' }, nested)).json.msg).toMatch(new RegExp(`at ${fromConf}$`));
    expect((await call({ CNI_COMMAND: 'ADD', HAWSER_CNI_SOCKET: '/env.sock' }, nested)).json.msg).toMatch(/at \/env\.sock$/);
    const plain = await call({ CNI_COMMAND: 'ADD' }, '{"agentSocket": "\\/esc\\u0061ped.sock", "cniVersion": "0.3.1"}');
    expect(plain.json).toMatchObject({ cniVersion: '0.3.1', msg: 'no answer from the hawser node agent at /escaped.sock' });
  });

  it('with an agent: answers and exit status pass through, only CNI_* crosses', async () => {
    const sock = join(dir, 'run', 'agent.sock');
    server = await startCniServer({ socketPath: sock, plugin: stub });
    const add = await call({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: '/p', HAWSER_CNI_SOCKET: sock }, conf);
    expect(add.code).toBe(0);
    expect(add.stderr).toBe('');
    expect(add.json).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] });
    const bad = await call({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_PATH: '/p', HAWSER_CNI_SOCKET: sock }, conf);
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ code: 4 });
    const del = await call({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: '/p' }, { ...conf, agentSocket: sock });
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('');
    expect(served).toEqual(['ADD c1', 'DEL c1']);
  });
});
