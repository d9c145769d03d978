import { describe, expect, it } from 'vitest';
import { parseListening } from './sockets.js';

describe('parseListening', () => {
  it('reads tcp and udp, any-address forms and IPv6', () => {
    const text = [
      'tcp LISTEN 0      128      0.0.0.0:2024  0.0.0.0:*',
      'tcp LISTEN 0      511    127.0.0.1:43359 0.0.0.0:*',
      'udp UNCONN 0      0      192.168.56.10:53 0.0.0.0:*',
      'tcp LISTEN 0      4096      *:10256  *:*',
      'tcp LISTEN 0      4096      [::]:22  [::]:*',
      'tcp LISTEN 0      4096      [fe80::1]%eth0:80  [::]:*',
    ].join('\n');
    expect(parseListening(text)).toEqual([
      { proto: 'tcp', addr: '0.0.0.0', port: 2024 },
      { proto: 'tcp', addr: '127.0.0.1', port: 43359 },
      { proto: 'udp', addr: '192.168.56.10', port: 53 },
      { proto: 'tcp', addr: '*', port: 10256 },
      { proto: 'tcp', addr: '::', port: 22 },
      { proto: 'tcp', addr: 'fe80::1', port: 80 },
    ]);
  });
});
