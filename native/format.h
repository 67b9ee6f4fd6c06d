// netstat's Internet rows, numeric, formatted in C++ (`formatInetRows`): the rows of `netsnap -tan`,
// `-tuna`, `-tanp` and the like, byte for byte what src/format/netstat.ts's writeInetRow writes with
// numeric hosts and ports and without -e, -o or escaping. A short listing's start is mostly Node
// loading and then this loop, run once on a cold JIT in JavaScript (bench/startup.mjs shows what
// the rows cost). The caller (src/cli/listing.ts) chooses it only where it applies, and
// the TypeScript backend always formats in TypeScript.
//
// Everything comes in as plain columns whose lengths the caller checked (js_api.cc checks them
// against the JavaScript arrays): no pointer is followed past them.
#ifndef NETSNAP_FORMAT_H_
#define NETSNAP_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace netsnap {

struct InetColumns {
  size_t count = 0;  // rows; every column below holds at least this many (addresses: 16 bytes each)
  const uint8_t* family = nullptr;
  const uint8_t* state = nullptr;
  const uint8_t* local_addr = nullptr;
  const uint8_t* remote_addr = nullptr;
  const uint16_t* local_port = nullptr;
  const uint16_t* remote_port = nullptr;
  const uint32_t* tx_queue = nullptr;
  const uint32_t* rx_queue = nullptr;
  const double* inode = nullptr;
};

// RawOwners' columns (src/model/contract.ts): entries sorted by (inode, pid, fd), processes by pid.
struct OwnerColumns {
  size_t entries = 0;  // inodes and pids hold this many
  const double* inodes = nullptr;
  const int32_t* pids = nullptr;
  size_t processes = 0;  // proc_pids, name_start and name_len hold this many
  const int32_t* proc_pids = nullptr;
  const uint32_t* name_start = nullptr;
  const uint32_t* name_len = nullptr;
  size_t strings_len = 0;
  const uint8_t* strings = nullptr;
};

struct DetailColumns;

enum class RowProto { kTcp, kUdp, kRaw };
// netstat's -a, -l or neither: every row, the servers, or the others (inetRowShown).
enum class RowShow { kAll, kServers, kOthers };

struct RowFormat {
  const uint8_t* label = nullptr;  // the Proto cell with its spaces ("tcp   ", "udp6  ")
  size_t label_len = 0;
  // For kTcp and kUdp: the State cell of each state byte, 16 bytes each (256 of them): its length
  // (at most 15; NEW_SYN_RECV passes the 11 of the column), then its bytes.
  const uint8_t* state_cells = nullptr;
  RowProto proto = RowProto::kTcp;
  RowShow show = RowShow::kAll;
  bool wide = false;
  const OwnerColumns* owners = nullptr;  // non-null: the "PID/Program name" column (-p)
  // Non-null: each row is followed by its detail line (format_detail_line), row i of the columns
  // being row detail_first + i of `details`; the caller's room per row grows by detail_room().
  const DetailColumns* details = nullptr;
  size_t detail_first = 0;
};

// The detail line that --info, --memory and --cgroup print under a TCP row, in ss's words, order
// and number formats (iproute2 misc/ss.c: tcp_stats_print, print_skmeminfo and the cgroup column):
// `\t cgroup:/x skmem:(r0,rb131072,...) cubic wscale:7,7 rto:204 rtt:0.03/0.015 ...\n`. Times are
// ms with C's %g, rates bits/s (sprint_bw: %.0f with -n, else 3 significant digits and k/M/G/T).
// The columns are a netlink table's RawTcpExtensions (src/model/tcp_info.ts), all of them decoded,
// column-major with `rows` rows; the caller (js_api.cc) checked every length.
struct DetailColumns {
  size_t rows = 0;
  const uint8_t* state = nullptr;      // rows
  const uint16_t* info_len = nullptr;  // rows: INET_DIAG_INFO bytes (0: none)
  const uint32_t* info_u32 = nullptr;  // kTcpInfoU32Columns * rows
  const double* info_f64 = nullptr;    // kTcpInfoF64Columns * rows
  const uint8_t* cong = nullptr;       // rows: 0 none, else name cong - 1
  // The congestion control names: name k is cong_text[cong_ends[k - 1] (0 for k = 0), cong_ends[k]).
  size_t cong_names = 0;
  const uint8_t* cong_text = nullptr;
  const uint32_t* cong_ends = nullptr;
  const uint8_t* mem_count = nullptr;  // rows: SK_MEMINFO values sent (0: none)
  const uint32_t* mem = nullptr;       // kSkMemFields * rows, or null (not asked: no skmem)
  const uint64_t* cgroup_id = nullptr;  // rows, or null (no cgroup ids)
  // The text shown for each cgroup id (its path, escaped as the listing escapes, or
  // `unreachable:<hex>`): cgroup_ids increasing, text k at [cgroup_ends[k - 1], cgroup_ends[k]).
  size_t cgroups = 0;
  const uint64_t* cgroup_ids = nullptr;
  const uint32_t* cgroup_ends = nullptr;
  const uint8_t* cgroup_text = nullptr;
  size_t cgroup_text_max = 0;  // the longest of those texts
  bool info = false, memory = false, cgroup = false;
  bool numeric = false;  // -n: rates as whole bits/s
  bool tcp = true;       // the tcp_info part is TCP's alone
};

// The most one detail line takes beyond its cgroup text (every field at its longest, %.0f rates of
// 2^64 included): src/model/contract.ts's FORMAT_DETAIL_MAX.
constexpr size_t kDetailMax = 1536;
inline size_t detail_room(const DetailColumns& d) { return kDetailMax + d.cgroup_text_max; }

// Writes row r's detail line (r < d.rows) at `out`, which has room for detail_room(d) bytes;
// returns its length, 0 for a row with nothing to show (TIME_WAIT and request sockets).
size_t format_detail_line(const DetailColumns& d, size_t r, char* out);

// The most one row takes beyond its label: queues (10 digits each) and spaces, two endpoints (a wide
// IPv6 one is 45 + 1 + 5 bytes), the state cell, " PID/Program name" and the newline: 159 bytes.
constexpr size_t kRowMax = 192;  // src/model/contract.ts's FORMAT_ROW_MAX
// The longest Proto cell a caller may give (formatInetRows, request.rowText), and the State cells'
// bytes (256 slots of 16).
constexpr size_t kMaxRowLabel = 64;
constexpr size_t kStateCellsBytes = 256 * 16;

class OwnerLookup;

// Writes the rows [0, cols.count) that `f.show` keeps at `buffer`, which holds at least
// cols.count * (f.label_len + kRowMax) bytes; returns the bytes written. `lookup` finds f.owners'
// inodes (null: one is made for this call).
size_t format_inet_rows(const InetColumns& cols, const RowFormat& f, char* buffer, const OwnerLookup* lookup = nullptr);

// The columns format_inet_rows() reads of rows [first, first + count) of a table buffer in
// layout.h's inet layout for `capacity` rows (first + count <= capacity, the caller's check).
InetColumns inet_columns_of(const uint8_t* buffer, size_t capacity, size_t first, size_t count);

// Rows formatted a chunk at a time (format_inet_rows) into one malloc'd text that grows as needed
// and goes to JavaScript whole (release()): sample.cc's rows of tcp and tcp6 formatted during the
// dump. Once an allocation fails the text is void (failed(); nothing more is appended).
class RowText {
 public:
  RowText() = default;
  RowText(const RowText&) = delete;
  RowText& operator=(const RowText&) = delete;
  RowText(RowText&& o) noexcept { take(o); }
  RowText& operator=(RowText&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      take(o);
    }
    return *this;
  }
  ~RowText() { std::free(data_); }

  // Makes room for `rows` rows of f (one allocation up front for the rows a sample expects).
  bool reserve(size_t rows, const RowFormat& f);
  // Appends rows [first, first + count) of a table buffer (inet_columns_of) as `f` formats them.
  bool append(const uint8_t* buffer, size_t capacity, size_t first, size_t count, const RowFormat& f,
              const OwnerLookup* lookup);
  size_t rows() const { return rows_; }
  size_t size() const { return size_; }
  bool failed() const { return failed_; }
  // The text, malloc'd, now the caller's (null when empty); the RowText is empty after.
  char* release();

 private:
  char* data_ = nullptr;
  size_t size_ = 0, room_ = 0, rows_ = 0;
  bool failed_ = false;
  bool grow(size_t need);
  void take(RowText& o) {
    data_ = o.data_;
    size_ = o.size_;
    room_ = o.room_;
    rows_ = o.rows_;
    failed_ = o.failed_;
    o.data_ = nullptr;
    o.size_ = o.room_ = o.rows_ = 0;
    o.failed_ = false;
  }
};

// Fewest owner entries for an OwnerLookup table (ownerLookup() makes none for fewer).
constexpr size_t kOwnerLookupMinEntries = 256;

// Whether a call of `lookups` rows builds an OwnerLookup table over `entries` inodes for itself (one
// pass over all of them) rather than searching them once per row: from a thirtieth of them.
inline bool owner_lookup_pays(size_t entries, size_t lookups) {
  return entries >= kOwnerLookupMinEntries && lookups >= entries / 32;
}

// Whether every process's name lies inside `strings` (checked once before formatting).
bool owner_names_fit(const OwnerColumns& owners);

// The first index of an inode in owners.inodes, as a binary search over them finds it, or -1. With
// `indexed`, a table of where each range of inode numbers starts in the sorted inodes is built first
// (one pass; worth it for many lookups: a binary search over a hundred thousand inodes misses the
// cache at most of its seventeen steps): socket inodes come from one counter, so a range holds one or
// two.
// Inodes that are not sorted integers (only a caller's bad arrays) are searched as they are.
class OwnerLookup {
 public:
  OwnerLookup(const double* inodes, size_t entries, bool indexed);
  // A table made earlier over these inodes (table(), lo(), shift(); ownerLookup() keeps it beside
  // the owner index between calls), taken as it is when its bounds fit the inodes' first and last
  // and its length fits that span; else one is built as above. Its starts are not trusted: each
  // range is cut to the entries, so a table of other inodes gives wrong answers, never a read
  // outside them.
  OwnerLookup(const double* inodes, size_t entries, const uint32_t* starts, size_t n_starts, uint64_t lo, unsigned shift);
  long find(double inode) const;
  bool indexed() const { return starts_ != nullptr; }
  const uint32_t* table() const { return starts_; }
  size_t table_size() const { return n_starts_; }
  uint64_t lo() const { return lo_; }
  unsigned shift() const { return shift_; }
  // For a lookup some rows ahead (with the table): the range's start into the cache, then, rows later,
  // the entry it points at and that entry's element of `also` (the pids).
  void prefetch_range(double inode) const {
    if (in_table(inode)) __builtin_prefetch(&starts_[range(inode)]);
  }
  void prefetch_entry(double inode, const int32_t* also) const {
    if (!in_table(inode)) return;
    const uint32_t e = starts_[range(inode)];
    if (e < entries_) {
      __builtin_prefetch(&inodes_[e]);
      __builtin_prefetch(&also[e]);
    }
  }

 private:
  const double* inodes_;
  size_t entries_;
  uint64_t lo_ = 0, hi_ = 0;
  unsigned shift_ = 0;
  std::vector<uint32_t> own_;  // the table when built here
  // starts_[k]: the first entry whose (inode - lo_) >> shift_ is k or more; n_starts_ = ranges + 1.
  const uint32_t* starts_ = nullptr;
  size_t n_starts_ = 0;

  void build();
  // Whether there is a table and the inode lies in [lo_, hi_], its span (then range() < n_starts_ - 1).
  bool in_table(double inode) const {
    return starts_ != nullptr && inode >= static_cast<double>(lo_) && inode <= static_cast<double>(hi_);
  }
  // The range of an inode that in_table().
  size_t range(double inode) const { return static_cast<size_t>((static_cast<uint64_t>(inode) - lo_) >> shift_); }
  // Whether the inodes' first and last are integers in [0, 2^53) in order; sets lo_, hi_.
  bool bounds();
};

}  // namespace netsnap

#endif  // NETSNAP_FORMAT_H_
