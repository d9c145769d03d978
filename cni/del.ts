// DEL: remove the pod's veth pair and release its address. Idempotent (spec "DEL"): it
// succeeds when the netns is gone, when CNI_NETNS is empty, when the address was already
// released, when called twice — it needs nothing but container ID + ifname.
import { parseConfig } from './config.js';
import { IpamStore } from './ipam/store.js';
import { hostVethName } from './names.js';
import type { PluginContext } from './skel/dispatch.js';
import { unwirePod } from './wiring.js';

export async function cmdDel(ctx: PluginContext): Promise<void> {
  const conf = parseConfig(ctx.config);
  const { containerId, ifname } = ctx.env;
  // Link first, address second: the address is never handed to a new pod while the
  // old pod's interface still holds it.
  await unwirePod(hostVethName(containerId, ifname));
  await IpamStore.forNetwork(conf.dataDir, conf.name).release({ containerId, ifname });
}
