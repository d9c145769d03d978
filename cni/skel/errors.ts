// The CNI error catalogue (SPEC.md "Error" section, spec 1.0/1.1). libcni and the reference
// plugins print the error object on stdout and exit 1; a runtime reads `code` to decide
// whether to retry (11) or how to report the failure.

export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  Io: 5,
  Decode: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  /** STATUS only (spec 1.1): the plugin cannot serve ADDs right now. */
  NotAvailable: 50,
  /** STATUS only (spec 1.1): ADDs work, but pods may lack some connectivity. */
  LimitedConnectivity: 51,
  /** 100+ are plugin-specific (spec): CHECK found reality differing from prevResult. */
  CheckFailed: 100,
  /** What the Go skel uses for errors that carry no code of their own. */
  Internal: 999,
} as const;

export type CniCodeValue = (typeof CniCode)[keyof typeof CniCode];

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details = '',
  ) {
    super(message);
    this.name = 'CniError';
  }
}

export const isCniError = (e: unknown): e is CniError => e instanceof CniError;

export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** The error object of the spec; anything that is not a CniError becomes code 999. */
export function errorJson(err: unknown, cniVersion: string): CniErrorJson {
  const e = isCniError(err) ? err : new CniError(CniCode.Internal, err instanceof Error ? err.message : String(err));
  const out: CniErrorJson = { cniVersion, code: e.code, msg: e.message };
  if (e.details) out.details = e.details;
  return out;
}
