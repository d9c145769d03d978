// Public surface of the apiserver for the rest of hawser (CLI, lab, tests, controllers).
export { createApiServer, VERSION_INFO, type ApiServerApp, type ApiServerOptions, type ApiServerParts } from './app.js';
export { startApiServer, type StartOptions, type RunningApiServer } from './start.js';
export { AdmissionChain, type AdmissionPlugin, type AdmissionContext } from './admission.js';
export { Registry, defineResource, storageKey, type ResourceDef, type Strategy } from './registry.js';
export { builtinRegistry, builtinResources } from './resources.js';
export { Rest, type ListQuery, type WriteOptions, type DeleteOptions } from './rest.js';
export { openStorage, type Backend, type StorageConfig } from './storage/index.js';
export { MemoryStorage } from './storage/memory.js';
export { SqliteStorage } from './storage/sqlite.js';
export type { Storage, StoreEvent } from './storage/types.js';
export * as errors from './errors.js';
export { renderKubeconfig } from './kubeconfig.js';
export { TokenAuthenticator, parseTokenFile, type UserInfo } from './auth/tokens.js';
export { NODE_GROUP, NODE_ROLE } from './auth/bootstrap-policy.js';
