// Serving one watch over HTTP: newline-delimited JSON events on a chunked response whose
// headers are flushed at once (clients wait for them before reading). Selector filtering
// turns transitions into ADDED/DELETED as upstream's cacheWatcher does: an object that
// starts matching is ADDED, one that stops matching is DELETED.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../k8s/types.js';
import type { StoreEvent } from '../storage/types.js';
import { expired } from '../errors.js';
import { TooOldError, type WatchCache } from './cache.js';

export interface WatchStreamOptions {
  prefix: string;
  fromRv: number;
  matches(o: KubeObject): boolean;
  /** Synthetic ADDED events sent first (watch without resourceVersion, or "0"). */
  initial?: KubeObject[];
  /** Called after the initial events, e.g. for the initial-events-end bookmark. */
  afterInitial?: () => KubeObject | undefined;
  bookmarks?: { intervalMs: number; make(rv: number): KubeObject };
  timeoutMs?: number;
  /** Transforms objects on the way out (e.g. into Table rows). */
  render?(o: KubeObject, type: string): unknown;
  /** A watcher that falls this far behind (bytes buffered) is closed; it will re-watch. */
  maxBufferedBytes?: number;
}

// One event fans out to many watchers: serialise it once per (object, type).
const lines = new WeakMap<KubeObject, Map<string, string>>();
function eventLine(type: string, object: KubeObject): string {
  let m = lines.get(object);
  if (!m) lines.set(object, (m = new Map()));
  let line = m.get(type);
  if (line === undefined) m.set(type, (line = `${JSON.stringify({ type, object })}\n`));
  return line;
}

/** Returns a function that ends the stream (used when the server shuts down). */
export function serveWatch(res: ServerResponse, cache: WatchCache, o: WatchStreamOptions): () => void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
    'X-Content-Type-Options': 'nosniff',
  });
  res.flushHeaders();
  const maxBuffered = o.maxBufferedBytes ?? 64 * 1024 * 1024;
  let closed = false;
  let lastRv = o.fromRv;
  const timers: NodeJS.Timeout[] = [];
  let stop: () => void = () => {};

  const finish = () => {
    if (closed) return;
    closed = true;
    stop();
    for (const t of timers) { clearTimeout(t); clearInterval(t); }
    res.end();
  };
  const send = (type: string, object: unknown) => {
    if (closed) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    if (res.writableLength > maxBuffered) finish();
  };
  const emit = (type: string, obj: KubeObject) => {
    if (o.render) return send(type, o.render(obj, type));
    if (closed) return;
    res.write(eventLine(type, obj));
    if (res.writableLength > maxBuffered) finish();
  };

  // Drop the watcher when the response closes (the request's 'close' fires early in Node).
  res.on('close', finish);

  for (const obj of o.initial ?? []) emit('ADDED', obj);
  const end = o.afterInitial?.();
  if (end) send('BOOKMARK', end);

  const onEvent = (e: StoreEvent) => {
    if (e.rv <= lastRv) return;
    lastRv = e.rv;
    const now = o.matches(e.object);
    const before = e.type === 'MODIFIED' && e.prev ? o.matches(e.prev) : now;
    if (e.type === 'ADDED') { if (now) emit('ADDED', e.object); return; }
    if (e.type === 'DELETED') { if (e.prev ? o.matches(e.prev) : now) emit('DELETED', e.object); return; }
    if (now && before) emit('MODIFIED', e.object);
    else if (now) emit('ADDED', e.object);
    else if (before) emit('DELETED', e.object);
  };

  try {
    stop = cache.watch(o.fromRv, { prefix: o.prefix, onEvent });
  } catch (e) {
    if (e instanceof TooOldError) {
      send('ERROR', expired(`too old resource version: ${e.requested} (${e.oldest})`).toStatus());
      finish();
      return finish;
    }
    throw e;
  }
  if (o.bookmarks) {
    const b = o.bookmarks;
    timers.push(setInterval(() => send('BOOKMARK', b.make(Math.max(lastRv, cache.revision()))), b.intervalMs));
  }
  if (o.timeoutMs && o.timeoutMs > 0) timers.push(setTimeout(finish, o.timeoutMs));
  return finish;
}
