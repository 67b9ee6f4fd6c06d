#include "sample.h"

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "give_way.h"
#include "js_api.h"
#include "netlink_diag.h"
#include "parallel.h"
#include "read.h"
#include "sockstat.h"
#include "tcp_info.h"

namespace netsnap {

bool net_file_kind(const std::string& name, NetFile* kind) {
  if (name == "tcp" || name == "tcp6") *kind = NetFile::kTcp;
  else if (name == "udp" || name == "udp6") *kind = NetFile::kUdp;
  else if (name == "udplite" || name == "udplite6") *kind = NetFile::kUdplite;
  else if (name == "raw" || name == "raw6") *kind = NetFile::kRaw;
  else if (name == "unix") *kind = NetFile::kUnix;
  else return false;
  return true;
}

namespace {

// Netlink describes the caller's own network namespace only.
bool own_namespace(const std::string& net_dir) { return net_dir == "/proc/net" || net_dir == "/proc/self/net"; }

// A one-shot sample reads tcp and tcp6 with one dump (dump_inet_pair) when its namespace holds
// fewer TCP sockets than this: the kernel walks its whole established hash for each dump, even an
// empty one, so two dumps of a small table cost two walks and a thread for the second; one dump on
// the calling thread costs one walk. Above it, two dumps on two threads fill the two tables at once,
// which on a large table is worth more than the walk saved.
constexpr uint64_t kPairBelowSockets = 4096;

// The TCP sockets of net_dir's namespace by its sockstat files (tcp_sockstat; NEW_SYN_RECV requests
// are not counted there). False when a file cannot be read or parsed. No sockstat6: no IPv6.
bool read_tcp_sockstat(const std::string& net_dir, TcpSockstat* out) {
  // Sized for the files (a few hundred bytes): read_whole_file grows a buffer only when it fills.
  std::vector<uint8_t> v4(1024), v6(1024);
  size_t n4 = 0, n6 = 0;
  if (read_whole_file(AT_FDCWD, (net_dir + "/sockstat").c_str(), v4, &n4) != 0 || n4 == 0) return false;
  if (read_whole_file(AT_FDCWD, (net_dir + "/sockstat6").c_str(), v6, &n6) != 0) n6 = 0;
  return tcp_sockstat(v4.data(), n4, v6.data(), n6, out);
}

// The kernel's idiag_states for a /proc state mask: NEW_SYN_RECV (12) is printed as SYN_RECV (3).
// Only the states /proc/net/tcp shows (TCP_ESTABLISHED .. TCP_NEW_SYN_RECV, bits 1..12): never
// TCP_BOUND_INACTIVE (13, Linux 6.8+), which /proc does not list and for which the kernel walks
// its whole bind table on every dump.
constexpr uint32_t kProcTcpStates = 0x1ffeu;

uint32_t kernel_states(const SampleRequest& req) {
  uint32_t m = req.has_tcp_states ? req.tcp_states : 0xffffffffu;
  if (m & (1u << 3)) m |= 1u << 12;
  return m & kProcTcpStates;
}

// The dump request for inet file i (its filter, bytecode, extensions and, for TCP, the rows expected).
DumpRequest dump_request(const SampleRequest& req, size_t i, const DiagSocket& diag, const RowsExpected& expect);

// Netlink dump of an inet file into *outcome. Returns 0, or the errno of the failed dump.
int sample_netlink(const SampleRequest& req, size_t i, const DiagSocket& diag, FileOutcome* outcome,
                   const RowsExpected& expect) {
  if (diag.error != 0) return diag.error;
  if (req.kinds[i] == NetFile::kUnix) return EINVAL;  // the caller never asks
  const DumpRequest d = dump_request(req, i, diag, expect);
  const Reuse* reuse = i < req.reuse.size() ? &req.reuse[i] : nullptr;
  Table t;
  DumpFilterOutcome filter;
  const int err = dump_inet(d, &t, reuse, &filter);
  if (err != 0) return err;
  outcome->table = std::move(t);
  outcome->source = "netlink";
  if (d.bytecode_len > 0) {
    outcome->bytecode_sent = true;
    outcome->filter_in_kernel = filter.in_kernel;
    if (filter.rejected != 0) outcome->kernel_rejected = errno_code(filter.rejected);
  }
  return 0;
}

// tcp (file i4) and tcp6 (file i6) in one netlink dump (dump_inet_pair), its rows read meanwhile
// through `feed` when not null. Returns 0, or the errno of the dump (then nothing is written: the
// caller samples each file on its own).
int sample_tcp_pair(const SampleRequest& req, size_t i4, size_t i6, const DiagSocket& diag, FileOutcome* out4,
                    FileOutcome* out6, const RowsExpected& expect, RowFeed* feed) {
  if (diag.error != 0) {
    if (feed != nullptr) feed->close();
    return diag.error;
  }
  DumpRequest d = dump_request(req, i4, diag, expect);
  d.feed = feed;
  d.parse_aside = false;  // one dump of both families: the other CPU scans the owners or formats rows
  const Reuse* reuse4 = i4 < req.reuse.size() ? &req.reuse[i4] : nullptr;
  const Reuse* reuse6 = i6 < req.reuse.size() ? &req.reuse[i6] : nullptr;
  Table t4;
  Table t6;
  DumpFilterOutcome filter;
  const int err = dump_inet_pair(d, &t4, &t6, reuse4, reuse6, &filter);  // closes the feed
  if (err != 0) return err;
  out4->table = std::move(t4);
  out6->table = std::move(t6);
  for (FileOutcome* o : {out4, out6}) {
    o->source = "netlink";
    if (d.bytecode_len > 0) {
      o->bytecode_sent = true;
      o->filter_in_kernel = filter.in_kernel;
    }
  }
  return 0;
}

// setFeedLockstep(): a rowText sample's dump waits for its reader after each batch (a test hook, see sample.h).
std::atomic<bool> g_feed_lockstep{false};
// setGiveWay(): sampleAsync's threads give way to a waiting event loop (on by default; see sample.h).
std::atomic<bool> g_give_way{true};

// request.rowText's format of tcp's (k = 0) or tcp6's (k = 1) rows, with `owners`.
RowFormat row_text_format(const SampleRequest& req, unsigned k, const OwnerColumns* owners) {
  RowFormat f;
  const std::vector<uint8_t>& label = k == 0 ? req.row_label4 : req.row_label6;
  f.label = label.data();
  f.label_len = label.size();
  f.state_cells = req.row_state_cells.data();
  f.proto = RowProto::kTcp;
  f.show = req.row_show;
  f.wide = req.row_wide;
  f.owners = owners;
  return f;
}

// The most text format_fed_rows() makes (the two tables' together): some 400,000 rows. A listing of
// more formats the rest after the sample, in its chunks of 16,384 rows, rather than hold a million
// rows' text at once (~150 MiB).
constexpr size_t kRowTextMaxBytes = size_t{64} << 20;

// The pair dump's rows formatted as they come (request.rowText), on the thread the owner scan has
// finished with, into texts[0] (tcp) and texts[1] (tcp6), until the dump closes the feed or the texts
// reach kRowTextMaxBytes: a chunk of each table's published rows at a time, under the feed's lock; a
// short sleep when none are new.
void format_fed_rows(const SampleRequest& req, RowFeed& feed, const Owners& owners, const RowsExpected& expect,
                     RowText* texts) {
  OwnerColumns oc;
  oc.entries = owners.inodes.size();
  oc.inodes = owners.inodes.data();
  oc.pids = owners.pids.data();
  oc.processes = owners.proc_pids.size();
  oc.proc_pids = owners.proc_pids.data();
  oc.name_start = owners.name_start.data();
  oc.name_len = owners.name_len.data();
  oc.strings_len = owners.strings.size();
  oc.strings = owners.strings.data();
  if (owners.pids.size() != oc.entries || owners.name_start.size() != oc.processes ||
      owners.name_len.size() != oc.processes || !owner_names_fit(oc)) {
    return;  // not what finish() makes; the rows are then formatted as usual
  }
  const OwnerLookup lookup(oc.inodes, oc.entries, oc.entries >= kOwnerLookupMinEntries);
  const RowFormat f[2] = {row_text_format(req, 0, &oc), row_text_format(req, 1, &oc)};
  const size_t most_rows = kRowTextMaxBytes / (std::max(f[0].label_len, f[1].label_len) + kRowMax);
  texts[0].reserve(std::min(expect.tcp4, most_rows), f[0]);
  texts[1].reserve(std::min(expect.tcp6, most_rows - std::min(expect.tcp4, most_rows)), f[1]);
  constexpr size_t kChunkRows = 2048;  // the longest the dump may wait to grow a table or close: a chunk of each
  for (;;) {
    bool formatted = false;
    {
      std::lock_guard<std::mutex> g(feed.lock);
      if (feed.closed || texts[0].size() + texts[1].size() >= kRowTextMaxBytes) return;
      for (unsigned k = 0; k < 2; k++) {
        const size_t have = feed.published[k].load(std::memory_order_acquire);
        const size_t from = texts[k].rows();
        if (have <= from || texts[k].failed() || have > feed.capacity[k]) continue;
        texts[k].append(feed.buffer[k], feed.capacity[k], from, std::min(have - from, kChunkRows), f[k], &lookup);
        feed.formatted[k].store(texts[k].rows(), std::memory_order_release);
        formatted = true;
      }
    }
    if (!formatted) {
      const timespec pause{0, 100 * 1000};
      nanosleep(&pause, nullptr);
    }
  }
}

DumpRequest dump_request(const SampleRequest& req, size_t i, const DiagSocket& diag, const RowsExpected& expect) {
  DumpRequest d;
  d.family = req.files[i].back() == '6' ? AF_INET6 : AF_INET;
  switch (req.kinds[i]) {
    case NetFile::kTcp:
      d.protocol = IPPROTO_TCP;
      d.expect4 = expect.tcp4;
      d.expect6 = expect.tcp6;
      // The bigger of the two dumps alone: it ends last, while the other's CPU idles.
      d.parse_aside = expect.parse_aside && (d.family == AF_INET6 ? expect.tcp6 > expect.tcp4 && expect.tcp6 >= kParseAsideMinRows
                                                                  : expect.tcp4 >= expect.tcp6 && expect.tcp4 >= kParseAsideMinRows);
      break;
    case NetFile::kUdp: d.protocol = IPPROTO_UDP; break;
    case NetFile::kUdplite: d.protocol = IPPROTO_UDPLITE; break;
    case NetFile::kRaw: d.protocol = IPPROTO_RAW; break;
    case NetFile::kUnix: break;
  }
  d.state_mask = kernel_states(req);
  d.extensions = req.extensions;
  if (!req.info_fields.empty()) d.info_fields = &req.info_fields;
  d.socket = diag.fd;
  if (req.has_filter) {
    d.filter = &req.filter;
    d.bytecode = req.bytecode.data();
    d.bytecode_len = req.bytecode.size();
    d.bytecode_required = req.filter.autobound;
  }
  return d;
}

}  // namespace

bool sample_file(const SampleRequest& req, size_t i, const DiagSocket& diag, std::vector<uint8_t>& scratch,
                 FileOutcome* outcome, const RowsExpected& expect) {
  const NetFile kind = req.kinds[i];
  outcome->source = "proc";
  if (req.netlink && kind != NetFile::kUnix) {
    // With extensions asked, /proc rows would silently lack them; with netns, they would describe
    // netDir's namespace instead; a program with DEV, CGROUP, AUTOBOUND, INFO or RATIO would decide
    // them on rows that cannot answer. Then a dump that cannot be had is the file's error.
    const bool no_fallback = req.extensions != 0 || req.has_netns || (req.has_filter && req.filter.netlink_only);
    int err = ENOTSUP;  // extensions for a netDir of another namespace, without netns
    bool tried = false;
    if (req.has_netns || own_namespace(req.net_dir)) {
      err = sample_netlink(req, i, diag, outcome, expect);
      if (err == 0) return true;
      if (err == kAllocFailed) return false;
      tried = true;
    }
    if (no_fallback) {
      outcome->source = "netlink";
      outcome->error = errno_code(err);
      return true;
    }
    // The dump failed (ENOBUFS, the kernel's ENOMEM, a protocol without sock_diag...): /proc has
    // the same rows, and the file says why they come from there.
    if (tried) outcome->netlink_error = errno_code(err);
  }
  const std::string path = req.net_dir + "/" + req.files[i];
  if (has_nul(path)) {
    outcome->error = kInvalidPathCode;
    return true;
  }
  // Streamed in chunks: the scratch buffer holds one chunk (plus a partial line), the table
  // copies what it keeps; never the whole text and the table at once (lines.h).
  const Reuse* reuse = i < req.reuse.size() ? &req.reuse[i] : nullptr;
  const uint32_t* mask = kind == NetFile::kTcp && req.has_tcp_states ? &req.tcp_states : nullptr;
  // The filter is of inet rows: unix files do not run it.
  const FilterProgram* filter = req.has_filter ? &req.filter : nullptr;
  const int err = kind == NetFile::kUnix
                      ? stream_unix_table(AT_FDCWD, path.c_str(), scratch, &outcome->table, reuse)
                      : stream_inet_table(AT_FDCWD, path.c_str(), scratch, kind != NetFile::kTcp, req.little_endian,
                                          &outcome->table, reuse, mask, filter);
  if (err == ENOMEM) return false;
  if (err != 0) outcome->error = errno_code(err);
  return true;
}

namespace {

// Expected cost of reading a file, for scheduling only: tcp/tcp6 are the big ones on a busy
// server (and walk the whole established hash even when nearly empty), then unix, then the rest.
int file_rank(NetFile kind) {
  switch (kind) {
    case NetFile::kTcp: return 0;
    case NetFile::kUnix: return 1;
    default: return 2;
  }
}

}  // namespace

void run_sample(SampleBaton& baton) {
  const SampleRequest& req = baton.request;
  // One read buffer per thread (the main thread, or a libuv pool thread), kept between samples:
  // steady polling reads into memory it already has. It grows to the largest file read. The
  // helper workers take theirs from the pool of parallel.h.
  thread_local std::vector<uint8_t> scratch;
  baton.files.clear();
  baton.files.resize(req.files.size());

  // One task list on a bounded set of workers: the files, biggest expected first, then the
  // owner scan's pids. Every task writes only its own slot (a file's outcome) or its worker's
  // own state (the owner scan), so the result is the serial one whatever the split.
  // A filtered sample maps owners only for the rows that passed (scanOwners(procRoot, keep) of
  // owners.ts): its files first, then the scan, keeping only their inodes.
  const bool owners_after = req.owners && req.has_filter;
  OwnerScan scan;
  if (req.owners && !owners_after) scan.begin(req.proc_root);
  const size_t n_files = req.files.size();
  // How many workers may run: setThreads()'s count, else the CPUs (less one for sampleAsync).
  const unsigned hw_threads = [&] {
    const unsigned all = hardware_threads();
    return baton.leave_a_cpu && all > 1 ? all - 1 : all;
  }();
  // A netlink dump in this process's own namespace: the kernel's count of its TCP sockets (sockstat)
  // tells how many rows to make room for at once, and whether the table is small.
  const bool own_ns = req.netlink && !req.has_netns && own_namespace(req.net_dir);
  TcpSockstat counted;
  bool have_count = false;
  if (own_ns) {
    for (size_t i = 0; i < n_files && !have_count; i++) {
      if (req.kinds[i] == NetFile::kTcp) have_count = read_tcp_sockstat(req.net_dir, &counted);
    }
  }
  RowsExpected expect;
  const uint32_t states = kernel_states(req);
  if (have_count && !req.has_filter && (states & (1u << 1)) != 0) {
    // ESTABLISHED asked, which most sockets are. TIME_WAIT's count is of both families: it goes to
    // tcp's table alone (where most of it is), so that tcp6's is never made the size of tcp's
    // TIME_WAIT sockets (a sync sample hands V8 its whole buffer); tcp6's grows past it if need be.
    constexpr uint64_t kMostExpected = uint64_t{1} << 24;
    const uint64_t tw = (states & (1u << 6)) != 0 ? counted.tw : 0;
    expect.tcp4 = static_cast<size_t>(std::min(counted.inuse4 + tw, kMostExpected));
    expect.tcp6 = static_cast<size_t>(std::min(counted.inuse6, kMostExpected));
  }
  // tcp and tcp6 from netlink in one dump of both families (one walk of the kernel's hash tables
  // instead of two: less CPU, but one thread's work), as tcp's task, tcp6 having none of its own:
  // with request.oneTcpDump; for a small table (fewer than kPairBelowSockets); and when the workers
  // cannot give the two dumps and the owner scan one each, so that the dumps would not run side by
  // side anyway (two CPUs and -p: the pair on one, the owners on the other, rather than tcp on one
  // and the owners and then tcp6 on the other). Other files (udp, raw) are small beside them.
  size_t pair4 = n_files, pair6 = n_files;
  if (req.netlink && (req.has_netns || own_ns)) {
    for (size_t i = 0; i < n_files; i++) {
      if (req.files[i] == "tcp") pair4 = i;
      else if (req.files[i] == "tcp6") pair6 = i;
    }
  }
  const unsigned max_workers = thread_override() != 0 ? thread_override() : hw_threads;
  expect.parse_aside = !baton.leave_a_cpu && max_workers >= 2;
  const bool small = have_count && counted.inuse4 + counted.tw + counted.inuse6 < kPairBelowSockets;
  const bool paired = pair4 < n_files && pair6 < n_files &&
                      (req.one_tcp_dump || max_workers < 2u + (scan.tasks() > 0 ? 1u : 0u) || small);
  std::vector<size_t> file_order;
  for (size_t i = 0; i < n_files; i++) {
    if (!(paired && i == pair6)) file_order.push_back(i);
  }
  std::stable_sort(file_order.begin(), file_order.end(),
                   [&](size_t a, size_t b) { return file_rank(req.kinds[a]) < file_rank(req.kinds[b]); });
  const size_t n_file_tasks = file_order.size();

  // How many workers for n_files files and the scan's tasks (none when it is not begun).
  auto workers_for = [&](size_t files) {
    unsigned threads = thread_override();
    if (threads == 0) {
      const unsigned hw = hw_threads;
      const size_t pid_tasks = scan.tasks();
      const size_t owner_units = pid_tasks == 0 ? 0 : hw > 1 && scan.worth_parallel() ? hw : 1;
      const size_t units = files + owner_units;
      threads = units < hw ? static_cast<unsigned>(units) : hw;
      if (threads == 0) threads = 1;
    }
    return scan.plan(threads, files);  // may cut big pids into more tasks
  };
  const unsigned threads = workers_for(n_file_tasks);

  // request.netns: one socket per netlink file, all made in that namespace in one go (one helper
  // thread per sample), each then used by its file's task alone.
  std::vector<DiagSocket> diag(n_files);
  if (req.netlink && req.has_netns) {
    std::vector<size_t> netlink_files;
    for (size_t i = 0; i < n_files; i++) {
      if (req.kinds[i] != NetFile::kUnix) netlink_files.push_back(i);
    }
    if (!netlink_files.empty()) {
      std::vector<int> fds(netlink_files.size(), -1);
      const int err = diag_sockets_in_netns(req.netns.c_str(), fds.size(), fds.data());
      for (size_t k = 0; k < netlink_files.size(); k++) {
        DiagSocket& d = diag[netlink_files[k]];
        if (err != 0) d.error = err;
        else d.fd = fds[k];
      }
    }
  }

  // request.rowText with -p on two workers: the pair dump on one, the owner scan (the BPF iterator's
  // one task) on the other, which then formats the rows the dump has stored so far, until it ends
  // (format_fed_rows): the formatting leaves the critical path, on the CPU the scan no longer needs.
  // The dump's thread formats nothing; the rows after the last chunk are left to the caller.
  const bool feed_rows = req.has_row_text && req.owners && !owners_after && paired && n_file_tasks == 1 &&
                         scan.tasks() == 1 && scan.bpf() && threads == 2;
  RowFeed feed;
  RowText texts[2];

  // A table that cannot be allocated stops the run: nothing else is valid now.
  auto task = [&](size_t i, unsigned w, std::vector<uint8_t>& buf) {
    if (i < n_file_tasks) {
      const size_t f = file_order[i];
      if (paired && f == pair4) {
        const int err = sample_tcp_pair(req, pair4, pair6, diag[pair4], &baton.files[pair4], &baton.files[pair6], expect,
                                        feed_rows ? &feed : nullptr);
        if (err == 0) return true;
        if (err == kAllocFailed) return false;
        // Refused (a kernel without the older request, a bytecode it will not take) or failed on
        // the way: each family on its own, with its own fallback and error, as unpaired.
        return sample_file(req, pair4, diag[pair4], buf, &baton.files[pair4], expect) &&
               sample_file(req, pair6, diag[pair6], buf, &baton.files[pair6], expect);
      }
      return sample_file(req, f, diag[f], buf, &baton.files[f], expect);
    }
    scan.run_task(i - n_file_tasks, w, buf);
    return true;
  };
  auto done = [&](unsigned w) { scan.worker_done(w); };
  bool ran;
  if (feed_rows) {
    // The same two tasks, taken in order (a worker that cannot start leaves both to the other: the
    // dump closes the feed, and the formatting then ends at once); the scan's task ends its own
    // worker's part and finishes the owners itself, so no `done` touches the scan afterwards.
    feed.lockstep = g_feed_lockstep.load();
    auto feed_task = [&](size_t i, unsigned w, std::vector<uint8_t>& buf) {
      if (i < n_file_tasks) return task(i, w, buf);
      scan.run_task(0, w, buf);
      scan.worker_done(w);
      scan.finish(&baton.owners);
      format_fed_rows(req, feed, baton.owners, expect, texts);
      return true;
    };
    auto nothing = [](unsigned) {};
    ran = run_tasks(threads, n_file_tasks + scan.tasks(), scratch, feed_task, nothing);
  } else {
    ran = run_tasks(threads, n_file_tasks + scan.tasks(), scratch, task, done);
  }
  for (const DiagSocket& d : diag) {
    if (d.fd >= 0) close(d.fd);
  }
  if (ran && owners_after) {
    // Every row's inode (the first column of both layouts), sorted for the scan's lookups.
    std::vector<double> keep;
    for (const FileOutcome& f : baton.files) {
      if (f.error != nullptr || f.table.buffer == nullptr) continue;
      for (size_t r = 0; r < f.table.count; r++) {
        double inode;
        std::memcpy(&inode, f.table.buffer + r * sizeof(double), sizeof inode);
        keep.push_back(inode);
      }
    }
    std::sort(keep.begin(), keep.end());
    scan.begin(req.proc_root);
    scan.set_keep(&keep);
    const unsigned owner_threads = workers_for(0);
    auto owner_task = [&](size_t i, unsigned w, std::vector<uint8_t>& buf) {
      scan.run_task(i, w, buf);
      return true;
    };
    ran = run_tasks(owner_threads, scan.tasks(), scratch, owner_task, done);
    if (ran) scan.finish(&baton.owners);
    scan.set_keep(nullptr);
  } else if (ran && req.owners && !feed_rows) {
    scan.finish(&baton.owners);
  }
  // The texts stand for the first rows of the tables only when the dump removed none it had stored.
  if (ran && feed_rows && feed.intact) {
    for (unsigned k = 0; k < 2; k++) {
      FileOutcome& f = baton.files[k == 0 ? pair4 : pair6];
      if (f.error == nullptr && !texts[k].failed() && texts[k].rows() > 0 && texts[k].rows() <= f.table.count) {
        f.row_text = std::move(texts[k]);
      }
    }
  }
  // Here, off the event loop for sampleAsync: V8 counts every byte of an ArrayBuffer it is handed,
  // headroom included, towards the external memory that starts its major GCs.
  if (ran && req.trim) {
    for (FileOutcome& f : baton.files) {
      if (f.error == nullptr) trim_table(f.table);
    }
  }
  // The netlink columns into the tables lent again, here too: what V8 is not handed it does not count.
  if (ran && !req.reuse.empty()) {
    std::vector<const Reuse*> lent;
    for (const Reuse& r : req.reuse) lent.push_back(&r);
    for (size_t i = 0; i < baton.files.size() && i < req.reuse.size(); i++) {
      if (baton.files[i].error == nullptr) fill_reused_columns(baton.files[i].table, req.reuse[i], lent);
    }
  }
  if (!ran) baton.out_of_memory = true;
}

namespace {

// A typed array of `type` as (data, length in elements); false when `value` is none. A view on a
// detached buffer reads as empty, as its length does in JavaScript.
bool typed_array_of(Napi::Env env, Napi::Value value, napi_typedarray_type type, const void** data, size_t* length) {
  if (!value.IsTypedArray()) return false;
  napi_typedarray_type actual;
  void* d = nullptr;
  size_t n = 0;
  if (napi_get_typedarray_info(env, value, &actual, &n, &d, nullptr, nullptr) != napi_ok || actual != type) return false;
  *data = d;
  *length = d == nullptr ? 0 : n;
  return true;
}

// The netlink columns of lent table `t` (request.reuse[i], `at`) into r->columns: message for a bad
// one, or empty. A column that is absent (a /proc table has none), or on a detached buffer, is not
// lent: that column of the new table is new.
std::string read_reused_columns(Napi::Env env, Napi::Object t, const std::string& at, Reuse* r) {
  Napi::Value ext = t.Get("ext");
  if (env.IsExceptionPending()) return std::string();
  const bool has_ext = !ext.IsUndefined() && !ext.IsNull();
  if (has_ext && !ext.IsObject()) return at + ".ext must be an object";
  for (unsigned k = 0; k < kReusableColumns; k++) {
    const js::ReusableColumnSpec& spec = js::kReusableColumnSpecs[k];
    if (spec.in_ext && !has_ext) continue;
    Napi::Value column = (spec.in_ext ? ext.As<Napi::Object>() : t).Get(spec.name);
    if (env.IsExceptionPending()) return std::string();
    if (column.IsUndefined() || column.IsNull()) continue;
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value ab = nullptr;
    size_t offset = 0;
    if (!column.IsTypedArray() || napi_get_typedarray_info(env, column, &type, nullptr, &data, &ab, &offset) != napi_ok ||
        type != spec.type) {
      return at + (spec.in_ext ? ".ext." : ".") + spec.name + " must be a " + spec.type_name;
    }
    // All of its memory from the view's start, whole elements: a column the addon made keeps the room its
    // table was made with past the rows it shows (adopt_vector in js_api.cc). Detached: not lent.
    void* ab_data = nullptr;
    size_t ab_length = 0;
    if (data == nullptr || napi_get_arraybuffer_info(env, ab, &ab_data, &ab_length) != napi_ok || offset > ab_length) continue;
    r->columns[k].data = static_cast<uint8_t*>(data);
    r->columns[k].bytes = (ab_length - offset) / spec.element_bytes * spec.element_bytes;
  }
  return std::string();
}

// request.rowText into out->row_*: message for a bad one, or empty.
std::string read_row_text(Napi::Env env, Napi::Value value, const std::string& who, SampleRequest* out) {
  const std::string at = who + "request.rowText";
  if (!value.IsObject()) return at + " must be an object";
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value label4 = obj.Get("label4");
  Napi::Value label6 = obj.Get("label6");
  Napi::Value cells = obj.Get("stateCells");
  Napi::Value show = obj.Get("show");
  Napi::Value wide = obj.Get("wide");
  if (env.IsExceptionPending()) return std::string();
  const void* data = nullptr;
  size_t n = 0;
  for (const auto& [v, name, into] : {std::tuple{label4, "label4", &out->row_label4}, std::tuple{label6, "label6", &out->row_label6}}) {
    if (!typed_array_of(env, v, napi_uint8_array, &data, &n) || n > kMaxRowLabel) {
      return at + "." + name + " must be a Uint8Array of at most " + std::to_string(kMaxRowLabel) + " bytes";
    }
    into->assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + n);
  }
  if (!typed_array_of(env, cells, napi_uint8_array, &data, &n) || n != kStateCellsBytes) {
    return at + ".stateCells must be a Uint8Array of " + std::to_string(kStateCellsBytes) + " bytes (256 cells of 16)";
  }
  out->row_state_cells.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + n);
  const std::string s = show.IsString() ? show.As<Napi::String>().Utf8Value() : std::string();
  if (s == "all") out->row_show = RowShow::kAll;
  else if (s == "servers") out->row_show = RowShow::kServers;
  else if (s == "others") out->row_show = RowShow::kOthers;
  else return at + ".show must be 'all', 'servers' or 'others'";
  if (!wide.IsBoolean()) return at + ".wide must be a boolean";
  out->row_wide = wide.As<Napi::Boolean>().Value();
  out->has_row_text = true;
  return std::string();
}

// request.filter into out->filter / out->bytecode: message for a bad one, or empty.
std::string read_filter(Napi::Env env, Napi::Value filter, const std::string& who, SampleRequest* out) {
  const std::string at = who + "request.filter";
  // As the TypeScript backend reads it: filter.program of anything that is not an object is missing.
  if (!filter.IsObject()) return at + ".program must be a Float64Array";
  Napi::Object obj = filter.As<Napi::Object>();
  Napi::Value program = obj.Get("program");
  if (env.IsExceptionPending()) return std::string();
  const void* data = nullptr;
  size_t n = 0;
  if (!typed_array_of(env, program, napi_float64_array, &data, &n)) return at + ".program must be a Float64Array";
  std::vector<double>& words = out->filter.words;
  words.resize(n);
  if (n > 0) std::memcpy(words.data(), data, n * sizeof(double));
  const std::string problem = filter_program_problem(words.data(), words.size());
  if (!problem.empty()) return at + ".program: " + problem;
  out->filter.classify();
  if (out->filter.tcp_info && !(out->extensions & kExtTcpInfo)) {
    for (size_t pc = 0; pc < n; pc += filter_op_words(words[pc])) {
      if (words[pc] == filter_op::kInfo || words[pc] == filter_op::kRatio) {
        return at + ".program: op " + std::to_string(static_cast<int>(words[pc])) + " at " + std::to_string(pc) +
               " needs extensions bit 1 (tcp_info)";
      }
    }
  }
  Napi::Value bytecode = obj.Get("bytecode");
  if (env.IsExceptionPending()) return std::string();
  if (!bytecode.IsUndefined() && !bytecode.IsNull()) {
    if (!typed_array_of(env, bytecode, napi_uint8_array, &data, &n)) return at + ".bytecode must be a Uint8Array or null";
    if (n > kMaxBytecode) {
      return at + ".bytecode must be at most " + std::to_string(kMaxBytecode) + " bytes (one netlink attribute), got " +
             std::to_string(n);
    }
    out->bytecode.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + n);
  }
  out->has_filter = true;
  return std::string();
}

// Message for a rejected request, or empty when the request is valid and now in `out`.
// Strict types (the TypeScript backend coerces); unknown file names fail exactly as in sample.ts.
// `who` names the export in messages, except for the unknown-file message, which is sample.ts's
// text exactly.
std::string read_request(Napi::Env env, Napi::Value value, const std::string& who, SampleRequest* out) {
  if (!value.IsObject() || value.IsArray() || value.IsFunction()) return who + "request must be an object";
  Napi::Object obj = value.As<Napi::Object>();

  Napi::Value net_dir = obj.Get("netDir");
  if (env.IsExceptionPending()) return std::string();
  if (!net_dir.IsString()) return who + "request.netDir must be a string";
  out->net_dir = net_dir.As<Napi::String>().Utf8Value();

  Napi::Value files = obj.Get("files");
  if (env.IsExceptionPending()) return std::string();
  if (!files.IsArray()) return who + "request.files must be an array of strings";
  Napi::Array arr = files.As<Napi::Array>();
  const uint32_t n = arr.Length();
  out->files.reserve(n);
  out->kinds.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value name = arr.Get(i);
    if (env.IsExceptionPending()) return std::string();
    if (!name.IsString()) return who + "request.files[" + std::to_string(i) + "] must be a string";
    std::string s = name.As<Napi::String>().Utf8Value();
    NetFile kind;
    if (!net_file_kind(s, &kind)) return "unknown /proc/net file: " + s;
    out->files.push_back(std::move(s));
    out->kinds.push_back(kind);
  }

  Napi::Value owners = obj.Get("owners");
  if (env.IsExceptionPending()) return std::string();
  if (!owners.IsBoolean()) return who + "request.owners must be a boolean";
  out->owners = owners.As<Napi::Boolean>().Value();

  Napi::Value proc_root = obj.Get("procRoot");
  if (env.IsExceptionPending()) return std::string();
  if (proc_root.IsString()) {
    out->proc_root = proc_root.As<Napi::String>().Utf8Value();
  } else if (out->owners) {
    // Only needed for the owner scan; sample.ts never looks at it otherwise.
    return who + "request.procRoot must be a string";
  }

  Napi::Value little_endian = obj.Get("littleEndian");
  if (env.IsExceptionPending()) return std::string();
  if (!little_endian.IsBoolean()) return who + "request.littleEndian must be a boolean";
  out->little_endian = little_endian.As<Napi::Boolean>().Value();

  Napi::Value source = obj.Get("source");
  if (env.IsExceptionPending()) return std::string();
  if (!source.IsUndefined()) {
    const std::string s = source.IsString() ? source.As<Napi::String>().Utf8Value() : std::string();
    if (s != "proc" && s != "netlink") return who + "request.source must be 'proc' or 'netlink'";
    out->netlink = s == "netlink";
  }

  Napi::Value tcp_states = obj.Get("tcpStates");
  if (env.IsExceptionPending()) return std::string();
  if (!tcp_states.IsUndefined()) {
    if (!tcp_states.IsNumber()) return who + "request.tcpStates must be a number";
    const double m = tcp_states.As<Napi::Number>().DoubleValue();
    if (!(m >= 0 && m <= 4294967295.0) || m != static_cast<double>(static_cast<uint64_t>(m))) {
      return who + "request.tcpStates must be a whole number below 2^32";
    }
    out->has_tcp_states = true;
    out->tcp_states = static_cast<uint32_t>(m);
  }

  Napi::Value extensions = obj.Get("extensions");
  if (env.IsExceptionPending()) return std::string();
  if (!extensions.IsUndefined()) {
    if (!extensions.IsNumber()) return who + "request.extensions must be a number";
    const double m = extensions.As<Napi::Number>().DoubleValue();
    if (!(m >= 0 && m <= kExtAll) || m != static_cast<double>(static_cast<uint32_t>(m))) {
      return who + "request.extensions must be a whole number from 0 to " + std::to_string(kExtAll) +
             " (1: tcp_info, 2: socket memory)";
    }
    out->extensions = static_cast<uint32_t>(m);
  }

  Napi::Value one_tcp_dump = obj.Get("oneTcpDump");
  if (env.IsExceptionPending()) return std::string();
  if (!one_tcp_dump.IsUndefined()) {
    if (!one_tcp_dump.IsBoolean()) return who + "request.oneTcpDump must be a boolean";
    out->one_tcp_dump = one_tcp_dump.As<Napi::Boolean>().Value();
  }

  Napi::Value trim = obj.Get("trim");
  if (env.IsExceptionPending()) return std::string();
  if (!trim.IsUndefined()) {
    if (!trim.IsBoolean()) return who + "request.trim must be a boolean";
    out->trim = trim.As<Napi::Boolean>().Value();
  }

  Napi::Value info_fields = obj.Get("infoFields");
  if (env.IsExceptionPending()) return std::string();
  if (!info_fields.IsUndefined()) {
    const std::string bad = who + "request.infoFields must be an array of increasing whole numbers from 0 to " +
                            std::to_string(kTcpInfoFieldCount - 1) + " (TCP_INFO_FIELDS indexes)";
    if (!info_fields.IsArray()) return bad;
    Napi::Array list = info_fields.As<Napi::Array>();
    const uint32_t n = list.Length();
    if (n > kTcpInfoFieldCount) return bad;
    for (uint32_t k = 0; k < n; k++) {
      Napi::Value v = list.Get(k);
      if (env.IsExceptionPending()) return std::string();
      if (!v.IsNumber()) return bad;
      const double m = v.As<Napi::Number>().DoubleValue();
      if (!(m >= 0 && m < kTcpInfoFieldCount) || m != static_cast<double>(static_cast<uint32_t>(m))) return bad;
      const uint8_t f = static_cast<uint8_t>(m);
      if (!out->info_fields.empty() && f <= out->info_fields.back()) return bad;
      out->info_fields.push_back(f);
    }
    if (n > 0 && !(out->extensions & kExtTcpInfo)) return who + "request.infoFields needs extensions bit 1 (tcp_info)";
  }

  Napi::Value netns = obj.Get("netns");
  if (env.IsExceptionPending()) return std::string();
  if (!netns.IsUndefined()) {
    if (!netns.IsString()) return who + "request.netns must be a string";
    out->netns = netns.As<Napi::String>().Utf8Value();
    if (has_nul(out->netns)) return who + "request.netns must be a path without NUL bytes";
    out->has_netns = true;
  }

  Napi::Value filter = obj.Get("filter");
  if (env.IsExceptionPending()) return std::string();
  if (!filter.IsUndefined() && !filter.IsNull()) {
    const std::string problem = read_filter(env, filter, who, out);
    if (env.IsExceptionPending() || !problem.empty()) return problem;
  }

  Napi::Value row_text = obj.Get("rowText");
  if (env.IsExceptionPending()) return std::string();
  if (!row_text.IsUndefined() && !row_text.IsNull()) {
    const std::string problem = read_row_text(env, row_text, who, out);
    if (env.IsExceptionPending() || !problem.empty()) return problem;
  }

  Napi::Value reuse = obj.Get("reuse");
  if (env.IsExceptionPending()) return std::string();
  if (reuse.IsUndefined() || reuse.IsNull()) return std::string();
  if (!reuse.IsArray()) return who + "request.reuse must be an array";
  Napi::Array list = reuse.As<Napi::Array>();
  out->reuse.resize(n);
  for (uint32_t i = 0; i < n && i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (env.IsExceptionPending()) return std::string();
    if (item.IsUndefined() || item.IsNull()) continue;
    const std::string at = who + "request.reuse[" + std::to_string(i) + "]";
    if (!item.IsObject()) return at + " must be a table or null";
    Napi::Object t = item.As<Napi::Object>();
    Napi::Value buffer = t.Get("buffer");
    Napi::Value capacity = t.Get("capacity");
    if (env.IsExceptionPending()) return std::string();
    if (!buffer.IsArrayBuffer()) return at + ".buffer must be an ArrayBuffer";
    if (!capacity.IsNumber()) return at + ".capacity must be a number";
    const double cap = capacity.As<Napi::Number>().DoubleValue();
    if (!(cap >= 0 && cap <= 4294967295.0) || cap != static_cast<double>(static_cast<uint64_t>(cap))) {
      return at + ".capacity must be a whole number";
    }
    Napi::ArrayBuffer ab = buffer.As<Napi::ArrayBuffer>();
    Reuse& r = out->reuse[i];
    r.present = true;
    r.data = static_cast<uint8_t*>(ab.Data());
    r.length = ab.ByteLength();
    r.capacity = static_cast<size_t>(cap);
    const std::string problem = read_reused_columns(env, t, at, &r);
    if (env.IsExceptionPending() || !problem.empty()) return problem;
  }
  return std::string();
}

// RawSample from a finished baton; takes the memory of its tables and owners. Empty value
// with an exception pending on failure.
Napi::Value baton_to_js(Napi::Env env, SampleBaton& baton, Napi::Object request) {
  if (baton.out_of_memory) {
    js::throw_allocation_failed(env);
    return Napi::Value();
  }
  const SampleRequest& req = baton.request;
  Napi::Array files = Napi::Array::New(env, req.files.size());
  for (size_t i = 0; i < req.files.size(); i++) {
    FileOutcome& outcome = baton.files[i];
    Napi::Object file = Napi::Object::New(env);
    file.Set("name", req.files[i]);
    file.Set("source", outcome.source);
    if (outcome.error != nullptr) {
      file.Set("error", outcome.error);
      file.Set("table", env.Null());
    } else {
      Napi::Value reuse;
      if (i < req.reuse.size() && req.reuse[i].present) {
        reuse = request.Get("reuse").As<Napi::Array>().Get(static_cast<uint32_t>(i));
        if (env.IsExceptionPending()) return Napi::Value();
      }
      Napi::Value table = js::table_to_js(env, outcome.table, reuse);
      if (env.IsExceptionPending()) return Napi::Value();
      file.Set("error", env.Null());
      file.Set("table", table);
      if (outcome.netlink_error != nullptr) file.Set("netlinkError", outcome.netlink_error);
      if (outcome.row_text.rows() > 0) {
        Napi::Value text = js::row_text_to_js(env, outcome.row_text);
        if (env.IsExceptionPending()) return Napi::Value();
        file.Set("rowText", text);
      }
      if (outcome.bytecode_sent) {
        file.Set("filterInKernel", outcome.filter_in_kernel);
        if (outcome.kernel_rejected != nullptr) file.Set("kernelRejected", outcome.kernel_rejected);
      }
    }
    files.Set(static_cast<uint32_t>(i), file);
    if (env.IsExceptionPending()) return Napi::Value();
  }
  Napi::Value owners = env.Null();
  if (req.owners) {
    owners = js::owners_to_js(env, baton.owners);
    if (env.IsExceptionPending()) return Napi::Value();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("files", files);
  result.Set("owners", owners);
  if (env.IsExceptionPending()) return Napi::Value();
  return result;
}

// sampleAsync: Execute() runs run_sample on the libuv pool and touches nothing of Node-API;
// the JavaScript result is built back on the main thread in OnOK().
class SampleWorker : public Napi::AsyncWorker {
 public:
  SampleWorker(Napi::Env env, std::unique_ptr<SampleBaton> baton, Napi::Object request)
      : Napi::AsyncWorker(env, "netsnap.sampleAsync"), deferred_(Napi::Promise::Deferred::New(env)),
        baton_(std::move(baton)), request_(Napi::Persistent(request)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    baton_->leave_a_cpu = true;
    const ThreadNameScope name(kSampleThreadName);
    const GiveWayScope give_way_to(g_give_way.load(std::memory_order_relaxed) ? &loop_ : nullptr);
    run_sample(*baton_);
    // Recorded as data; OnError() turns it into the same RangeError sample() would throw.
    if (baton_->out_of_memory) SetError("Array buffer allocation failed");
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value result = baton_to_js(env, *baton_, request_.Value());
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error&) override {
    deferred_.Reject(js::allocation_failed_error(Env()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<SampleBaton> baton_;
  // The thread of the event loop that asked (constructed on it), which the sample's threads give
  // their CPU to when it waits for one (give_way.h).
  const LoopThread loop_;
  // Keeps the request, and the buffers of request.reuse that Execute() writes into, alive.
  Napi::ObjectReference request_;
};

}  // namespace

Napi::Value SetFeedLockstep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    js::throw_type_error(env, "setFeedLockstep: on must be a boolean");
    return Napi::Value();
  }
  g_feed_lockstep.store(info[0].As<Napi::Boolean>().Value());
  return env.Undefined();
}

Napi::Value SetGiveWay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    js::throw_type_error(env, "setGiveWay: on must be a boolean");
    return Napi::Value();
  }
  g_give_way.store(info[0].As<Napi::Boolean>().Value(), std::memory_order_relaxed);
  return env.Undefined();
}

Napi::Value GiveWayCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object counts = Napi::Object::New(env);
  counts.Set("waits", Napi::Number::New(env, static_cast<double>(g_give_way_counts.waits.load())));
  counts.Set("pauses", Napi::Number::New(env, static_cast<double>(g_give_way_counts.pauses.load())));
  return counts;
}

// parseAsideDumps() -> how many dumps of this process had their records parsed aside (a test hook).
Napi::Value ParseAsideDumps(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(parse_aside_dumps()));
}

Napi::Value Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SampleBaton baton;
  const std::string problem = read_request(env, info[0], "sample: ", &baton.request);
  if (env.IsExceptionPending()) return Napi::Value();
  if (!problem.empty()) {
    js::throw_type_error(env, problem);
    return Napi::Value();
  }
  run_sample(baton);
  return baton_to_js(env, baton, info[0].As<Napi::Object>());
}

Napi::Value SampleAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Like the TypeScript backend, sampleAsync reports every failure through its promise and
  // never throws: a bad request is a rejection with the TypeError sample() would throw.
  auto baton = std::make_unique<SampleBaton>();
  const std::string problem = read_request(env, info[0], "sampleAsync: ", &baton->request);
  if (env.IsExceptionPending() || !problem.empty()) {
    Napi::Value error = env.IsExceptionPending() ? env.GetAndClearPendingException().Value()
                                                 : Napi::TypeError::New(env, problem).Value();
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(error);
    return deferred.Promise();
  }
  auto* worker = new SampleWorker(env, std::move(baton), info[0].As<Napi::Object>());  // deletes itself after OnOK/OnError
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace netsnap
