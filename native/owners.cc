#include "owners.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_fds.h"
#include "fd_link.h"
#include "parallel.h"
#include "proc_pid.h"
#include "read.h"
#include "scan.h"

namespace netsnap {
namespace {

constexpr uint64_t kPidMax = 0x7fffffff;

// A directory entry name that passed is_small_number(): at most 10 digits, kept as text to
// build paths from.
using NumberName = OwnerScan::PidName;

// isPidName()/isFdName() of src/owners/proc_pid.ts: 1..10 decimal digits, no leading zero (the
// kernel never writes one, and "007" would name pid 7 twice), value <= 0x7fffffff.
bool is_small_number(const char* name, size_t len, NumberName* out) {
  if (len == 0 || len > 10 || (name[0] == '0' && len > 1)) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kPidMax) return false;
  std::memcpy(out->text, name, len);
  out->text[len] = '\0';
  out->value = static_cast<int32_t>(v);
  return true;
}

// Offsets in a getdents64 record (struct linux_dirent64): u64 d_ino, s64 d_off, u16 d_reclen,
// u8 d_type, then the NUL-terminated name.
constexpr size_t kReclenOffset = 16;
constexpr size_t kNameOffset = 19;

// Calls on_name(name, length) for every entry of the open directory `dir_fd`, until it returns
// false (then stops, and returns 0). Returns 0 or
// the errno that stopped the listing; names already delivered then belong to an incomplete
// listing, which callers discard (Node's readdirSync throws away everything in that case).
// `buf` is the caller's reusable record buffer and must not be empty.
template <typename OnName>
int for_each_name(int dir_fd, std::vector<uint8_t>& buf, OnName&& on_name) {
  for (;;) {
    const long n = syscall(SYS_getdents64, dir_fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    const size_t got = static_cast<size_t>(n);
    if (got > buf.size()) return EIO;  // the kernel never does this; do not trust it either
    size_t off = 0;
    while (off < got) {
      if (got - off < kNameOffset) return EIO;
      uint16_t reclen;
      std::memcpy(&reclen, buf.data() + off + kReclenOffset, sizeof reclen);
      if (reclen <= kNameOffset || reclen > got - off) return EIO;
      const char* name = reinterpret_cast<const char*>(buf.data() + off + kNameOffset);
      if (!on_name(name, strnlen(name, reclen - kNameOffset))) return 0;
      off += reclen;
    }
  }
}

bool is_denied(int err) { return err == EACCES || err == EPERM; }

// First `max` bytes of dir_fd/path, read whole like head() in owners.ts so that a file that
// fails part-way gives nothing rather than a prefix. Empty when unreadable.
size_t head(int dir_fd, const char* path, size_t max, std::vector<uint8_t>& scratch) {
  size_t used = 0;
  if (read_whole_file(dir_fd, path, scratch, &used) != 0) return 0;
  return std::min(used, max);
}

// Appends [bytes, bytes + len) to the string pool and returns where it starts. Offsets and
// lengths are Uint32 columns; they wrap like the JS typed-array stores would.
uint32_t append(std::vector<uint8_t>& pool, const uint8_t* bytes, size_t len) {
  const size_t start = pool.size();
  pool.insert(pool.end(), bytes, bytes + len);
  return static_cast<uint32_t>(start);
}

// Bytes of getdents64 records per call on a /proc/PID/fd directory: about 170 fds. Each listed fd
// is read (readlinkat) before the next call, while the dentries and inodes that procfs made for the
// listing are still in the CPU's caches. Listing a 16,000-fd directory whole before reading its
// links (as this scan did until 2026-12-03) made the kernel's work per fd grow with the directory:
// bench/RESULTS-scale.md, round ten, has the owner scan before and after.
constexpr size_t kFdDents = 4096;

}  // namespace

struct alignas(64) OwnerScan::Worker {
  struct Entry {
    double inode;
    int32_t pid;
    int32_t fd;
  };
  // An owning process; name and comm are ranges of this worker's `strings`.
  struct Proc {
    int32_t pid;
    uint32_t part;  // which part of the pid read it (several parts may, see finish())
    uint32_t uid;
    size_t name_start, name_len, comm_start, comm_len;
  };
  // getdents64 records of one fd directory at a time (kFdDents bytes: see run_task).
  std::vector<uint8_t> dents = std::vector<uint8_t>(kFdDents);
  std::vector<Entry> found;
  bool sorted = false;
  std::vector<Proc> procs;
  std::vector<uint8_t> strings;
  uint64_t scanned = 0, vanished = 0, denied = 0;
};

namespace {

bool entry_less(const OwnerScan::Worker::Entry& a, const OwnerScan::Worker::Entry& b) {
  if (a.inode != b.inode) return a.inode < b.inode;
  if (a.pid != b.pid) return a.pid < b.pid;
  return a.fd < b.fd;
}

// Sorts a worker's entries by entry_less. The BPF iterator lists them in (pid, fd) order (processes
// by pid, each one's fds in order): then a stable radix sort on the inode alone gives that order, in
// a few linear passes of 11 bits (socket inodes come from one counter, so their span is narrow)
// instead of some seventeen comparisons per entry. Any other order, or a span past 44 bits: std::sort.
void sort_entries(std::vector<OwnerScan::Worker::Entry>& v) {
  using Entry = OwnerScan::Worker::Entry;
  constexpr size_t kRadixMin = 1024;
  const size_t n = v.size();
  bool pid_fd_order = n >= kRadixMin;
  double lo = n > 0 ? v[0].inode : 0, hi = lo;
  for (size_t i = 1; i < n && pid_fd_order; i++) {
    const Entry& a = v[i - 1];
    const Entry& b = v[i];
    if (a.pid > b.pid || (a.pid == b.pid && a.fd >= b.fd)) pid_fd_order = false;
    lo = std::min(lo, b.inode);
    hi = std::max(hi, b.inode);
  }
  // Entries hold whole inodes in [0, 2^53) (kInodeMax): the cast is exact.
  const uint64_t span = pid_fd_order ? static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) : 0;
  const unsigned bits = span == 0 ? 0 : 64u - static_cast<unsigned>(__builtin_clzll(span));
  if (!pid_fd_order || bits > 44) {
    std::sort(v.begin(), v.end(), entry_less);
    return;
  }
  constexpr unsigned kDigit = 11;
  const uint64_t base = static_cast<uint64_t>(lo);
  std::vector<Entry> into(n);
  for (unsigned shift = 0; shift < bits; shift += kDigit) {
    size_t at[(1u << kDigit) + 1] = {};
    for (const Entry& e : v) at[((static_cast<uint64_t>(e.inode) - base) >> shift & ((1u << kDigit) - 1)) + 1]++;
    for (size_t d = 1; d <= (1u << kDigit); d++) at[d] += at[d - 1];
    for (const Entry& e : v) into[at[(static_cast<uint64_t>(e.inode) - base) >> shift & ((1u << kDigit) - 1)]++] = e;
    v.swap(into);
  }
}

}  // namespace

OwnerScan::~OwnerScan() {
  if (root_fd_ >= 0) close(root_fd_);
  for (Worker* w : workers_) delete w;
}

void OwnerScan::begin(const std::string& proc_root, bool allow_bpf) {
  // Node rejects such a path before readdir; owners.ts then scans nothing.
  if (has_nul(proc_root)) return;
  do {
    root_fd_ = open(proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (root_fd_ < 0 && errno == EINTR);
  if (root_fd_ < 0) return;
  // The whole listing first, as readdirSync does: a listing that fails part-way counts as
  // no listing at all.
  std::vector<uint8_t> dents(32 * 1024);
  const int list_err = for_each_name(root_fd_, dents, [&](const char* name, size_t len) {
    NumberName nn;
    if (is_small_number(name, len, &nn)) pids_.push_back(nn);
    return true;
  });
  if (list_err != 0) pids_.clear();
  tasks_.resize(pids_.size());
  for (size_t i = 0; i < tasks_.size(); i++) tasks_[i] = Task{static_cast<uint32_t>(i), 0, 0, kNoLimit, 0};
  struct statfs sf;
  on_procfs_ = fstatfs(root_fd_, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
  // The kernel's task_file iterator instead of a readlink per fd: on the live /proc of this
  // process's pid namespace when the program is loaded already or may load, and (unless
  // setOwnerSource('bpf') said to use it always) the scan is big enough to repay loading it (see
  // kBpfMinFds; measure() is 0 on kernels before 6.2, which do not count fds).
  const OwnerSource source = owner_source();
  if (allow_bpf && on_procfs_ && !pids_.empty() && source != OwnerSource::kProc && bpf_may_work() && own_procfs(root_fd_) &&
      (source == OwnerSource::kBpf || bpf_loaded() || measure() == 0 || measure() >= kBpfMinFds)) {
    bpf_ = true;
    tasks_.assign(1, Task{0, 0, 0, kNoLimit, 0});
  }
}

uint64_t OwnerScan::measure() {
  if (bpf_) return 0;
  if (measured_) return fd_total_;
  measured_ = true;
  for (Task& t : tasks_) {
    char path[32];
    std::snprintf(path, sizeof path, "%s/fd", pids_[t.pid].text);
    struct stat st;
    if (fstatat(root_fd_, path, &st, 0) == 0 && st.st_size > 0) t.fds = static_cast<uint64_t>(st.st_size);
    fd_total_ += t.fds;
  }
  return fd_total_;
}

void OwnerScan::balance(unsigned workers) {
  measure();
  if (on_procfs_ && workers > 1) {
    // Processes much bigger than a fair share in fd-number ranges, so that one server holding
    // most sockets still spreads over the workers. Only those: two workers in one process
    // contend for its locks (a few percent more CPU per fd), so processes of moderate size stay
    // whole. A part is a quarter of a worker's fair share (or part_fds_ when set), at least
    // kPartFds. The fd table is mostly dense, so [0, fds) is cut evenly and the last part takes
    // everything above. /proc/PID/fd lists fds in ascending order at directory offset fd + 2,
    // so a part seeks to its range and stops past it.
    uint64_t part = part_fds_;
    if (part == 0) {
      part = fd_total_ / (uint64_t{workers} * 4);
      if (part < kPartFds) part = kPartFds;
    }
    const size_t whole = tasks_.size();
    for (size_t i = 0; i < whole; i++) {
      const uint64_t fds = tasks_[i].fds;
      if (fds <= part) continue;
      uint64_t parts = (fds + part - 1) / part;
      if (parts > kMaxParts) parts = kMaxParts;
      const uint64_t step = (fds + parts - 1) / parts;
      tasks_[i].hi = static_cast<int64_t>(step);
      tasks_[i].fds = step;
      for (uint64_t k = 1; k < parts; k++) {
        const int64_t lo = static_cast<int64_t>(k * step);
        if (lo > static_cast<int64_t>(kPidMax)) break;
        const int64_t hi = k + 1 == parts ? kNoLimit : static_cast<int64_t>((k + 1) * step);
        tasks_.push_back(Task{tasks_[i].pid, static_cast<uint32_t>(k), lo, hi, step});
      }
    }
  }
  // Longest first; equal sizes keep listing order (parts of one pid in fd order).
  std::stable_sort(tasks_.begin(), tasks_.end(), [](const Task& a, const Task& b) { return a.fds > b.fds; });
}

void OwnerScan::prepare(unsigned workers) {
  while (workers_.size() < workers) workers_.push_back(new Worker());
}

unsigned OwnerScan::plan(unsigned threads, size_t other_tasks) {
  if (threads > kMaxThreads) threads = kMaxThreads;
  if (threads > 1 && tasks() > 0 && !bpf_) balance(threads);  // may cut big pids into parts
  const size_t all_tasks = other_tasks + tasks();
  if (threads > all_tasks) threads = static_cast<unsigned>(all_tasks);
  if (threads < 1) threads = 1;
  prepare(threads);
  return threads;
}

void OwnerScan::run_task(size_t i, unsigned worker, std::vector<uint8_t>& scratch) {
  if (bpf_) run_bpf(worker, scratch);
  else scan_pid(tasks_[i], worker, scratch);
}

void OwnerScan::run_bpf(unsigned worker, std::vector<uint8_t>& scratch) {
  Worker& k = *workers_[worker];
  std::vector<SocketFd> fds;
  std::string why;
  if (bpf_socket_fds(&fds, &why) != 0) {
    // Cannot load or read here (a kernel without the iterator, a lockdown, a seccomp filter): this
    // one scan goes through /proc on this worker; the failure is kept, so the next ones plan for
    // /proc from the start.
    for (size_t p = 0; p < pids_.size(); p++) scan_pid(Task{static_cast<uint32_t>(p), 0, 0, kNoLimit, 0}, worker, scratch);
    return;
  }
  // Every listed pid counts as scanned, as a /proc scan that found each fd directory would count it.
  k.scanned += pids_.size();
  const size_t mark = k.found.size();
  for (const SocketFd& s : fds) {
    // The same bound as parse_socket_link(): an inode past 2^53 - 1 is not exact as a double.
    if (s.inode > kInodeMax || s.pid <= 0 || s.fd < 0) continue;
    const double inode = static_cast<double>(s.inode);
    if (keep_ != nullptr && !std::binary_search(keep_->begin(), keep_->end(), inode)) continue;
    k.found.push_back(Worker::Entry{inode, s.pid, s.fd});
  }
  std::vector<int32_t> owners;
  for (size_t e = mark; e < k.found.size(); e++) owners.push_back(k.found[e].pid);
  std::sort(owners.begin(), owners.end());
  owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
  for (const int32_t pid : owners) read_process(pid, 0, k, scratch);
}

void OwnerScan::scan_pid(const Task& task, unsigned worker, std::vector<uint8_t>& scratch) {
  Worker& k = *workers_[worker];
  const NumberName& p = pids_[task.pid];
  // Part 0 of a pid (the whole pid, unless balance() cut it) counts it as scanned, vanished or
  // denied; the other parts only add the entries of their fd range.
  const bool counts = task.part == 0;
  char path[32];
  std::snprintf(path, sizeof path, "%s/fd", p.text);  // at most 10 digits + "/fd"
  int fd_dir;
  do {
    fd_dir = openat(root_fd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd_dir < 0 && errno == EINTR);
  if (fd_dir < 0) {
    // Anything but a permission error means the process is gone (or never had fds).
    if (counts && is_denied(errno)) k.denied++;
    else if (counts) k.vanished++;
    return;
  }
  // Only parts on procfs have a range (see balance()); if the seek fails, the filter below
  // still keeps exactly the range, from a full listing.
  if (task.lo > 0) lseek(fd_dir, static_cast<off_t>(task.lo) + 2, SEEK_SET);
  const bool ranged = task.lo > 0 || task.hi != kNoLimit;
  // Each fd's link is read as its batch of the listing comes (kFdDents). A listing that fails
  // part-way still counts as no listing at all, as readdirSync's does: what it found is dropped.
  const size_t mark = k.found.size();
  const int err = for_each_name(fd_dir, k.dents, [&](const char* name, size_t len) {
    NumberName nn;
    if (!is_small_number(name, len, &nn)) return true;
    if (ranged && (nn.value < task.lo || nn.value >= task.hi)) return nn.value < task.hi;  // ascending
    // Socket link targets are at most 25 bytes ("socket:[" + 16 digits + "]"); a target
    // that fills the buffer is longer than that and could not parse anyway.
    uint8_t link[256];
    const ssize_t n = readlinkat(fd_dir, nn.text, reinterpret_cast<char*>(link), sizeof link);
    if (n < 0 || static_cast<size_t>(n) >= sizeof link) return true;  // closed, or not a link
    const double inode = parse_socket_link(link, static_cast<size_t>(n));
    if (inode < 0) return true;
    if (keep_ != nullptr && !std::binary_search(keep_->begin(), keep_->end(), inode)) return true;
    k.found.push_back(Worker::Entry{inode, p.value, nn.value});
    return true;
  });
  close(fd_dir);
  if (err != 0) {
    k.found.resize(mark);
    if (counts && is_denied(err)) k.denied++;
    else if (counts) k.vanished++;
    return;
  }
  if (counts) k.scanned++;
  if (k.found.size() == mark) return;

  // The owning process's record, read now by the same worker.
  read_process(p.value, task.part, k, scratch);
}

void OwnerScan::read_process(int32_t pid, uint32_t part, Worker& k, std::vector<uint8_t>& scratch) {
  // owners.ts builds these paths from the number, not from the directory name (the same text: no
  // leading zeros).
  char path[32];
  Worker::Proc rec;
  rec.pid = pid;
  rec.part = part;
  std::snprintf(path, sizeof path, "%d/cmdline", static_cast<int>(pid));
  size_t len = head(root_fd_, path, kCmdlineMax, scratch);
  size_t start = 0;
  rec.name_len = program_name(scratch.data(), len, &start);
  rec.name_start = k.strings.size();
  k.strings.insert(k.strings.end(), scratch.data() + start, scratch.data() + start + rec.name_len);

  std::snprintf(path, sizeof path, "%d/comm", static_cast<int>(pid));
  len = head(root_fd_, path, kCommMax, scratch);
  rec.comm_len = comm_length(scratch.data(), len);
  rec.comm_start = k.strings.size();
  k.strings.insert(k.strings.end(), scratch.data(), scratch.data() + rec.comm_len);

  std::snprintf(path, sizeof path, "%d/status", static_cast<int>(pid));
  len = head(root_fd_, path, kStatusMax, scratch);
  rec.uid = status_uid(scratch.data(), len);
  k.procs.push_back(rec);
}

void OwnerScan::worker_done(unsigned worker) {
  Worker& k = *workers_[worker];
  sort_entries(k.found);
  k.sorted = true;
}

void OwnerScan::finish(Owners* out) {
  // Entries: every worker's sorted run, merged. The keys (inode, pid, fd) are unique (a pid
  // name is listed once and has no leading zero; an fd name likewise), so the order is total
  // and the result is the serial scan's whatever the split.
  std::vector<Worker::Entry> all;
  std::vector<size_t> bounds{0};
  size_t total = 0;
  for (Worker* k : workers_) total += k->found.size();
  all.reserve(total);
  for (Worker* k : workers_) {
    if (k->found.empty()) continue;
    if (!k->sorted) sort_entries(k->found);
    all.insert(all.end(), k->found.begin(), k->found.end());
    bounds.push_back(all.size());
    std::vector<Worker::Entry>().swap(k->found);
  }
  // Bottom-up pairwise merge of the runs.
  while (bounds.size() > 2) {
    std::vector<size_t> next{0};
    for (size_t r = 0; r + 2 < bounds.size(); r += 2) {
      std::inplace_merge(all.begin() + static_cast<ptrdiff_t>(bounds[r]), all.begin() + static_cast<ptrdiff_t>(bounds[r + 1]),
                         all.begin() + static_cast<ptrdiff_t>(bounds[r + 2]), entry_less);
      next.push_back(bounds[r + 2]);
    }
    if ((bounds.size() - 1) % 2 == 1) next.push_back(bounds.back());
    bounds.swap(next);
  }

  const size_t n = all.size();
  out->inodes.resize(n);
  out->pids.resize(n);
  out->fds.resize(n);
  for (size_t i = 0; i < n; i++) {
    out->inodes[i] = all[i].inode;
    out->pids[i] = all[i].pid;
    out->fds[i] = all[i].fd;
  }
  out->socket_fds = n;

  // Processes by pid (unique, see above), their strings packed in that order: name, comm.
  struct Ref {
    int32_t pid;
    uint32_t part;
    const Worker* worker;
    const Worker::Proc* proc;
  };
  std::vector<Ref> refs;
  size_t string_bytes = 0;
  for (const Worker* k : workers_) {
    for (const Worker::Proc& rec : k->procs) refs.push_back(Ref{rec.pid, rec.part, k, &rec});
    string_bytes += k->strings.size();
  }
  // A pid cut in parts has one record per part that found sockets: keep its lowest part's.
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.pid != b.pid ? a.pid < b.pid : a.part < b.part; });
  refs.erase(std::unique(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.pid == b.pid; }), refs.end());
  const size_t procs = refs.size();
  out->proc_pids.resize(procs);
  out->proc_uids.resize(procs);
  out->name_start.resize(procs);
  out->name_len.resize(procs);
  out->comm_start.resize(procs);
  out->comm_len.resize(procs);
  out->strings.reserve(string_bytes);
  for (size_t i = 0; i < procs; i++) {
    const Worker::Proc& rec = *refs[i].proc;
    const uint8_t* pool = refs[i].worker->strings.data();
    out->proc_pids[i] = rec.pid;
    out->proc_uids[i] = rec.uid;
    out->name_start[i] = append(out->strings, pool + rec.name_start, rec.name_len);
    out->name_len[i] = static_cast<uint32_t>(rec.name_len);
    out->comm_start[i] = append(out->strings, pool + rec.comm_start, rec.comm_len);
    out->comm_len[i] = static_cast<uint32_t>(rec.comm_len);
  }

  for (const Worker* k : workers_) {
    out->pids_scanned += k->scanned;
    out->pids_vanished += k->vanished;
    out->pids_denied += k->denied;
  }
}

namespace {

// Runs a begun scan on up to `threads` workers (see plan()).
void run_scan(OwnerScan& scan, unsigned threads, std::vector<uint8_t>& scratch, Owners* out) {
  threads = scan.plan(threads);
  auto task = [&](size_t i, unsigned w, std::vector<uint8_t>& buf) {
    scan.run_task(i, w, buf);
    return true;
  };
  auto done = [&](unsigned w) { scan.worker_done(w); };
  run_tasks(threads, scan.tasks(), scratch, task, done);
  scan.finish(out);
}

}  // namespace

void scan_owners_threads(const std::string& proc_root, unsigned threads, std::vector<uint8_t>& scratch,
                         Owners* out, uint64_t part_fds) {
  OwnerScan scan;
  scan.begin(proc_root, /*allow_bpf=*/false);  // the /proc scan itself, on exactly `threads` workers
  scan.set_part_fds(part_fds);
  run_scan(scan, threads, scratch, out);
}

void scan_owners(const std::string& proc_root, std::vector<uint8_t>& scratch, Owners* out) {
  OwnerScan scan;
  scan.begin(proc_root);
  unsigned threads = thread_override();
  if (threads == 0) threads = hardware_threads() > 1 && scan.worth_parallel() ? hardware_threads() : 1;
  run_scan(scan, threads, scratch, out);
}

}  // namespace netsnap
