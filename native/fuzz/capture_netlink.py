#!/usr/bin/env python3
"""Capture real NETLINK_SOCK_DIAG replies for the netlink fuzz corpus.

  python3 native/fuzz/capture_netlink.py native/fuzz/corpus/netlink

Asks the kernel for an inet_diag dump (TCP/UDP, IPv4/IPv6, sequence number 1 as the harness
expects; UDP with INET_DIAG_SKMEMINFO as netlink_diag.cc asks; TCP once plain and once with the
extensions a request can ask for: INET_DIAG_INFO, INET_DIAG_CONG and INET_DIAG_SKMEMINFO, the
`live-tcpext*` files, and once more with them for TIME_WAIT and SYN_RECV only, which get no
attributes, `live-tcpextmin*`) and writes each recv()'d buffer, at most MAX_BUFFERS per dump (the
first ones and the last), to its own file. The kernel fills the first buffer of a dump to about
4 KiB and the next ones to 32 KiB. Run it while the machine has sockets in many states (listeners,
connections with several congestion controls, TIME_WAIT, SYN_RECV).

  python3 native/fuzz/capture_netlink.py --destroy native/fuzz/corpus/netlink

Captures TCP destroy events instead (the multicast path of native/destroy_events.h): subscribes to
SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY, makes a loopback connection per family with
a 1000-byte transfer, closes the client, the server side and the listener, and writes the three
datagrams of each family back to back (`live-destroy4`, `live-destroy6`; sequence number 0, as the
kernel sends them) and the client's alone (`live-destroy4-one`).
"""
import os
import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
INET_DIAG_INFO, INET_DIAG_CONG, INET_DIAG_SKMEMINFO = 2, 4, 7
SKMEM = 1 << (INET_DIAG_SKMEMINFO - 1)
EXTENSIONS = 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) | SKMEM
MAX_BUFFERS = 3


ALL_STATES = 0xffffffff
MINI_SOCKETS = 1 << 6 | 1 << 3 | 1 << 12  # TIME_WAIT, SYN_RECV, NEW_SYN_RECV


def dump(family, protocol, ext, states):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    # struct inet_diag_req_v2: family, protocol, ext, pad, states, inet_diag_sockid (48 bytes)
    req = struct.pack('=BBBBI', family, protocol, ext, 0, states) + bytes(48)
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


def destroy_events(outdir):
    groups = 1 << (1 - 1) | 1 << (3 - 1)  # SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY
    sub = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    sub.bind((0, groups))
    sub.settimeout(5)
    for fam, host, name in ((socket.AF_INET, '127.0.0.1', '4'), (socket.AF_INET6, '::1', '6')):
        lst = socket.socket(fam, socket.SOCK_STREAM)
        lst.bind((host, 0))
        lst.listen(1)
        port = lst.getsockname()[1]
        cli = socket.socket(fam, socket.SOCK_STREAM)
        cli.connect((host, port))
        srv, _ = lst.accept()
        cport = cli.getsockname()[1]
        cli.sendall(b'x' * 1000)
        got = 0
        while got < 1000:
            got += len(srv.recv(4096))
        cli.close()
        srv.close()
        lst.close()
        want = {(cport, port), (port, cport), (port, 0)}
        mine = {}
        while len(mine) < 3:
            buf = sub.recv(65536)
            sport, dport = struct.unpack_from('!HH', buf, 16 + 4)
            if (sport, dport) in want:
                mine[(sport, dport)] = buf
        order = [(cport, port), (port, cport), (port, 0)]
        with open(os.path.join(outdir, f'live-destroy{name}'), 'wb') as f:
            f.write(b''.join(mine[k] for k in order))
        if name == '4':
            with open(os.path.join(outdir, 'live-destroy4-one'), 'wb') as f:
                f.write(mine[order[0]])
    sub.close()


def main():
    if sys.argv[1] == '--destroy':
        outdir = sys.argv[2]
        os.makedirs(outdir, exist_ok=True)
        destroy_events(outdir)
        return
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for fam, fname in ((socket.AF_INET, '4'), (socket.AF_INET6, '6')):
        for proto, pname, ext, states in ((socket.IPPROTO_TCP, 'tcp', 0, ALL_STATES),
                                          (socket.IPPROTO_TCP, 'tcpext', EXTENSIONS, ALL_STATES),
                                          (socket.IPPROTO_TCP, 'tcpextmin', EXTENSIONS, MINI_SOCKETS),
                                          (socket.IPPROTO_UDP, 'udp', SKMEM, ALL_STATES)):
            for i, buf in enumerate(dump(fam, proto, ext, states)):
                with open(os.path.join(outdir, f'live-{pname}{fname}-{i}'), 'wb') as f:
                    f.write(buf[:32768])


if __name__ == '__main__':
    main()
