// Classification of nft 1.0.6's stderr as captured on this machine (kernel 6.18).
import { describe, expect, it } from 'vitest';
import { classifyNftStderr, errorLine, isBusy, isExists, isInvalid, isLoop, isNotFound, isSyntax, isUnsupported, NftError } from './errors.js';

const located = (line: number, msg: string): string => `/dev/stdin:${line}:23-26: Error: ${msg}\nadd rule ip t c1 jump nope\n                      ^^^^\n`;

describe('classifyNftStderr', () => {
  it.each([
    ['Could not process rule: No such file or directory', 'HAWSER_NFT_NOT_FOUND'],
    ['No such file or directory; did you mean map ‘m’ in table ip ‘t’?', 'HAWSER_NFT_NOT_FOUND'],
    ['element does not exist', 'HAWSER_NFT_NOT_FOUND'],
    ['Could not process rule: File exists', 'HAWSER_NFT_EXISTS'],
    ['Could not process rule: Device or resource busy', 'HAWSER_NFT_BUSY'],
    ['Could not process rule: Operation not supported', 'HAWSER_NFT_UNSUPPORTED'],
    ['Could not process rule: Too many links', 'HAWSER_NFT_LOOP'],
    ['syntax error, unexpected chain, expecting string', 'HAWSER_NFT_SYNTAX'],
    ['No symbol type information', 'HAWSER_NFT_SYNTAX'],
    ['datatype mismatch, expected concatenation of (IPv4 address, Internet protocol, internet network service), expression has type concatenation of (IPv4 address, Internet protocol)', 'HAWSER_NFT_INVALID'],
    ['Could not process rule: Invalid argument', 'HAWSER_NFT_INVALID'],
    ['unqualified type integer specified in map definition. Try "typeof expression" instead of "type datatype".', 'HAWSER_NFT_INVALID'],
    ["Can't parse symbolic netfilter verdict expressions", 'HAWSER_NFT_INVALID'],
    ['Could not process rule: Operation not permitted', 'HAWSER_NFT_PERMISSION'],
    ['something new', 'HAWSER_NFT_UNKNOWN'],
  ])('%s → %s', (msg, code) => {
    const e = classifyNftStderr(located(1, msg));
    expect(e).toBeInstanceOf(NftError);
    expect(e.code).toBe(code);
    expect(e.detail).toContain(msg);
  });

  it('reads an unlocated netlink error', () => {
    expect(isInvalid(classifyNftStderr('netlink: Error: set is not a map\n'))).toBe(true);
  });

  it('finds the failing line, which render.ts maps back to an operation', () => {
    expect(errorLine(located(3, 'Could not process rule: File exists'))).toBe(3);
    expect(errorLine('netlink: Error: set is not a map\n')).toBeUndefined();
  });
});

describe('predicates', () => {
  it('answer only for their own code, and never for other errors', () => {
    const e = new NftError('HAWSER_NFT_BUSY', 'x');
    expect([isBusy(e), isNotFound(e), isExists(e), isSyntax(e), isUnsupported(e), isLoop(e), isInvalid(e)])
      .toEqual([true, false, false, false, false, false, false]);
    expect(isBusy(new Error('Device or resource busy'))).toBe(false);
  });
});
