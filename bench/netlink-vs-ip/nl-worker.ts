// Runs INSIDE the target namespace (started with nsenter --net): a netlink socket belongs
// to the namespace of the process that opens it, and Node cannot setns(), so this is the
// only way the `netlink` package can act in another namespace.
// Loads `netlink` from NETLINK_MODULE (a scratch install outside the repo).
import { performance } from 'node:perf_hooks';

interface AttrStreamLike { bufs: Uint8Array[]; emit(d: unknown): void }
interface NetlinkModule {
  AttrStream: new () => AttrStreamLike;
  createRtNetlink(): RtSocket;
  rt: { formatLink(x: object): Buffer };
  ifla: {
    formatLinkAttrs(x: object): unknown;
    formatInfo(x: object): unknown;
    formatVethInfo(x: object): unknown;
  };
}
interface RtSocket {
  newLink(data: object, attrs: object, opts?: object): Promise<unknown>;
  delLink(data: object, attrs: object): Promise<unknown>;
  getLinks(data?: object, attrs?: object): Promise<{ data: { index?: number }; attrs: { ifname?: string } }[]>;
  newAddress(data: object, attrs: object, opts?: object): Promise<unknown>;
  socket: { close(): void };
}

const n = Number(process.argv[2] ?? 200);
const nl = (await import(process.env.NETLINK_MODULE ?? 'netlink')) as NetlinkModule;
const { rt, ifla } = nl;

function bytes(data: unknown): Buffer {
  const s = new nl.AttrStream();
  s.emit(data);
  return Buffer.concat(s.bufs);
}

// IFLA_LINKINFO{ kind "veth", data{ VETH_INFO_PEER = ifinfomsg + IFLA_IFNAME } }
function vethInfo(peer: string): Buffer {
  const peerMsg = Buffer.concat([rt.formatLink({}), bytes(ifla.formatLinkAttrs({ ifname: peer }))]);
  return bytes(ifla.formatInfo({ kind: 'veth', data: bytes(ifla.formatVethInfo({ peer: peerMsg })) }));
}

const sock = nl.createRtNetlink();
// NLM_F_CREATE | NLM_F_EXCL (netlink.h): without CREATE the kernel looks the link up, ENODEV.
const create = { flags: 0x400 | 0x200 };

let t0 = performance.now();
for (let i = 0; i < n; i++) {
  await sock.newLink({}, { ifname: `v${i}`, linkinfo: vethInfo(`p${i}`) }, create);
  await sock.delLink({}, { ifname: `v${i}` });
}
const vethMs = performance.now() - t0;

await sock.newLink({}, { ifname: 'a0', linkinfo: vethInfo('a1') }, create);
const index = (await sock.getLinks()).find((l) => l.attrs.ifname === 'a0')?.data.index;
t0 = performance.now();
for (let i = 0; i < n; i++) {
  const local = Buffer.from([10, 50, i >> 8, i & 255]);
  await sock.newAddress({ family: 2, prefixlen: 32, index }, { local, address: local }, create);
}
const addrMs = performance.now() - t0;
await sock.delLink({}, { ifname: 'a0' });
sock.socket.close();
process.stdout.write(JSON.stringify({ vethMs, addrMs }) + '\n');
