// A thin layer over client-node's ListWatch informer that gives what hawser's change
// trackers need (DESIGN.md rule 5): every change as a (previous, current) pair, and a
// one-shot "synced" signal after the first complete list — no sync may run before it.
// client-node stops an informer on any error other than 410/timeouts, so we restart it
// with capped exponential backoff; a restart re-lists and reports the differences.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export interface WatchHandlers<T> {
  onChange(prev: T | undefined, cur: T | undefined): void;
  onSynced?(): void;
  onError?(err: unknown): void;
}

export interface RunningInformer<T> {
  list(): T[];
  synced(): boolean;
  stop(): Promise<void>;
}

export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : `${obj.metadata?.name}`;
}

export function watchKind<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  listFn: () => Promise<KubernetesListObject<T>>,
  handlers: WatchHandlers<T>,
  opts: { labelSelector?: string; fieldSelector?: string; maxBackoffMs?: number } = {},
): RunningInformer<T> {
  const cache = new Map<string, T>();
  let listedOnce = false;
  let synced = false;
  let stopped = false;
  let backoff = 0;
  let timer: NodeJS.Timeout | undefined;

  // ListWatch directly (not makeInformer) because only its constructor takes a field
  // selector, which the kubelet needs (spec.nodeName=<node>).
  const informer = new ListWatch<T>(
    path,
    new Watch(kc),
    async () => {
      const list = await listFn();
      listedOnce = true;
      return list;
    },
    false,
    opts.labelSelector,
    opts.fieldSelector,
  );

  const upsert = (obj: T) => {
    const key = objectKey(obj);
    const prev = cache.get(key);
    cache.set(key, obj);
    handlers.onChange(prev, obj);
  };
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (obj: T) => {
    const key = objectKey(obj);
    const prev = cache.get(key) ?? obj;
    cache.delete(key);
    handlers.onChange(prev, undefined);
  });
  informer.on('error', (err: unknown) => {
    handlers.onError?.(err);
    if (stopped) return;
    backoff = Math.min(backoff ? backoff * 2 : 200, opts.maxBackoffMs ?? 10_000);
    timer = setTimeout(() => void begin(), backoff);
  });

  const begin = async () => {
    if (stopped) return;
    await informer.start();
    if (listedOnce) backoff = 0;
    if (listedOnce && !synced) {
      synced = true;
      handlers.onSynced?.();
    }
  };
  void begin();

  return {
    list: () => [...cache.values()],
    synced: () => synced,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}
