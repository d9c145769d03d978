import { describe, expect, it } from 'vitest';
import { KernelCommandError } from '../exec.js';
import { classify, isExists, isNetnsNotFound, isNotFound, toLinkError } from './errors.js';

// stderr texts as iproute2 6.1 / util-linux nsenter print them on this machine.
describe('classify', () => {
  it.each([
    ['Cannot find device "nope"\n', 'HAWSER_LINK_NOT_FOUND'],
    ['Device "nope" does not exist.\n', 'HAWSER_LINK_NOT_FOUND'],
    ['RTNETLINK answers: No such process\n', 'HAWSER_LINK_NOT_FOUND'],
    ['RTNETLINK answers: Cannot assign requested address\n', 'HAWSER_LINK_NOT_FOUND'],
    ['RTNETLINK answers: File exists\n', 'HAWSER_LINK_EXISTS'],
    ['Error: ipv4: Address already assigned.\n', 'HAWSER_LINK_EXISTS'],
    ['nsenter: cannot open /run/netns/x: No such file or directory\n', 'HAWSER_NETNS_NOT_FOUND'],
    ['RTNETLINK answers: Invalid argument\n', 'HAWSER_LINK_INVALID'],
    ['RTNETLINK answers: Operation not permitted\n', 'HAWSER_LINK_FAILED'],
  ])('%j → %s', (stderr, code) => {
    expect(classify(stderr)).toBe(code);
  });
});

describe('predicates', () => {
  const err = (stderr: string) => toLinkError(new KernelCommandError(['ip', 'x'], 2, '', stderr));
  it('answer for wrapped tool errors and nothing else', () => {
    expect(isNotFound(err('Cannot find device "a"'))).toBe(true);
    expect(isExists(err('Cannot find device "a"'))).toBe(false);
    expect(isExists(err('RTNETLINK answers: File exists'))).toBe(true);
    expect(isNetnsNotFound(err('nsenter: cannot open /proc/1/ns/x: No such file or directory'))).toBe(true);
    expect(isNotFound(new Error('Cannot find device'))).toBe(false);
  });
  it('passes non-tool errors through unchanged', () => {
    const e = new TypeError('x');
    expect(toLinkError(e)).toBe(e);
  });
});
