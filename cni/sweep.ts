// For the node agent: release the addresses of pods that died without a DEL (their
// network namespace is gone) — the address leak host-local is known for. The veth pair
// died with the namespace, so only the reservation remains to be removed; the host
// end is deleted anyway in case the pod end was moved away rather than destroyed.
import { IpamStore, type Reservation } from './ipam/store.js';
import { reservationNetnsAlive } from './ipam/netns-id.js';
import { hostVethName } from './names.js';
import { unwirePod } from './wiring.js';

export async function sweepStaleReservations(dataDir: string, network: string): Promise<Reservation[]> {
  const released = await IpamStore.forNetwork(dataDir, network).sweep(reservationNetnsAlive);
  for (const r of released) if (r.containerId !== '') await unwirePod(hostVethName(r.containerId, r.ifname));
  return released;
}
