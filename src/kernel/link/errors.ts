// The error catalogue for link/address/route/neighbour operations (DESIGN.md rule 7).
// Only this module reads the text iproute2 prints; callers ask `isNotFound(err)` and
// `isExists(err)`. The patterns are the kernel's errno strings as iproute2 renders them
// ("RTNETLINK answers: File exists") plus iproute2's own messages for missing devices.
import { KernelCommandError } from '../exec.js';

export type LinkErrorCode =
  | 'HAWSER_LINK_NOT_FOUND'
  | 'HAWSER_LINK_EXISTS'
  | 'HAWSER_NETNS_NOT_FOUND'
  | 'HAWSER_LINK_INVALID'
  | 'HAWSER_LINK_FAILED';

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
    readonly command: string[] = [],
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

const NETNS_MISSING = [
  /nsenter: cannot open .*: No such file or directory/,
  /Cannot open network namespace/,
  /Invalid "netns" value/,
];
const NOT_FOUND = [
  /Cannot find device/,
  /does not exist/,
  /No such device/,
  // ENOENT/ESRCH from RTM_DEL*: route, neighbour, fdb entry or address that is not there.
  /RTNETLINK answers: No such process/,
  /RTNETLINK answers: No such file or directory/,
  /Cannot assign requested address/, // EADDRNOTAVAIL: deleting an address the device lacks
  /Error: ipv[46]: Address not found/,
  /Error: Nexthop .* not found/,
];
const EXISTS = [/File exists/, /already exists/, /Address already assigned/];
const INVALID = [/Invalid argument/, /Numerical result out of range/, /Error: argument .* is wrong/];

/** Sort a failed tool run into the catalogue; anything unrecognised is HAWSER_LINK_FAILED. */
export function classify(stderr: string): LinkErrorCode {
  if (NETNS_MISSING.some((re) => re.test(stderr))) return 'HAWSER_NETNS_NOT_FOUND';
  if (NOT_FOUND.some((re) => re.test(stderr))) return 'HAWSER_LINK_NOT_FOUND';
  if (EXISTS.some((re) => re.test(stderr))) return 'HAWSER_LINK_EXISTS';
  if (INVALID.some((re) => re.test(stderr))) return 'HAWSER_LINK_INVALID';
  return 'HAWSER_LINK_FAILED';
}

/** Wrap a KernelCommandError (or pass through anything else) as a catalogued LinkError. */
export function toLinkError(err: unknown): unknown {
  if (err instanceof KernelCommandError) {
    const text = err.stderr.trim() || err.stdout.trim();
    return new LinkError(classify(err.stderr), `${err.command.join(' ')}: ${text}`, err.command, err.stderr);
  }
  return err;
}

function codeOf(err: unknown): LinkErrorCode | undefined {
  return err instanceof LinkError ? err.code : undefined;
}

/** The device, address, route, neighbour or fdb entry named does not exist. */
export const isNotFound = (err: unknown): boolean => codeOf(err) === 'HAWSER_LINK_NOT_FOUND';
/** The thing being created exists already (EEXIST). */
export const isExists = (err: unknown): boolean => codeOf(err) === 'HAWSER_LINK_EXISTS';
/** The network namespace named (or the path given) does not exist. */
export const isNetnsNotFound = (err: unknown): boolean => codeOf(err) === 'HAWSER_NETNS_NOT_FOUND';
export const isInvalid = (err: unknown): boolean => codeOf(err) === 'HAWSER_LINK_INVALID';
