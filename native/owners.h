// PROCROOT/[0-9]*/fd scan: which processes hold which socket inodes; the port of
// src/backends/js/owners.ts (each process's own files: proc_pid.h). Pure C++ (no Node-API): it
// runs on the libuv pool for sampleAsync.
#ifndef NETSNAP_OWNERS_H_
#define NETSNAP_OWNERS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netsnap {

// The RawOwners of src/model/contract.ts, column by column.
struct Owners {
  // One entry per socket fd, sorted by (inode, pid, fd).
  std::vector<double> inodes;
  std::vector<int32_t> pids;
  std::vector<int32_t> fds;
  // One record per owning process, sorted by pid.
  std::vector<int32_t> proc_pids;
  std::vector<uint32_t> proc_uids;  // 0xffffffff when unknown
  std::vector<uint32_t> name_start, name_len, comm_start, comm_len;  // into `strings`
  std::vector<uint8_t> strings;
  uint64_t pids_scanned = 0;
  uint64_t pids_vanished = 0;
  uint64_t pids_denied = 0;
  uint64_t socket_fds = 0;
};

// Scans `proc_root` with exactly the semantics of scanOwners() in owners.ts and fills `*out`
// (which must be empty). `scratch` is the caller's reusable file buffer (see read.h).
// An unreadable proc_root, or one holding a NUL byte, gives an empty result, as in owners.ts.
// Splits the pids over worker threads (parallel.h: one per usable CPU, at most kMaxThreads, or
// setThreads()'s count; one for a small tree, see worth_parallel()). The result does not depend
// on the number of workers.
void scan_owners(const std::string& proc_root, std::vector<uint8_t>& scratch, Owners* out);
// The /proc scan (never the BPF iterator) with exactly `threads` workers (at least 1, at most
// kMaxThreads), and processes cut into parts of `part_fds` fds when not 0 (see
// OwnerScan::balance): tests, benchmarks.
void scan_owners_threads(const std::string& proc_root, unsigned threads, std::vector<uint8_t>& scratch,
                         Owners* out, uint64_t part_fds = 0);

// An automatic scan uses more than one worker from this many pids, or this many fds in all.
constexpr size_t kParallelPidMin = 64;
constexpr uint64_t kParallelFdMin = 2048;
// Smallest part balance() cuts a big process into (about 10 ms of readlinkat), and the most
// parts of one process.
constexpr uint64_t kPartFds = 2048;
constexpr uint64_t kMaxParts = 64;
// Fewest fds (stat(PID/fd).st_size summed) for which a scan loads the BPF iterator when this
// process has not loaded it yet: the first scan (reading the kernel's BTF, the verifier, the link)
// saves as much as it costs from 12,000 to 56,000 fds with the BTF read (bench/RESULTS.md, round
// eleven: the break-even grows with the load, as the /proc scan spreads over threads), from 7,000 to
// 16,000 with it mapped (round twelve, Linux 6.16+); kept at the first range's middle for the older
// kernels, which read it. Once it is loaded, every scan of the live /proc uses it.
constexpr uint64_t kBpfMinFds = 32768;

// The owner scan in steps, so that a sample can run it on the same workers as its file reads:
//   begin() lists proc_root on the calling thread;
//   plan(threads, other_tasks) chooses the workers and makes their state (before they start);
//   run_task(i, w, scratch), for every i < tasks(), on any worker w < workers, each i once, with
//     w's own scratch buffer; distinct workers never share anything, so no locks (run_tasks() of
//     parallel.h runs them, then worker_done(w) on each worker);
//   finish(out) merges the workers' results into *out (empty) after they have all returned.
// The merged result is the same whatever the number of workers and whoever ran which task: the
// entries are sorted by (inode, pid, fd) and the processes by pid, keys that are unique.
// (A live race only: a process cut in parts that exits mid-scan may be counted vanished by its
// first part while a later part still found fds; its entries and its record stay consistent.)
class OwnerScan {
 public:
  OwnerScan() = default;
  OwnerScan(const OwnerScan&) = delete;
  OwnerScan& operator=(const OwnerScan&) = delete;
  ~OwnerScan();

  // Lists proc_root. On the live /proc (see bpf_fds.h) the scan is then one task that reads every
  // socket fd from the kernel's task_file iterator, unless `allow_bpf` is false (the /proc scan's
  // own tests and benchmarks), setOwnerSource('proc') said so, or the scan is small (kBpfMinFds,
  // unless setOwnerSource('bpf')).
  void begin(const std::string& proc_root, bool allow_bpf = true);
  size_t tasks() const { return tasks_.size(); }
  // Whether the scan is the BPF iterator's one task (begin() chose it).
  bool bpf() const { return bpf_; }
  // Fd counts from stat(PID/fd).st_size (Linux >= 6.2 on procfs; 0 elsewhere): one stat per
  // pid on the calling thread, once. Returns their sum.
  uint64_t measure();
  // Whether more than one worker pays: kParallelPidMin pids or kParallelFdMin fds.
  // Never with the BPF iterator: that scan is one task.
  bool worth_parallel() { return !bpf_ && (pids_.size() >= kParallelPidMin || measure() >= kParallelFdMin); }
  // Part size for balance() (0: automatic); tests force small parts with it.
  void set_part_fds(uint64_t fds) { part_fds_ = fds; }
  // Between begin() and the first run_task(): the number of workers for a run of tasks() and
  // `other_tasks` more (a sample's files, which it numbers first) on up to `threads` workers,
  // and their state. Clamps `threads` to kMaxThreads, balance()s the tasks for that many when
  // more than one, then keeps at most one worker per task and at least one. tasks() may grow.
  unsigned plan(unsigned threads, size_t other_tasks = 0);
  // Before the first run_task(): keep only sockets whose inode is in `inodes` (sorted ascending;
  // the caller keeps it alive until finish()), and read only the processes holding one of them —
  // a filtered sample's owners (scanOwners(procRoot, keep) of owners.ts). Null: every socket.
  void set_keep(const std::vector<double>* inodes) { keep_ = inodes; }
  void run_task(size_t i, unsigned worker, std::vector<uint8_t>& scratch);
  // Optional, on worker w after its last task: sorts w's entries there rather than in finish().
  void worker_done(unsigned worker);
  void finish(Owners* out);

  struct Worker;
  struct PidName {
    char text[11];
    int32_t value;
  };

 private:
  // For a run on `workers` > 1 workers: on procfs cuts big processes into fd ranges, then orders
  // the tasks biggest first, so that the run ends balanced. tasks() grows accordingly. Never
  // changes the result.
  void balance(unsigned workers);
  void prepare(unsigned workers);
  struct Task;
  void run_bpf(unsigned worker, std::vector<uint8_t>& scratch);
  void scan_pid(const Task& task, unsigned worker, std::vector<uint8_t>& scratch);
  void read_process(int32_t pid, uint32_t part, Worker& k, std::vector<uint8_t>& scratch);

  static constexpr int64_t kNoLimit = int64_t{1} << 32;  // above every fd number
  // Task i scans pids_[tasks_[i].pid], the fds in [lo, hi) (all of them unless cut).
  struct Task {
    uint32_t pid;
    uint32_t part;  // 0 for the first (or only) range of a pid
    int64_t lo;
    int64_t hi;
    uint64_t fds;  // expected work, for ordering
  };
  int root_fd_ = -1;
  bool on_procfs_ = false;
  bool bpf_ = false;
  bool measured_ = false;
  uint64_t fd_total_ = 0;
  uint64_t part_fds_ = 0;
  std::vector<PidName> pids_;
  std::vector<Task> tasks_;
  std::vector<Worker*> workers_;
  const std::vector<double>* keep_ = nullptr;
};

}  // namespace netsnap

#endif  // NETSNAP_OWNERS_H_
