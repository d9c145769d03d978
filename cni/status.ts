// STATUS (spec 1.1): whether ADD can work now. Without a pod CIDR it cannot (50).
import { parseConfig } from './config.js';
import { resolvePodCidr } from './pod-cidr.js';
import type { PluginContext } from './skel/dispatch.js';
import { CniCode, CniError, isCniError } from './skel/errors.js';

export async function cmdStatus(ctx: PluginContext): Promise<void> {
  const conf = parseConfig(ctx.config);
  try {
    await resolvePodCidr(conf);
  } catch (e) {
    if (!isCniError(e)) throw e;
    throw new CniError(CniCode.NotAvailable, `plugin not available: ${e.message}`, e.details);
  }
}
