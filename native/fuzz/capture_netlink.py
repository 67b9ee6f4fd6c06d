#!/usr/bin/env python3
"""Capture real NETLINK_SOCK_DIAG replies for the netlink fuzz corpus.

  python3 native/fuzz/capture_netlink.py native/fuzz/corpus/netlink

Asks the kernel for an inet_diag dump (TCP/UDP, IPv4/IPv6, sequence number 1 as the harness
expects; UDP with INET_DIAG_SKMEMINFO as netlink_diag.cc asks) and writes each recv()'d buffer,
at most MAX_BUFFERS per dump, to its own file.
"""
import os
import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
INET_DIAG_SKMEMINFO = 7
MAX_BUFFERS = 2


def dump(family, protocol, ext):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    # struct inet_diag_req_v2: family, protocol, ext, pad, states, inet_diag_sockid (48 bytes)
    req = struct.pack('=BBBBI', family, protocol, ext, 0, 0xffffffff) + bytes(48)
    hdr = struct.pack('=IHHII', 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    s.sendto(hdr + req, (0, 0))
    out = []
    while True:
        buf = s.recv(65536)
        out.append(buf)
        _, typ, _, _, _ = struct.unpack_from('=IHHII', buf)
        done = False
        off = 0
        while off + 16 <= len(buf):
            ln, typ, _, _, _ = struct.unpack_from('=IHHII', buf, off)
            if typ in (2, 3) or ln < 16:  # NLMSG_ERROR, NLMSG_DONE
                done = True
                break
            off += (ln + 3) & ~3
        if done:
            break
    s.close()
    return out[:MAX_BUFFERS - 1] + out[-1:] if len(out) > MAX_BUFFERS else out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for fam, fname in ((socket.AF_INET, '4'), (socket.AF_INET6, '6')):
        for proto, pname, ext in ((socket.IPPROTO_TCP, 'tcp', 0), (socket.IPPROTO_UDP, 'udp', 1 << (INET_DIAG_SKMEMINFO - 1))):
            for i, buf in enumerate(dump(fam, proto, ext)):
                with open(os.path.join(outdir, f'live-{pname}{fname}-{i}'), 'wb') as f:
                    f.write(buf[:32768])


if __name__ == '__main__':
    main()
