import { describe, expect, it } from 'vitest';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './protocol.js';

describe('fast-path protocol', () => {
  it('carries only CNI_* variables and stdin byte for byte', () => {
    const stdin = Buffer.from('{"cniVersion":"1.1.0","name":"ü\\n"}\n');
    const buf = encodeRequest({ CNI_COMMAND: 'ADD', CNI_ARGS: 'A=b=c;X=', PATH: '/bin', HOME: undefined, CNI_NETNS: undefined }, stdin);
    expect(decodeRequest(buf)).toEqual({ env: { CNI_COMMAND: 'ADD', CNI_ARGS: 'A=b=c;X=' }, stdin: stdin.toString() });
  });
  it('empty env and stdin', () => {
    expect(decodeRequest(encodeRequest({}, Buffer.alloc(0)))).toEqual({ env: {}, stdin: '' });
  });
  it.each([
    ['no header', 'CNI_COMMAND=ADD\0'],
    ['wrong magic', 'HWCNI9 0 0\n'],
    ['short body', 'HWCNI1 5 5\nCNI_'],
    ['long body', 'HWCNI1 0 1\nab'],
    ['non-CNI variable', 'HWCNI1 7 0\nPATH=x\0'],
    ['variable without =', 'HWCNI1 8 0\nCNI_ARG\0'],
  ])('refuses %s', (_n, text) => expect(decodeRequest(Buffer.from(text, 'latin1'))).toBeUndefined());
  it('response round trip; empty stdout', () => {
    expect(decodeResponse(encodeResponse({ exitCode: 1, stdout: '{"code":7}' }))).toEqual({ exitCode: 1, stdout: '{"code":7}\n' });
    expect(decodeResponse(encodeResponse({ exitCode: 0, stdout: '' }))).toEqual({ exitCode: 0, stdout: '' });
    expect(decodeResponse(Buffer.from(''))).toBeUndefined();
    expect(decodeResponse(Buffer.from('x\n'))).toBeUndefined();
  });
});
