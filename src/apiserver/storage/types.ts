// The storage contract every backend (memory, SQLite, etcd) fulfils. Keys are
// `/registry/<group>/<resource>/[<namespace>/]<name>` as in kube-apiserver; values are the
// objects as JSON. One global, strictly increasing revision stamps every write; it becomes
// `metadata.resourceVersion`, so lists and watches of all kinds share one timeline.
import type { KubeObject } from '../../k8s/types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  key: string;
  /** Revision of this change; for DELETED the revision of the delete itself. */
  rv: number;
  /** The object after the change (for DELETED: the last state, stamped with `rv`). */
  object: KubeObject;
  /** The object before the change (MODIFIED/DELETED), when the backend knows it. */
  prev?: KubeObject;
}

export interface ListResult {
  items: KubeObject[];
  /** The store revision the list reflects. */
  rv: number;
  /** Key of the last item when more items follow (for `continue`), else undefined. */
  nextKey?: string;
}

export interface ListOptions {
  /** Return only keys strictly greater than this one. */
  after?: string;
  limit?: number;
}

export type StorageErrorCode = 'NotFound' | 'Exists' | 'Conflict' | 'Unavailable';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, readonly key: string, message?: string) {
    super(message ?? `${code}: ${key}`);
    this.name = 'StorageError';
  }
}

export const isStorageError = (e: unknown, code?: StorageErrorCode): e is StorageError =>
  e instanceof StorageError && (code === undefined || e.code === code);

export interface Storage {
  readonly backend: 'memory' | 'sqlite' | 'etcd';
  get(key: string): Promise<KubeObject | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Create-only: StorageError('Exists') when the key is taken. */
  create(key: string, obj: KubeObject): Promise<KubeObject>;
  /** StorageError('NotFound'), or ('Conflict') when `expectedRv` is given and stale. */
  update(key: string, obj: KubeObject, expectedRv?: number): Promise<KubeObject>;
  delete(key: string, expectedRv?: number): Promise<KubeObject>;
  /** The latest revision the store has handed out. */
  revision(): Promise<number>;
  /**
   * Every change, in revision order, from the moment of subscription (for etcd also
   * changes made by other apiservers). Returns the unsubscribe function.
   */
  subscribe(listener: (e: StoreEvent) => void): () => void;
  close(): Promise<void>;
}

/** Stamps the revision into a copy of the object. */
export function withRv(obj: KubeObject, rv: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

/** Upper bound for a prefix range scan: keys are ASCII, so 0x7f sorts after all of them. */
export function prefixEnd(prefix: string): string {
  return prefix + '\x7f';
}
