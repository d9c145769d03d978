// A throwaway etcd on loopback for tests that talk to it from the root namespace.
// Ports come from the kernel (listen on 0, close, hand to etcd), so another test running
// in parallel can take one in between: etcd then exits with "address already in use" and
// we retry on fresh ports and a fresh data directory instead of failing the suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export const ETCD_BIN = '/usr/bin/etcd';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

export interface TestEtcd { url: string; child: ChildProcess }

/** Starts etcd under `dir` and resolves once it serves clients; the caller kills `child`. */
export async function startTestEtcd(name: string, dir: string, attempts = 5): Promise<TestEtcd> {
  let lastError: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const [client, peer] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const child = spawn(ETCD_BIN, [
      '--name', name, '--data-dir', join(dir, `etcd-${i}`),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `${name}=${peerUrl}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const started = await new Promise<Error | undefined>((resolve) => {
      let log = '';
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('ready to serve client requests')) resolve(undefined);
      });
      child.on('exit', (c) => resolve(Object.assign(new Error(`etcd exited ${c}: ${log.slice(-2000)}`), { bindConflict: log.includes('address already in use') })));
    });
    if (!started) return { url, child };
    lastError = started;
    if (!(started as Error & { bindConflict: boolean }).bindConflict) break;
  }
  throw lastError!;
}
