// Choosing a storage backend from configuration.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { MemoryStorage } from './memory.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

export type Backend = 'memory' | 'sqlite' | 'etcd';

export interface StorageConfig {
  backend: Backend;
  /** SQLite file lives here as state.db. */
  dataDir?: string;
  etcdEndpoints?: string[];
  /** Prefix of every etcd key, so several clusters can share one etcd. */
  etcdPrefix?: string;
}

export async function openStorage(c: StorageConfig): Promise<Storage> {
  switch (c.backend) {
    case 'memory':
      return new MemoryStorage();
    case 'sqlite': {
      if (!c.dataDir) throw new Error('sqlite storage needs a data directory');
      mkdirSync(c.dataDir, { recursive: true });
      return new SqliteStorage({ path: join(c.dataDir, 'state.db') });
    }
    case 'etcd': {
      const { EtcdStorage } = await import('./etcd.js');
      return EtcdStorage.connect({ endpoints: c.etcdEndpoints ?? ['http://127.0.0.1:2379'], prefix: c.etcdPrefix });
    }
  }
}

export type { Storage };
