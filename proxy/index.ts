// Public surface of the service proxy for the agent (informers in, nftables out) and for
// tools (the tracer, benchmarks) that compile rulesets without a kernel.
export { createProxier, nodeIPsFromNode } from './proxier.js';
export type { Clock, ConntrackCleaner, Proxier, ProxierOptions, SyncResult, WatchedKind } from './api.js';
export { staleUdpFlows } from './conntrack.js';
export type { ConntrackFilter } from './conntrack.js';
export { WATCHED_KINDS, systemClock } from './api.js';
export { buildModel, servicePorts, isProxied } from './model.js';
export { compileProxy, assemble } from './compile.js';
export { compileServicePort } from './service.js';
export { planFull, planPartial } from './diff.js';
export type { Plan, StaleChains } from './diff.js';
export { renderRuleset } from './render.js';
export { baseChains, TABLE, MASQ_MARK } from './base.js';
export { ChangeTracker } from './change-tracker.js';
export { SyncRunner } from './sync-runner.js';
export type * from './types.js';
export { SCHEDULER_ANNOTATION, SCHEDULERS } from './types.js';
export { healthCheckAnswer, healthCheckServices } from './healthcheck.js';
export type { HealthCheckAnswer, HealthCheckService } from './healthcheck.js';
