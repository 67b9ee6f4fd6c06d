#include "bpf_fds.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "give_way.h"
#include "read.h"

namespace netsnap {
namespace {

// ---- BTF (include/uapi/linux/btf.h) ----

constexpr uint16_t kBtfMagic = 0xeb9f;
constexpr size_t kBtfHeader = 24;  // magic, version, flags, hdr_len, type_off/len, str_off/len
constexpr size_t kBtfType = 12;    // name_off, info, size or type

enum BtfKind : uint32_t {
  kInt = 1, kPtr = 2, kArray = 3, kStruct = 4, kUnion = 5, kEnum = 6, kFwd = 7, kTypedef = 8,
  kVolatile = 9, kConst = 10, kRestrict = 11, kFunc = 12, kFuncProto = 13, kVar = 14, kDatasec = 15,
  kFloat = 16, kDeclTag = 17, kTypeTag = 18, kEnum64 = 19,
};

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The types of a BTF blob, indexed by id (id 0 is void and has no record).
class Btf {
 public:
  bool parse(const uint8_t* data, size_t len, std::string* why) {
    if (len < kBtfHeader) return fail(why, "shorter than its header");
    uint16_t magic;
    std::memcpy(&magic, data, sizeof magic);
    if (magic != kBtfMagic) return fail(why, "bad magic (not BTF, or another byte order)");
    const uint32_t hdr_len = load_u32(data + 4);
    const uint32_t type_off = load_u32(data + 8), type_len = load_u32(data + 12);
    const uint32_t str_off = load_u32(data + 16), str_len = load_u32(data + 20);
    if (hdr_len < kBtfHeader || hdr_len > len) return fail(why, "bad header length");
    const uint64_t body = len - hdr_len;
    if (uint64_t{type_off} + type_len > body || uint64_t{str_off} + str_len > body) {
      return fail(why, "a section past the end");
    }
    types_ = data + hdr_len + type_off;
    types_len_ = type_len;
    strings_ = reinterpret_cast<const char*>(data + hdr_len + str_off);
    strings_len_ = str_len;
    start_.assign(1, 0);  // id 0: void
    size_t off = 0;
    while (off < types_len_) {
      if (types_len_ - off < kBtfType) return fail(why, "a truncated type");
      const uint32_t info = load_u32(types_ + off + 4);
      const uint32_t vlen = info & 0xffff;
      size_t extra = 0;
      switch (kind_of(info)) {
        case kInt: case kVar: case kDeclTag: extra = 4; break;
        case kArray: extra = 12; break;
        case kStruct: case kUnion: case kDatasec: case kEnum64: extra = size_t{vlen} * 12; break;
        case kEnum: case kFuncProto: extra = size_t{vlen} * 8; break;
        case kPtr: case kFwd: case kTypedef: case kVolatile: case kConst: case kRestrict: case kFunc:
        case kFloat: case kTypeTag: break;
        default: return fail(why, "a type of unknown kind");
      }
      if (types_len_ - off - kBtfType < extra) return fail(why, "a truncated type");
      start_.push_back(off);
      off += kBtfType + extra;
    }
    return true;
  }

  size_t count() const { return start_.size(); }
  static uint32_t kind_of(uint32_t info) { return (info >> 24) & 0x1f; }
  uint32_t info(uint32_t id) const { return load_u32(types_ + start_[id] + 4); }
  uint32_t kind(uint32_t id) const { return kind_of(info(id)); }
  uint32_t vlen(uint32_t id) const { return info(id) & 0xffff; }
  bool kflag(uint32_t id) const { return (info(id) >> 31) != 0; }
  uint32_t size_or_type(uint32_t id) const { return load_u32(types_ + start_[id] + 8); }
  const uint8_t* extra(uint32_t id) const { return types_ + start_[id] + kBtfType; }

  // The NUL-terminated string at `off` of the string section; false when it is not one.
  bool name_is(uint32_t off, const char* want) const {
    const size_t n = std::strlen(want);
    if (off >= strings_len_ || strings_len_ - off < n + 1) return false;
    return std::memcmp(strings_ + off, want, n) == 0 && strings_[off + n] == '\0';
  }
  bool named(uint32_t id, const char* want) const { return name_is(load_u32(types_ + start_[id]), want); }
  bool anonymous(uint32_t off) const { return off == 0; }

  // The type behind typedefs and qualifiers (at most 16 of them); 0 when there is none.
  uint32_t resolve(uint32_t id) const {
    for (int hops = 0; hops < 16; hops++) {
      if (id == 0 || id >= count()) return 0;
      const uint32_t k = kind(id);
      if (k != kTypedef && k != kVolatile && k != kConst && k != kRestrict && k != kTypeTag) return id;
      id = size_or_type(id);
    }
    return 0;
  }

  // Byte offset and type of member `name` of struct/union `id`, looking into anonymous struct and
  // union members (depth at most 8). False when absent or a bitfield.
  bool member(uint32_t id, const char* name, uint32_t* offset, uint32_t* type, int depth = 0) const {
    if (depth > 8 || id == 0 || id >= count()) return false;
    const uint32_t k = kind(id);
    if (k != kStruct && k != kUnion) return false;
    const uint8_t* m = extra(id);
    for (uint32_t i = 0; i < vlen(id); i++, m += 12) {
      const uint32_t name_off = load_u32(m), mtype = load_u32(m + 4), raw = load_u32(m + 8);
      const uint32_t bits = kflag(id) ? raw & 0xffffff : raw;
      const uint32_t bitfield = kflag(id) ? raw >> 24 : 0;
      if (anonymous(name_off)) {
        uint32_t inner = 0;
        if (member(resolve(mtype), name, &inner, type, depth + 1)) {
          if (bits % 8 != 0) return false;
          *offset = bits / 8 + inner;
          return true;
        }
        continue;
      }
      if (!name_is(name_off, name)) continue;
      if (bitfield != 0 || bits % 8 != 0) return false;
      *offset = bits / 8;
      *type = mtype;
      return true;
    }
    return false;
  }

  // Whether `id` is (behind typedefs) an integer of `bytes` bytes, or a pointer.
  bool is_int(uint32_t id, uint32_t bytes) const {
    const uint32_t r = resolve(id);
    return r != 0 && (kind(r) == kInt || kind(r) == kEnum) && size_or_type(r) == bytes;
  }
  bool is_array(uint32_t id) const {
    const uint32_t r = resolve(id);
    return r != 0 && kind(r) == kArray;
  }
  bool is_ptr(uint32_t id) const {
    const uint32_t r = resolve(id);
    return r != 0 && kind(r) == kPtr;
  }

 private:
  static bool fail(std::string* why, const char* what) {
    *why = std::string("kernel BTF: ") + what;
    return false;
  }
  const uint8_t* types_ = nullptr;
  size_t types_len_ = 0;
  const char* strings_ = nullptr;
  size_t strings_len_ = 0;
  std::vector<size_t> start_;
};

// ---- the program ----

// struct bpf_insn: opcode, dst and src registers (4 bits each), 16-bit offset, 32-bit immediate.
struct Insn {
  uint8_t code;
  uint8_t regs;
  int16_t off;
  int32_t imm;
};
static_assert(sizeof(Insn) == 8, "struct bpf_insn is 8 bytes");

constexpr Insn op(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return Insn{code, static_cast<uint8_t>(dst | (src << 4)), off, imm};
}
// Opcodes (include/uapi/linux/bpf_common.h, bpf.h).
constexpr uint8_t kLdxDw = 0x79, kLdxW = 0x61, kLdxH = 0x69;  // dst = *(size *)(src + off)
constexpr uint8_t kStxDw = 0x7b, kStxW = 0x63;                // *(size *)(dst + off) = src
constexpr uint8_t kMovReg = 0xbf, kMovImm = 0xb7, kAddReg = 0x0f, kAddImm = 0x07, kAndImm = 0x57, kMulImm = 0x27;
constexpr uint8_t kJeqImm = 0x15, kJneImm = 0x55, kJneReg = 0x5d, kJgtImm = 0x25;  // pc += off + 1 when taken
constexpr uint8_t kCall = 0x85, kExit = 0x95;
// Helpers (include/uapi/linux/bpf.h, ___BPF_FUNC_MAPPER order).
constexpr int32_t kProbeReadKernel = 113;  // long bpf_probe_read_kernel(void *dst, u32 size, const void *src)
constexpr int32_t kSeqWrite = 127;  // long bpf_seq_write(struct seq_file *m, const void *data, u32 len)
constexpr int32_t kGetCurrentTaskBtf = 158;  // struct task_struct *bpf_get_current_task_btf(void)

// struct bpf_iter__task_file, the program's context: meta, task, fd, file at 0, 8, 16, 24.
constexpr int16_t kCtxMeta = 0, kCtxTask = 8, kCtxFd = 16, kCtxFile = 24;
constexpr int32_t kIfmt = 0170000, kIfsock = 0140000;
constexpr size_t kRecord = 16;  // u32 pid, u32 fd, u64 inode

// The deepest pid namespace level there is (include/linux/pid_namespace.h MAX_PID_NS_LEVEL).
constexpr int32_t kMaxPidNsLevel = 32;

std::vector<Insn> program(const BtfLayout& l) {
  auto o16 = [](uint32_t v) { return static_cast<int16_t>(v); };
  // Registers: r6 ctx, r2 task, r3 file, r4 tgid, r5 pid, r7 inode, r8 mode, then the task's struct
  // pid, r9 ino. Jumps to `out` (the last two instructions) are patched below; `out` marks them.
  constexpr int16_t kOut = 0x7fff;
  std::vector<Insn> p = {
      op(kMovReg, 6, 1, 0, 0),
      op(kLdxDw, 2, 6, kCtxTask, 0),
      op(kJeqImm, 2, 0, kOut, 0),  // task == NULL
      op(kLdxDw, 3, 6, kCtxFile, 0),
      op(kJeqImm, 3, 0, kOut, 0),  // file == NULL
      op(kLdxW, 4, 2, o16(l.task_tgid), 0),
      op(kLdxW, 5, 2, o16(l.task_pid), 0),
      op(kJneReg, 4, 5, kOut, 0),  // not the thread-group leader: /proc/PID/fd is the leader's table
      op(kLdxDw, 7, 3, o16(l.file_inode), 0),
      op(kJeqImm, 7, 0, kOut, 0),  // no inode
      op(kLdxH, 8, 7, o16(l.inode_mode), 0),
      op(kAndImm, 8, 0, 0, kIfmt),
      op(kJneImm, 8, 0, kOut, kIfsock),  // not a socket
      op(kLdxDw, 9, 7, o16(l.inode_ino), 0),
      op(kStxDw, 10, 9, -8, 0),  // record: inode
      op(kLdxW, 0, 6, kCtxFd, 0),
      op(kStxW, 10, 0, -12, 0),  // record: fd
      // The leader's pid as this process's namespace numbers it: thread_pid->numbers[L].nr, where L
      // is the level of the namespace this process lives in (its own struct pid's level). The
      // iterator visits only tasks of that namespace or below, so each has a number at level L.
      op(kLdxDw, 8, 2, o16(l.task_thread_pid), 0),
      op(kJeqImm, 8, 0, kOut, 0),
      op(kCall, 0, 0, 0, kGetCurrentTaskBtf),
      op(kLdxDw, 1, 0, o16(l.task_thread_pid), 0),
      op(kJeqImm, 1, 0, kOut, 0),
      op(kLdxW, 1, 1, o16(l.pid_level), 0),
      op(kJgtImm, 1, 0, kOut, kMaxPidNsLevel),
      op(kMulImm, 1, 0, 0, static_cast<int32_t>(l.upid_size)),
      op(kAddImm, 1, 0, 0, static_cast<int32_t>(l.pid_numbers + l.upid_nr)),
      op(kMovReg, 3, 8, 0, 0),
      op(kAddReg, 3, 1, 0, 0),
      op(kMovReg, 1, 10, 0, 0),
      op(kAddImm, 1, 0, 0, -16),
      op(kMovImm, 2, 0, 0, 4),
      op(kCall, 0, 0, 0, kProbeReadKernel),  // record: pid
      op(kJneImm, 0, 0, kOut, 0),
      op(kLdxDw, 1, 6, kCtxMeta, 0),
      op(kLdxDw, 1, 1, 0, 0),  // meta->seq
      op(kMovReg, 2, 10, 0, 0),
      op(kAddImm, 2, 0, 0, -16),
      op(kMovImm, 3, 0, 0, static_cast<int32_t>(kRecord)),
      op(kCall, 0, 0, 0, kSeqWrite),
      op(kMovImm, 0, 0, 0, 0),  // out
      op(kExit, 0, 0, 0, 0),
  };
  const int out = static_cast<int>(p.size()) - 2;
  for (int at = 0; at < out; at++) {
    if (p[at].off == kOut && (p[at].code & 0x07) == 0x05) p[at].off = static_cast<int16_t>(out - at - 1);
  }
  return p;
}

// ---- bpf(2) ----

// The leading fields of union bpf_attr for the three commands used (include/uapi/linux/bpf.h);
// the kernel takes a shorter attr as zero-filled.
struct ProgLoadAttr {
  uint32_t prog_type, insn_cnt;
  uint64_t insns, license;
  uint32_t log_level, log_size;
  uint64_t log_buf;
  uint32_t kern_version, prog_flags;
  char prog_name[16];
  uint32_t prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
  uint64_t func_info;
  uint32_t func_info_cnt, line_info_rec_size;
  uint64_t line_info;
  uint32_t line_info_cnt, attach_btf_id, attach_btf_obj_fd, core_relo_cnt;
};
static_assert(offsetof(ProgLoadAttr, attach_btf_id) == 108, "bpf_attr.attach_btf_id");
struct LinkCreateAttr {
  uint32_t prog_fd, target_fd, attach_type, flags;
  uint64_t iter_info;
  uint32_t iter_info_len, pad;
};
struct IterCreateAttr {
  uint32_t link_fd, flags;
};
constexpr int kProgLoad = 5, kLinkCreate = 28, kIterCreate = 33;
constexpr uint32_t kProgTypeTracing = 26, kTraceIter = 28;

template <typename Attr>
int sys_bpf(int cmd, Attr* attr) {
  long r;
  do {
    r = syscall(SYS_bpf, cmd, attr, sizeof *attr);
  } while (r < 0 && errno == EINTR);
  return static_cast<int>(r);
}

// The program's one load per process: `status` is written once, under `mu`, with `err`, `why` and
// `link_fd`; read without the lock by bpf_loaded() and bpf_may_work().
struct Iterator {
  enum Status { kUntried, kLoaded, kFailed };
  std::mutex mu;
  std::atomic<int> status{kUntried};
  int err = 0;
  std::string why;
  int link_fd = -1;
  std::atomic<uint64_t> reads{0};
};

std::atomic<int> g_source{static_cast<int>(OwnerSource::kAuto)};

constexpr const char* kVmlinuxBtf = "/sys/kernel/btf/vmlinux";

Iterator& iterator() {
  static Iterator* it = new Iterator();  // never destroyed: the link lives as long as the process
  return *it;
}

// The kernel's BTF's layout: mapped where sysfs allows it (Linux 6.16+: the kernel's own pages, no
// copy, no 4 KiB reads), else read into a buffer of the size sysfs reports (one byte more, to see the
// end), so that read_whole_file() reads the few MiB in place instead of doubling its way up from
// 64 KiB. Only sysfs's file is mapped: a file anyone could truncate would fault (SIGBUS) mid-parse.
// 0 or an errno with *why.
int kernel_btf_layout(BtfLayout* layout, std::string* why) {
  const int fd = open(kVmlinuxBtf, O_RDONLY | O_CLOEXEC);
  struct stat st;
  struct statfs fs;
  int err = fd < 0 ? errno : fstat(fd, &st) != 0 ? errno : 0;
  if (err == 0 && (st.st_size <= 0 || st.st_size >= (256 << 20))) err = EFBIG;
  if (err == 0 && fstatfs(fd, &fs) == 0 && fs.f_type == SYSFS_MAGIC) {
    const size_t len = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      close(fd);
      const bool ok = btf_find_layout(static_cast<const uint8_t*>(map), len, layout, why);
      munmap(map, len);
      return ok ? 0 : ENOTSUP;
    }
  }
  if (fd >= 0) close(fd);
  std::vector<uint8_t> scratch;
  if (err == 0) scratch.resize(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  if (err == 0) err = read_whole_file(AT_FDCWD, kVmlinuxBtf, scratch, &used);
  if (err != 0) {
    *why = std::string("cannot read ") + kVmlinuxBtf + ": " + std::strerror(err);
    return err;
  }
  return btf_find_layout(scratch.data(), used, layout, why) ? 0 : ENOTSUP;
}

// Loads the program and makes its link; 0 or an errno with *why.
int load(int* link_fd, std::string* why) {
  BtfLayout layout;
  int err = kernel_btf_layout(&layout, why);
  if (err != 0) return err;

  const std::vector<Insn> prog = program(layout);
  static const char kLicense[] = "Dual BSD/GPL";  // bpf_seq_write is for GPL-compatible programs
  ProgLoadAttr load{};
  load.prog_type = kProgTypeTracing;
  load.expected_attach_type = kTraceIter;
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.insns = reinterpret_cast<uintptr_t>(prog.data());
  load.license = reinterpret_cast<uintptr_t>(kLicense);
  load.attach_btf_id = layout.iter_func_id;
  std::memcpy(load.prog_name, "netsnap_fds", sizeof "netsnap_fds");
  int prog_fd = sys_bpf(kProgLoad, &load);
  if (prog_fd < 0) {
    err = errno;
    // Again with the verifier's log, for its last line.
    std::vector<char> log(16 * 1024);
    load.log_level = 1;
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_buf = reinterpret_cast<uintptr_t>(log.data());
    const int again = sys_bpf(kProgLoad, &load);
    if (again >= 0) close(again);
    log.back() = '\0';
    std::string text(log.data());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const size_t nl = text.rfind('\n');
    *why = std::string("cannot load the task_file iterator: ") + std::strerror(err) +
           (text.empty() ? "" : " (" + text.substr(nl == std::string::npos ? 0 : nl + 1) + ")");
    return err;
  }
  LinkCreateAttr link{};
  link.prog_fd = static_cast<uint32_t>(prog_fd);
  link.attach_type = kTraceIter;
  const int lfd = sys_bpf(kLinkCreate, &link);
  err = errno;
  close(prog_fd);  // the link holds the program
  if (lfd < 0) {
    *why = std::string("cannot attach the task_file iterator: ") + std::strerror(err);
    return err;
  }
  *link_fd = lfd;
  return 0;
}

}  // namespace

bool btf_find_layout(const uint8_t* data, size_t len, BtfLayout* out, std::string* why) {
  Btf btf;
  if (!btf.parse(data, len, why)) return false;
  BtfLayout l;
  // One pass for the four names. vmlinux BTF is deduplicated: a second STRUCT of one of these
  // names would be a BTF this code does not understand.
  const char* const kStructs[] = {"task_struct", "file", "inode", "pid", "upid"};
  constexpr int kNames = 5;
  uint32_t structs[kNames] = {};
  bool twice = false;
  for (uint32_t id = 1; id < btf.count(); id++) {
    const uint32_t k = btf.kind(id);
    if (k == kFunc && l.iter_func_id == 0 && btf.named(id, "bpf_iter_task_file")) l.iter_func_id = id;
    if (k != kStruct) continue;
    for (int i = 0; i < kNames; i++) {
      if (!btf.named(id, kStructs[i])) continue;
      twice = twice || structs[i] != 0;
      structs[i] = id;
    }
  }
  if (l.iter_func_id == 0) {
    *why = "kernel BTF: no bpf_iter_task_file (a kernel before 5.8, or without BPF iterators)";
    return false;
  }
  if (twice) {
    *why = "kernel BTF: task_struct, file, inode, pid or upid defined twice";
    return false;
  }
  struct Want {
    int type;  // index into kStructs
    const char* field;
    uint32_t* offset;
    int bytes;  // integer size, 0 for a pointer, -1 for an array (numbers[] is read with
                // bpf_probe_read_kernel, so its declared length does not matter: older kernels
                // declare numbers[1])
  };
  const Want wants[] = {
      {0, "tgid", &l.task_tgid, 4},       {0, "pid", &l.task_pid, 4},     {0, "thread_pid", &l.task_thread_pid, 0},
      {1, "f_inode", &l.file_inode, 0},   {2, "i_mode", &l.inode_mode, 2}, {2, "i_ino", &l.inode_ino, 8},
      {3, "level", &l.pid_level, 4},      {3, "numbers", &l.pid_numbers, -1}, {4, "nr", &l.upid_nr, 4},
  };
  for (const Want& w : wants) {
    uint32_t type = 0;
    // Offsets go into the instructions' 16-bit signed offset field, loads of up to 8 bytes.
    if (!btf.member(structs[w.type], w.field, w.offset, &type) ||
        !(w.bytes == 0 ? btf.is_ptr(type) : w.bytes < 0 ? btf.is_array(type) : btf.is_int(type, static_cast<uint32_t>(w.bytes))) ||
        *w.offset > 0x7fff - 8) {
      *why = std::string("kernel BTF: no usable ") + kStructs[w.type] + "." + w.field;
      return false;
    }
  }
  // struct upid's size: numbers[L] for L up to kMaxPidNsLevel stays within what a 32-bit immediate holds.
  l.upid_size = btf.size_or_type(structs[4]);
  if (l.upid_size < l.upid_nr + 4 || l.upid_size > 4096) {
    *why = "kernel BTF: struct upid of an unexpected size";
    return false;
  }
  *out = l;
  return true;
}

bool parse_socket_fd_records(const uint8_t* data, size_t len, std::vector<SocketFd>* out) {
  if (len % kRecord != 0) return false;
  for (size_t off = 0; off < len; off += kRecord) {
    uint32_t pid, fd;
    uint64_t inode;
    std::memcpy(&pid, data + off, 4);
    std::memcpy(&fd, data + off + 4, 4);
    std::memcpy(&inode, data + off + 8, 8);
    out->push_back(SocketFd{static_cast<int32_t>(pid), static_cast<int32_t>(fd), inode});
  }
  return true;
}

int bpf_socket_fds(std::vector<SocketFd>* out, std::string* why) {
  Iterator& it = iterator();
  int link_fd;
  {
    std::lock_guard<std::mutex> lock(it.mu);
    if (it.status.load() == Iterator::kUntried) {
      it.err = load(&it.link_fd, &it.why);
      it.status.store(it.err == 0 ? Iterator::kLoaded : Iterator::kFailed);
    }
    if (it.err != 0) {
      *why = it.why;
      return it.err;
    }
    link_fd = it.link_fd;
  }
  IterCreateAttr create{};
  create.link_fd = static_cast<uint32_t>(link_fd);
  const int fd = sys_bpf(kIterCreate, &create);
  if (fd < 0) {
    const int err = errno;
    *why = std::string("cannot open the task_file iterator: ") + std::strerror(err);
    return err;
  }
  // Whole records only reach *out; a read may end mid-record, so bytes carry over.
  std::vector<uint8_t> buf(64 * 1024);
  size_t have = 0;
  for (;;) {
    give_way();
    const ssize_t n = read(fd, buf.data() + have, buf.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      *why = std::string("reading the task_file iterator: ") + std::strerror(err);
      return err;
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
    const size_t whole = have - have % kRecord;
    parse_socket_fd_records(buf.data(), whole, out);
    std::memmove(buf.data(), buf.data() + whole, have - whole);
    have -= whole;
  }
  close(fd);
  if (have != 0) {
    *why = "the task_file iterator ended mid-record";
    return EIO;
  }
  it.reads.fetch_add(1);
  return 0;
}

void set_owner_source(OwnerSource source) { g_source.store(static_cast<int>(source)); }
OwnerSource owner_source() { return static_cast<OwnerSource>(g_source.load()); }

bool bpf_loaded() { return iterator().status.load() == Iterator::kLoaded; }

bool bpf_may_work() {
  const int status = iterator().status.load();
  if (status != Iterator::kUntried) return status == Iterator::kLoaded;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  auto has = [&](unsigned cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
  constexpr unsigned kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
  if (!has(kCapSysAdmin) && !(has(kCapBpf) && has(kCapPerfmon))) return false;
  return access(kVmlinuxBtf, R_OK) == 0;
}

bool own_procfs(int root_fd) {
  // That procfs's "self" is this process, and its status there has one NSpid number: a procfs of
  // an ancestor namespace would list this process's number in each namespace down to its own.
  char link[32];
  const ssize_t n = readlinkat(root_fd, "self", link, sizeof link - 1);
  if (n <= 0) return false;
  link[n] = '\0';
  char own[16];
  std::snprintf(own, sizeof own, "%d", static_cast<int>(getpid()));
  if (std::strcmp(link, own) != 0) return false;
  std::vector<uint8_t> status;
  size_t used = 0;
  if (read_whole_file(root_fd, "self/status", status, &used) != 0) return false;
  const std::string text(reinterpret_cast<const char*>(status.data()), used);
  const size_t at = text.find("\nNSpid:");
  if (at == std::string::npos) return false;
  const size_t end = text.find('\n', at + 1);
  const std::string line = text.substr(at + 8, end == std::string::npos ? std::string::npos : end - at - 8);
  // "\t<pid>" and nothing else.
  size_t k = 0;
  while (k < line.size() && (line[k] == '\t' || line[k] == ' ')) k++;
  return line.compare(k, std::string::npos, own) == 0;
}

BpfState bpf_state() {
  Iterator& it = iterator();
  BpfState s;
  std::lock_guard<std::mutex> lock(it.mu);
  s.tried = it.status.load() != Iterator::kUntried;
  if (it.err != 0) s.error = it.why;
  s.reads = it.reads.load();
  return s;
}

}  // namespace netsnap
