// Where the node's pod CIDR comes from: the conflist (`podCIDR`, for use without the
// node agent) or the file the node agent writes from the Node's spec.podCIDR. Until the
// agent has written it, ADD must be retried (11) and STATUS says "not available" (50).
import { readFile } from 'node:fs/promises';
import { podCidrFromFile, type HawserConfig } from './config.js';
import { CniCode, CniError } from './skel/errors.js';

export async function resolvePodCidr(conf: HawserConfig): Promise<string> {
  if (conf.podCIDR !== undefined) return conf.podCIDR;
  let text: string;
  try {
    text = await readFile(conf.podCIDRFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CniError(CniCode.TryAgainLater, 'pod CIDR not known yet', `no podCIDR in the config and ${conf.podCIDRFile} does not exist (written by the node agent)`);
    }
    throw new CniError(CniCode.Io, `reading ${conf.podCIDRFile}`, (e as Error).message);
  }
  return podCidrFromFile(text, conf.podCIDRFile);
}
