// Public surface of the nftables layer.
export * from './types.js';
export { addContent, replaceTableTransaction } from './sync.js';
export * from './errors.js';
export { Transaction, type ObjectRef, type Op, type Verb } from './transaction.js';
export { renderTransaction, renderOp, expandOps } from './render.js';
export type { NftBackend } from './backend.js';
export { KernelNft, type KernelNftOptions } from './kernel.js';
export { FakeNft } from './fake.js';
export { normalisedDump } from './dump.js';
export { canonicalRule, canonicalPart, dumpRuleText } from './canonical.js';
export { parseTableJson, parseTablesJson } from './parse-json.js';
export { parseListing } from './parse-listing.js';
export { formatDuration, parseDuration, nameProblem } from './format.js';
