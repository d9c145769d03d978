// NetworkPolicy enforcement: the public surface for the agent, the tracer and the lab.
export {
  createPolicyEnforcer, WATCHED_KINDS,
  type PolicyBackend, type PolicyEnforcer, type PolicyEnforcerOptions, type SyncResult, type WatchedKind,
} from './enforcer.js';
export {
  compilePolicy, BASE_CHAIN, EGRESS_MAP, FORWARD_CHAIN, INGRESS_MAP, NODE_SET,
  type CompileInput, type CompileOptions, type PolicyFamily,
} from './compile.js';
export { diffPolicy, fullTransaction } from './diff.js';
export { readCounters, type Count, type PodDenyCount, type PolicyCounters } from './counters.js';
export { walkHook, type Packet, type WalkResult, type Step as WalkStep } from './walk.js';
export {
  buildIndex, isAllowed, isolatingPolicies, policyTypes, NAMESPACE_NAME_LABEL,
  type DirectionVerdict, type EndpointRef, type Verdict,
} from './model.js';
export { TABLE } from './names.js';
export type { Direction, Namespace, NetworkPolicy, Pod, Protocol, World } from './types.js';
