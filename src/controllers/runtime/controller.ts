// What every controller gets, and the shape it has: a name, start/stop, and a work queue
// keyed by object ("ns/name"). Handlers on the informer caches only enqueue keys;
// reconcile(key) reads the caches and writes through the client (DESIGN.md rule 5, the
// upstream controller pattern).
import type { ControllerClient } from './client.js';
import type { EventRecorder } from './events.js';
import type { Informers } from './informers.js';
import { WorkQueue } from './queue.js';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}

export interface ControllerContext {
  informers: Informers;
  client: ControllerClient;
  events: EventRecorder;
  log: Logger;
  now: () => number;
}

export interface Controller {
  readonly name: string;
  /** Registers cache handlers; called before the informers list. */
  register(): void;
  /** Called once every cache holds its initial list: enqueue everything. */
  start(): void;
  stop(): void;
  /** Resolves when the queue is empty (tests, benchmarks). */
  idle(): Promise<void>;
}

export abstract class QueueController implements Controller {
  abstract readonly name: string;
  protected queue!: WorkQueue;
  protected started = false;

  constructor(protected readonly ctx: ControllerContext) {
    this.makeQueue();
  }

  protected abstract reconcile(key: string): Promise<void>;
  abstract register(): void;
  /** Keys to reconcile at start (all objects of the primary kind). */
  protected abstract initialKeys(): string[];

  protected makeQueue(): void {
    this.queue = new WorkQueue((k) => this.reconcile(k), {
      name: this.name,
      onError: (key, err) => this.ctx.log.warn({ controller: this.name, key, err: errText(err) }, 'reconcile failed, will retry'),
    });
  }

  protected enqueue(key: string): void {
    if (this.started) this.queue.add(key);
  }

  start(): void {
    this.started = true;
    for (const k of this.initialKeys()) this.queue.add(k);
  }

  stop(): void {
    this.started = false;
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const nsName = (o: { metadata: { namespace?: string; name?: string } }) =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`;

export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}
