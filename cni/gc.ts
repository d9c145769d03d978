// GC (spec 1.1): the runtime lists every attachment that is still valid; everything else
// this network holds — reservations and their host veths — is released.
import { parseConfig } from './config.js';
import { IpamStore, type Attachment } from './ipam/store.js';
import { hostVethName } from './names.js';
import type { PluginContext } from './skel/dispatch.js';
import { CniCode, CniError } from './skel/errors.js';
import { unwirePod } from './wiring.js';

/** libcni sends `cni.dev/valid-attachments`; the spec text says `cni.dev/attachments`. */
export function validAttachments(config: Record<string, unknown>): Attachment[] {
  const list = config['cni.dev/valid-attachments'] ?? config['cni.dev/attachments'];
  if (!Array.isArray(list)) {
    throw new CniError(CniCode.InvalidConfig, 'GC needs cni.dev/valid-attachments', 'a list of {containerID, ifname}');
  }
  return list.map((a: unknown) => {
    const o = a as { containerID?: unknown; ifname?: unknown } | null;
    if (typeof o?.containerID !== 'string' || typeof o.ifname !== 'string') {
      throw new CniError(CniCode.InvalidConfig, 'invalid entry in cni.dev/valid-attachments', JSON.stringify(a));
    }
    return { containerId: o.containerID, ifname: o.ifname };
  });
}

export async function cmdGc(ctx: PluginContext): Promise<void> {
  const conf = parseConfig(ctx.config);
  const valid = validAttachments(ctx.config);
  const released = await IpamStore.forNetwork(conf.dataDir, conf.name).gc(valid);
  for (const r of released) {
    if (r.containerId !== '') await unwirePod(hostVethName(r.containerId, r.ifname));
  }
}
