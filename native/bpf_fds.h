// Every socket fd of every process in one pass of the kernel's BPF task_file iterator: what the
// /proc/PID/fd scan of owners.h finds, without a directory listing and a readlink per fd. Pure C++
// (no Node-API). Needs a kernel with BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF) and the
// right to load tracing programs (CAP_BPF and CAP_PERFMON, or root); anything less makes
// bpf_socket_fds() fail with a reason, and the caller scans /proc as before.
//
// The program is about forty instructions written here, not compiled: it reads fields of kernel
// structures (task_struct.tgid, .pid and .thread_pid, file.f_inode, inode.i_mode and .i_ino,
// pid.level and .numbers[], upid.nr) at offsets this file finds in the running kernel's BTF, which
// is what CO-RE relocation would do. It needs Linux 5.11 or later (bpf_get_current_task_btf).
#ifndef NETSNAP_BPF_FDS_H_
#define NETSNAP_BPF_FDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netsnap {

// What the program needs from the kernel's BTF: byte offsets of the fields it reads, and the type
// id of the iterator's target function.
struct BtfLayout {
  uint32_t iter_func_id = 0;  // FUNC "bpf_iter_task_file"
  uint32_t task_tgid = 0, task_pid = 0;  // struct task_struct: pid_t each
  uint32_t file_inode = 0;  // struct file: struct inode *f_inode
  uint32_t inode_mode = 0, inode_ino = 0;  // struct inode: umode_t i_mode, unsigned long i_ino
  uint32_t task_thread_pid = 0;  // struct task_struct: struct pid *thread_pid
  uint32_t pid_level = 0, pid_numbers = 0;  // struct pid: unsigned int level; struct upid numbers[]
  uint32_t upid_size = 0, upid_nr = 0;  // struct upid: its size, and int nr
};

// Finds the layout in a raw BTF blob (the bytes of /sys/kernel/btf/vmlinux). Every offset and
// count in `data` is checked against `len`; a blob that is malformed, of another byte order, or
// lacks one of the names (or has it with an unexpected size) gives false and a reason in `*why`.
bool btf_find_layout(const uint8_t* data, size_t len, BtfLayout* out, std::string* why);

// One socket fd: the thread-group leader's pid in this process's pid namespace (as its /proc lists
// it), the fd, the socket's inode.
struct SocketFd {
  int32_t pid;
  int32_t fd;
  uint64_t inode;
};

// Appends every socket fd held by a thread-group leader of this process's pid namespace (or one
// below it) to *out (in the kernel's order: by pid, then fd). Threads that unshared their fd table are left out, as /proc/PID/fd leaves them out.
// The program and its link are made once per process and kept; each call opens a new iterator.
// Returns 0, or an errno with `*why` saying which step failed (the first failure to load is kept:
// later calls fail at once with the same reason). Thread-safe.
int bpf_socket_fds(std::vector<SocketFd>* out, std::string* why);

// Whether the owner scan uses the iterator: kAuto (the default: when the scan is big enough to
// repay loading it, see kBpfMinFds of owners.h), kBpf (whenever it can) or kProc (never). Set by
// setOwnerSource() and NETSNAP_OWNER_SOURCE=auto|bpf|proc (src/backends/native.ts).
enum class OwnerSource { kAuto, kBpf, kProc };
void set_owner_source(OwnerSource source);
OwnerSource owner_source();

// Cheap checks before trying: this process has CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) in its
// effective set, the kernel has BTF, and no earlier attempt to load failed.
bool bpf_may_work();
// Whether the program is loaded (an earlier scan loaded it).
bool bpf_loaded();
// Whether `root_fd` is the procfs of this process's own pid namespace (its "self" is this
// process, whose NSpid there has one number): the iterator reports pids as that namespace numbers
// them, and visits the processes it holds.
bool own_procfs(int root_fd);

// The iterator's state for ownerSource(): whether it was tried, its failure (empty when it loaded
// or was not tried), and how many reads of it succeeded.
struct BpfState {
  bool tried = false;
  std::string error;
  uint64_t reads = 0;
};
BpfState bpf_state();

// Parses the iterator's output: records of 16 bytes (u32 pid, u32 fd, u64 inode, host order).
// False when `len` is not a whole number of records.
bool parse_socket_fd_records(const uint8_t* data, size_t len, std::vector<SocketFd>* out);

}  // namespace netsnap

#endif  // NETSNAP_BPF_FDS_H_
