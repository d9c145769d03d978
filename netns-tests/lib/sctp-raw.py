#!/usr/bin/env python3
# SCTP probe and server over raw IP sockets (protocol 132), for kernels without an SCTP
# stack (CONFIG_IP_SCTP unset, as on the test machines) but with conntrack/NAT/nftables
# SCTP support. It speaks the first exchange of the SCTP handshake (RFC 9260 5.1):
# the client sends INIT; the server answers INIT-ACK whose State Cookie carries the same
# JSON echo reply as echo-server.ts (who answered, what source it saw). That first
# exchange is what conntrack, DNAT and policy decide on, so it tests them faithfully;
# no association is ever established.
#
#   sctp-raw.py server '{"name":"b","ports":[80,81]}'   → prints {"ready":true,...}, serves
#   sctp-raw.py client HOST PORT TIMEOUT_MS [BIND_ADDR] [BIND_PORT] → prints one JSON result
# IPv4 only. Without a kernel SCTP stack, a raw socket for protocol 132 also stops the
# kernel from answering SCTP with ICMP protocol-unreachable (ip_local_deliver).
import json, os, random, select, socket, struct, sys, time

IPPROTO_SCTP = 132

def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t
CRC = _table()

def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def packet(sport, dport, vtag, chunk):
    body = struct.pack('!HHII', sport, dport, vtag, 0) + chunk
    # RFC 9260 appendix A: the CRC32c goes into the header in little-endian byte order
    # (Linux: cpu_to_le32 in sctp_compute_cksum); conntrack drops packets with a bad one.
    return body[:8] + struct.pack('<I', crc32c(body)) + body[12:]

def pad4(b):
    return b + b'\0' * (-len(b) % 4)

def init_chunk(itag, tsn):
    return struct.pack('!BBHIIHHI', 1, 0, 20, itag, 65535, 1, 1, tsn)

def init_ack_chunk(itag, tsn, cookie):
    param = struct.pack('!HH', 7, 4 + len(cookie)) + cookie
    body = struct.pack('!IIHHI', itag, 65535, 1, 1, tsn) + pad4(param)
    return struct.pack('!BBH', 2, 0, 4 + len(body)) + body

def parse_ip4(data):
    ihl = (data[0] & 0x0F) * 4
    return socket.inet_ntoa(data[12:16]), socket.inet_ntoa(data[16:20]), data[9], data[ihl:]

def parse_sctp(s):
    if len(s) < 16:
        return None
    sport, dport, vtag = struct.unpack('!HHI', s[:8])
    ctype, _flags, clen = struct.unpack('!BBH', s[12:16])
    return sport, dport, vtag, ctype, s[12:12 + clen]

def cookie_of(chunk):
    off = 20  # chunk header 4 + fixed INIT-ACK fields 16
    while off + 4 <= len(chunk):
        ptype, plen = struct.unpack('!HH', chunk[off:off + 4])
        if plen < 4:
            break
        if ptype == 7:
            return chunk[off + 4:off + plen]
        off += plen + (-plen % 4)
    return b''

def server(spec):
    ports = set(spec['ports'])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    print(json.dumps({'ready': True, 'pid': os.getpid(), 'failed': []}), flush=True)
    while True:
        data, _ = s.recvfrom(65535)
        src, dst, _proto, sctp = parse_ip4(data)
        p = parse_sctp(sctp)
        if not p:
            continue
        sport, dport, _vtag, ctype, chunk = p
        if ctype != 1 or dport not in ports or len(chunk) < 20:
            continue
        peer_tag, = struct.unpack('!I', chunk[4:8])
        echo = {'name': spec['name'], 'proto': 'sctp', 'port': dport,
                'local': '%s:%d' % (dst, dport), 'peer': '%s:%d' % (src, sport)}
        cookie = (json.dumps(echo) + '\n').encode()
        out = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
        out.bind((dst, 0))  # answer from the address the INIT reached (after DNAT)
        ack = init_ack_chunk(random.getrandbits(31) | 1, random.getrandbits(32), cookie)
        out.sendto(packet(dport, sport, peer_tag, ack), (src, 0))
        out.close()

def client(host, port, timeout_ms, bind_addr=None, bind_port=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if bind_addr:
        s.bind((bind_addr, 0))
    sport = bind_port or random.randint(32768, 60999)
    itag = random.getrandbits(31) | 1
    s.sendto(packet(sport, port, 0, init_chunk(itag, random.getrandbits(32))), (host, 0))
    deadline = time.monotonic() + timeout_ms / 1000.0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return {'ok': False, 'kind': 'timeout', 'error': 'no INIT-ACK within %d ms' % timeout_ms}
        ready, _, _ = select.select([s, icmp], [], [], left)
        for sock in ready:
            data, _ = sock.recvfrom(65535)
            src, _dst, _proto, payload = parse_ip4(data)
            if sock is icmp:
                # Destination unreachable quoting our INIT (IP header + 8 bytes of SCTP).
                if len(payload) < 8 or payload[0] != 3:
                    continue
                q = payload[8:]
                if len(q) < 24 or q[9] != IPPROTO_SCTP or socket.inet_ntoa(q[16:20]) != host:
                    continue
                code = payload[1]
                kind = 'unreachable' if code in (0, 1) else 'refused'
                return {'ok': False, 'kind': kind, 'error': 'ICMP destination unreachable code %d from %s' % (code, src)}
            p = parse_sctp(payload)
            if not p or src != host:
                continue
            psport, pdport, vtag, ctype, chunk = p
            if psport != port or pdport != sport or vtag != itag:
                continue
            if ctype == 2:
                return {'ok': True, 'reply': cookie_of(chunk).decode('utf8', 'replace')}
            if ctype == 6:
                return {'ok': False, 'kind': 'refused', 'error': 'ABORT from %s' % src}

if __name__ == '__main__':
    if sys.argv[1] == 'server':
        server(json.loads(sys.argv[2]))
    else:
        a = sys.argv[2:]
        res = client(a[0], int(a[1]), int(a[2]), a[3] if len(a) > 3 and a[3] else None,
                     int(a[4]) if len(a) > 4 and a[4] else None)
        print(json.dumps(res), flush=True)
