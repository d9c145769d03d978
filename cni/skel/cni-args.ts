// CNI_ARGS: "K1=V1;K2=V2" (SPEC.md "Parameters"). As the reference plugins do (pkg/types
// LoadArgs), a key this plugin does not know is an error unless the caller says
// IgnoreUnknown=1 — containerd and CRI-O always do, and add the K8S_POD_* keys.
import { CniCode, CniError } from './errors.js';

export interface CniArgs {
  ignoreUnknown: boolean;
  podNamespace?: string;
  podName?: string;
  podInfraContainerId?: string;
  podUid?: string;
}

const KNOWN: Record<string, keyof CniArgs | undefined> = {
  IgnoreUnknown: 'ignoreUnknown',
  K8S_POD_NAMESPACE: 'podNamespace',
  K8S_POD_NAME: 'podName',
  K8S_POD_INFRA_CONTAINER_ID: 'podInfraContainerId',
  K8S_POD_UID: 'podUid',
};

export function parseCniArgs(text: string): CniArgs {
  const out: CniArgs = { ignoreUnknown: false };
  if (text === '') return out;
  const pairs: [string, string][] = [];
  for (const part of text.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CniError(CniCode.InvalidEnv, 'CNI_ARGS: invalid pair', part);
    const key = part.slice(0, eq);
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw new CniError(CniCode.InvalidEnv, 'CNI_ARGS: invalid key', key);
    pairs.push([key, part.slice(eq + 1)]);
  }
  const ignore = pairs.find(([k]) => k === 'IgnoreUnknown');
  // Go's UnmarshallableBool: "1" and "true" (any case) are true.
  out.ignoreUnknown = ignore !== undefined && /^(1|true)$/i.test(ignore[1]);
  if (ignore && !/^(0|1|true|false)$/i.test(ignore[1])) throw new CniError(CniCode.InvalidEnv, 'CNI_ARGS: IgnoreUnknown is not a boolean', ignore[1]);
  for (const [k, v] of pairs) {
    const field = KNOWN[k];
    if (field === 'ignoreUnknown') continue;
    if (field) (out as unknown as Record<string, string>)[field] = v;
    else if (!out.ignoreUnknown) throw new CniError(CniCode.UnsupportedField, `CNI_ARGS: unknown args ["${k}"]`, k);
  }
  return out;
}
