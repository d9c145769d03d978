// core/v1 Events as upstream's record.EventRecorder writes them: named
// `<object>.<hex nanos>`, counted and re-stamped when the same (object, reason, message)
// repeats instead of piling up new objects. Failures to record are logged, never thrown:
// an Event is a hint for humans, not part of any controller's correctness.
import type { KObject, ObjectReference } from '../types.js';
import type { ControllerClient } from './client.js';

export interface EventLike extends KObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string };
  reportingComponent?: string;
}

export class EventRecorder {
  private seen = new Map<string, EventLike>();

  constructor(
    private readonly client: ControllerClient,
    private readonly component: string,
    private readonly now: () => number = Date.now,
    private readonly log: (msg: string, err: unknown) => void = () => {},
  ) {}

  async record(obj: KObject & { apiVersion?: string; kind?: string }, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ts = new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const key = `${obj.metadata.uid ?? obj.metadata.name}|${reason}|${message}`;
    try {
      const prior = this.seen.get(key);
      if (prior) {
        const next = { ...prior, count: (prior.count ?? 1) + 1, lastTimestamp: ts };
        this.seen.set(key, await this.client.update('events', next));
        return;
      }
      const ns = obj.metadata.namespace || 'default';
      const ev: EventLike = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.metadata.name}.${(BigInt(this.now()) * 1_000_000n + BigInt(this.seen.size)).toString(16)}`, namespace: ns },
        involvedObject: {
          kind: obj.kind, apiVersion: obj.apiVersion, name: obj.metadata.name, uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        },
        reason, message, type, count: 1, firstTimestamp: ts, lastTimestamp: ts,
        source: { component: this.component }, reportingComponent: this.component,
      };
      this.seen.set(key, await this.client.create('events', ev));
      if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
    } catch (e) {
      this.seen.delete(key);
      this.log(`recording event ${reason} for ${obj.metadata.name}`, e);
    }
  }
}
