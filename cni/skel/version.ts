// Spec versions this plugin speaks and which operations each allows. The version comes
// from the config's `cniVersion`; results must be written in that version's format.
import { CniCode, CniError } from './errors.js';

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: CniVersion = '1.1.0';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

/** Compare dotted versions numerically: "0.10.0" > "0.4.0". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const isSupportedVersion = (v: unknown): v is CniVersion =>
  typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);

/**
 * The version a config asks for. A config without cniVersion is a 0.1.0 config (libcni's
 * ConfigDecoder defaults it so), which this plugin does not speak: code 1, as the Go skel
 * answers.
 */
export function negotiateVersion(cniVersion: unknown): CniVersion {
  if (cniVersion !== undefined && typeof cniVersion !== 'string') {
    throw new CniError(CniCode.Decode, 'cniVersion must be a string', JSON.stringify(cniVersion));
  }
  const asked = cniVersion === undefined || cniVersion === '' ? '0.1.0' : cniVersion;
  if (!isSupportedVersion(asked)) {
    const why = cniVersion ? '' : ' (cniVersion missing)';
    throw new CniError(
      CniCode.IncompatibleVersion,
      'incompatible CNI versions',
      `config is "${asked}"${why}, plugin supports ${JSON.stringify(SUPPORTED_VERSIONS)}`,
    );
  }
  return asked;
}

/** The first spec version that defines each command (CHECK 0.4.0; STATUS and GC 1.1.0). */
const INTRODUCED: Record<CniCommand, string> = {
  ADD: '0.1.0', DEL: '0.1.0', VERSION: '0.1.0', CHECK: '0.4.0', STATUS: '1.1.0', GC: '1.1.0',
};

export function assertCommandAllowed(command: CniCommand, version: CniVersion): void {
  if (compareVersions(version, INTRODUCED[command]) < 0) {
    throw new CniError(CniCode.IncompatibleVersion, `config version does not allow ${command}`, `config is "${version}", ${command} needs ≥ ${INTRODUCED[command]}`);
  }
}
