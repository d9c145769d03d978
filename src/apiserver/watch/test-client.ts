// Test support (not a test): a listening apiserver and a streaming watch reader, as
// client-go consumes watches. Waits are on events, never on elapsed time.
import type { AddressInfo } from 'node:net';
import { createApiServer, type ApiServerOptions } from '../app.js';
import { MemoryStorage } from '../storage/memory.js';

export type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** Cleanup functions the caller runs after each test (servers, open watches). */
export type Closers = (() => Promise<void>)[];

export async function listening(closers: Closers, extra: Partial<ApiServerOptions> = {}) {
  const storage = extra.storage ?? new MemoryStorage();
  const app = await createApiServer({ ...extra, storage });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  closers.push(async () => { await app.close(); await storage.close(); });
  const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const r = await fetch(base + path, { method, headers: body ? { 'content-type': type } : {}, body: body ? JSON.stringify(body) : undefined });
    return { code: r.status, body: (await r.json()) as J };
  };
  return { base, call, app };
}

export async function openWatch(closers: Closers, base: string, path: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(base + path, { signal: ac.signal, headers });
  const events: J[] = [];
  let ended = false;
  let wake: () => void = () => {};
  void (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as J);
          buf = buf.slice(i + 1);
          wake();
        }
      }
    } catch { /* aborted */ }
    ended = true;
    wake();
  })();
  const until = async (pred: () => boolean) => {
    while (!pred()) {
      if (ended) throw new Error(`watch ended; events: ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise<void>((r) => { wake = r; });
    }
  };
  closers.push(async () => ac.abort());
  return {
    res, events,
    count: (n: number) => until(() => events.length >= n),
    ended: () => until(() => false).catch(() => undefined).then(() => ended),
    close: () => ac.abort(),
  };
}

