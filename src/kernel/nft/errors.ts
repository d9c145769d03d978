// The nftables error catalogue (DESIGN rule 7). Every failure of a transaction — found by
// our own validation, by the fake, or reported by `nft` — becomes an NftError with a stable
// code, so callers branch on `isNotFound(e)` and never on tool text. classifyNftStderr() is
// the only code in hawser that reads nft's stderr.

export type NftErrorCode =
  /** An object named by the operation (table, chain, set, rule handle, element, jump/goto
   *  target, @set) does not exist: ENOENT. */
  | 'HAWSER_NFT_NOT_FOUND'
  /** `create` of an existing object, `add` of an object whose definition differs, an
   *  element with a different value, an interval overlapping one in the set: EEXIST. */
  | 'HAWSER_NFT_EXISTS'
  /** Deleting a chain that still has rules or is still a jump/goto target, a set still
   *  referenced by a rule: EBUSY. */
  | 'HAWSER_NFT_BUSY'
  /** A jump/goto loop reachable from a base chain, or jumps nested 16 deep: EMLINK. */
  | 'HAWSER_NFT_LOOP'
  /** nft could not parse the text. */
  | 'HAWSER_NFT_SYNTAX'
  /** Parsed, but the types or values do not fit (datatype mismatch, key arity, bad names,
   *  missing required fields). */
  | 'HAWSER_NFT_INVALID'
  /** The kernel or this nft version does not support the operation (jump to a base chain,
   *  changing a base chain's hook, `destroy` of a rule on nft < 1.0.8): EOPNOTSUPP. */
  | 'HAWSER_NFT_UNSUPPORTED'
  /** Not allowed (not root, no CAP_NET_ADMIN): EPERM. */
  | 'HAWSER_NFT_PERMISSION'
  /** Anything else (the tool missing, killed, an errno we do not map). */
  | 'HAWSER_NFT_UNKNOWN';

export class NftError extends Error {
  constructor(
    readonly code: NftErrorCode,
    message: string,
    /** Index of the failing operation in the transaction, when known. */
    readonly opIndex?: number,
    /** The tool's own text, when the error came from nft. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

const codeOf = (e: unknown): NftErrorCode | undefined => (e instanceof NftError ? e.code : undefined);
export const isNotFound = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_NOT_FOUND';
export const isExists = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_EXISTS';
export const isBusy = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_BUSY';
export const isLoop = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_LOOP';
export const isSyntax = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_SYNTAX';
export const isInvalid = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_INVALID';
export const isUnsupported = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_UNSUPPORTED';
export const isPermission = (e: unknown): boolean => codeOf(e) === 'HAWSER_NFT_PERMISSION';

/**
 * Patterns in nft 1.0.6's messages, first match wins. Kernel errors arrive as
 * "Could not process rule: <strerror>"; nft's own evaluator reports a missing object as a
 * bare "No such file or directory" (often with "; did you mean …") and a missing element as
 * "element does not exist".
 */
const PATTERNS: Array<[RegExp, NftErrorCode]> = [
  [/No such file or directory|does not exist|not found/i, 'HAWSER_NFT_NOT_FOUND'],
  [/File exists|interval overlaps/i, 'HAWSER_NFT_EXISTS'],
  [/Device or resource busy/i, 'HAWSER_NFT_BUSY'],
  [/Operation not supported|not supported/i, 'HAWSER_NFT_UNSUPPORTED'],
  [/Too many links|Too many levels of symbolic links/i, 'HAWSER_NFT_LOOP'],
  [/Operation not permitted|Permission denied/i, 'HAWSER_NFT_PERMISSION'],
  [/syntax error|unexpected|No symbol type information|unknown identifier/i, 'HAWSER_NFT_SYNTAX'],
  [/mismatch|Invalid argument|out of range|too long|exceeds|conflicting|Numerical result|is not a map|Can't parse|Could not resolve|unqualified type/i, 'HAWSER_NFT_INVALID'],
];

/** Line number (1-based) of the first error in `nft -f -` output, e.g. "/dev/stdin:3:22-25: Error: …". */
export function errorLine(stderr: string): number | undefined {
  const m = /^[^:\n]*:(\d+):\d+(?:-\d+)?: Error:/m.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** Build the catalogue error for a failed nft run from its stderr. */
export function classifyNftStderr(stderr: string, opIndex?: number): NftError {
  // "netlink: Error: set is not a map" precedes the located error in some cases: the
  // first Error line names the cause.
  const first = /Error: ([^\n]*)/.exec(stderr)?.[1] ?? stderr.trim().split('\n')[0] ?? '';
  const code = PATTERNS.find(([re]) => re.test(first))?.[1] ?? 'HAWSER_NFT_UNKNOWN';
  return new NftError(code, `nft: ${first || 'failed'}`, opIndex, stderr);
}
