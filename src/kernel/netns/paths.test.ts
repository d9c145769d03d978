import { describe, expect, it } from 'vitest';
import { resolveNetns } from './paths.js';
import { commandInNetns } from '../exec.js';

describe('resolveNetns', () => {
  it('maps names under /run/netns and keeps absolute paths', () => {
    expect(resolveNetns('hwt1-a')).toBe('/run/netns/hwt1-a');
    expect(resolveNetns('/proc/123/ns/net')).toBe('/proc/123/ns/net');
    expect(resolveNetns('/var/run/netns/cni-1234-abcd')).toBe('/var/run/netns/cni-1234-abcd');
  });
  it.each(['/proc/1/../../etc/passwd', '/a b', 'a/b', '', '/'])('refuses %j', (ref) => {
    expect(() => resolveNetns(ref)).toThrow(/invalid netns/);
  });
  it('nsenter enters only the network namespace of a path', () => {
    expect(commandInNetns('/proc/9/ns/net', ['ip', 'link'])).toEqual(['nsenter', '--net=/proc/9/ns/net', '--', 'ip', 'link']);
  });
});
