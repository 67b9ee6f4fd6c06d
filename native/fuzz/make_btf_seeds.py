#!/usr/bin/env python3
"""Writes the btf harness's seed corpus (native/fuzz/corpus/btf/): small BTF blobs in the format of
/sys/kernel/btf/vmlinux (include/uapi/linux/btf.h) holding what native/bpf_fds.cc looks for
(FUNC bpf_iter_task_file; task_struct.tgid, .pid, .thread_pid; file.f_inode inside an anonymous
union; inode.i_mode behind a typedef, .i_ino; pid.level, .numbers[]; upid.nr) among types of every
kind, and variants that must be refused: a bitfield, a name twice, a missing name, a truncated type,
the other byte order, sections past the end.

    python3 native/fuzz/make_btf_seeds.py [OUT_DIR]
"""
import os
import struct
import sys

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO, VAR, \
    DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(1, 20)


class Btf:
    def __init__(self, endian='<'):
        self.e = endian
        self.strings = bytearray(b'\0')
        self.types = []  # bytes per type; id = index + 1

    def s(self, name):
        if not name:
            return 0
        off = len(self.strings)
        self.strings += name.encode() + b'\0'
        return off

    def add(self, name, kind, vlen, size_or_type, extra=b'', kflag=0):
        info = (kflag << 31) | (kind << 24) | vlen
        self.types.append(struct.pack(self.e + 'III', self.s(name), info, size_or_type) + extra)
        return len(self.types)

    def int_(self, name, size):
        return self.add(name, INT, 0, size, struct.pack(self.e + 'I', size * 8))

    def struct_(self, name, size, members, kind=STRUCT, kflag=0):
        extra = b''.join(struct.pack(self.e + 'III', self.s(m), t, off) for m, t, off in members)
        return self.add(name, kind, len(members), size, extra, kflag)

    def blob(self, cut_types=0, type_off_extra=0):
        types = b''.join(self.types)
        if cut_types:
            types = types[:-cut_types]
        hdr = struct.pack(self.e + 'HBBIIIII', 0xeb9f, 1, 0, 24, type_off_extra, len(types), len(types), len(self.strings))
        return hdr + types + bytes(self.strings)


def kernel(b, bitfield=False, twice=False, no_func=False, flexible=True):
    """The types bpf_fds.cc wants, among others. Offsets are bits, as in BTF."""
    i32 = b.int_('int', 4)
    u32 = b.int_('unsigned int', 4)
    u16 = b.int_('unsigned short', 2)
    u64 = b.int_('long unsigned int', 8)
    pid_t = b.add('pid_t', TYPEDEF, 0, i32)
    umode = b.add('umode_t', TYPEDEF, 0, u16)
    b.add('', CONST, 0, u32)
    b.add('', VOLATILE, 0, u64)
    b.add('', RESTRICT, 0, u64)
    b.add('', TYPE_TAG, 0, u64)
    b.add('double', FLOAT, 0, 8)
    b.add('fs_kind', ENUM, 2, 4, struct.pack(b.e + 'Ii', b.s('A'), 0) + struct.pack(b.e + 'Ii', b.s('B'), 1))
    b.add('big', ENUM64, 1, 8, struct.pack(b.e + 'III', b.s('C'), 1, 2))
    fwd = b.add('mm_struct', FWD, 0, 0)
    # struct upid { int nr; struct pid_namespace *ns; } and struct pid { ...; unsigned int level; ...; struct upid numbers[]; }
    ns = b.add('pid_namespace', FWD, 0, 0)
    pns = b.add('', PTR, 0, ns)
    upid = b.struct_('upid', 16, [('nr', i32, 0), ('ns', pns, 64)])
    arr = b.add('', ARRAY, 0, 0, struct.pack(b.e + 'III', upid, u32, 0 if flexible else 1))
    pid = b.struct_('pid', 112, [('count', u32, 0), ('level', u32, 32), ('numbers', arr, 96 * 8)])
    ppid = b.add('', PTR, 0, pid)
    members = [('state', u32, 0), ('pid', pid_t, 1200 * 8), ('tgid', pid_t, 1204 * 8), ('thread_pid', ppid, 1400 * 8), ('mm', b.add('', PTR, 0, fwd), 64)]
    if bitfield:
        b.struct_('task_struct', 4096, [(m, t, (4 << 24) | off if m == 'tgid' else off) for m, t, off in members], kflag=1)
    else:
        b.struct_('task_struct', 4096, members)
    if twice:
        b.struct_('task_struct', 8, [('pid', pid_t, 0)])
    inode = b.struct_('inode', 600, [('i_mode', umode, 0), ('i_opflags', u16, 16), ('i_ino', u64, 64 * 8)])
    pinode = b.add('', PTR, 0, inode)
    anon = b.struct_('', 16, [('f_llist', u64, 0), ('f_inode', pinode, 64)], kind=UNION)
    b.struct_('file', 256, [('f_lock', u32, 0), ('', anon, 64 * 8)])
    proto = b.add('', FUNC_PROTO, 2, i32, struct.pack(b.e + 'II', b.s('meta'), u64) + struct.pack(b.e + 'II', b.s('task'), u64))
    if not no_func:
        b.add('bpf_iter_task_file', FUNC, 0, proto)
    var = b.add('jiffies', VAR, 0, u64, struct.pack(b.e + 'I', 1))
    b.add('.data', DATASEC, 1, 8, struct.pack(b.e + 'III', var, 0, 8))
    b.add('tag', DECL_TAG, 0, var, struct.pack(b.e + 'i', -1))
    return b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'btf')
    os.makedirs(out, exist_ok=True)
    seeds = {
        'kernel': kernel(Btf()).blob(),
        'kernel-fixed-array': kernel(Btf(), flexible=False).blob(),
        'bitfield': kernel(Btf(), bitfield=True).blob(),
        'twice': kernel(Btf(), twice=True).blob(),
        'no-func': kernel(Btf(), no_func=True).blob(),
        'big-endian': kernel(Btf('>')).blob(),
        'truncated-type': kernel(Btf()).blob(cut_types=5),
        'section-past-end': kernel(Btf()).blob(type_off_extra=64),
        'header-only': kernel(Btf()).blob()[:24],
        'empty': b'',
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
