import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseEndpoint, startForwarder, type Forwarder } from './forward.js';

describe('endpoints', () => {
  it('parses tcp and unix endpoints, refuses the rest', () => {
    expect(parseEndpoint('tcp:127.0.0.1:0')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(parseEndpoint('tcp:[::1]:6443')).toEqual({ kind: 'tcp', host: '::1', port: 6443 });
    expect(parseEndpoint('unix:/run/x.sock')).toEqual({ kind: 'unix', path: '/run/x.sock' });
    for (const bad of ['unix:rel.sock', 'tcp:host', 'http://x', '']) expect(() => parseEndpoint(bad)).toThrow();
  });
});

describe('forwarder pair (loopback only)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

  it('carries bytes both ways TCP → unix socket → TCP, and reports its port', async () => {
    const dir = mkdtempSync(`${tmpdir()}/hawser-fwd-`);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // The "apiserver": upper-cases what it receives and names the peer it saw.
    const upstream = net.createServer((s) => s.on('data', (d) => s.end(`${d.toString().toUpperCase()} from ${s.remoteAddress}`)));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const port = (upstream.address() as net.AddressInfo).port;
    const sock = `${dir}/api.sock`;
    const inner: Forwarder = await startForwarder(parseEndpoint(`unix:${sock}`), parseEndpoint(`tcp:127.0.0.1:${port}`));
    cleanup.push(() => inner.close());
    const outer = await startForwarder(parseEndpoint('tcp:127.0.0.1:0'), parseEndpoint(`unix:${sock}`), `${dir}/port`);
    cleanup.push(() => outer.close());
    expect(Number(readFileSync(`${dir}/port`, 'utf8'))).toBe(outer.port);
    const answer = await new Promise<string>((resolve, reject) => {
      const c = net.connect(outer.port!, '127.0.0.1', () => c.write('hello'));
      let got = '';
      c.on('data', (d) => { got += d; });
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    expect(answer).toBe('HELLO from 127.0.0.1');
  });
});
