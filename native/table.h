// One parsed /proc/net table with its own memory: the buffers the JavaScript side receives
// without a copy. Pure C++ (no Node-API): tables are built on the libuv pool for sampleAsync.
#ifndef NETSNAP_TABLE_H_
#define NETSNAP_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "recycle.h"
#include "tcp_info.h"

namespace netsnap {

struct FilterProgram;  // filter.h

// The columns of a netlink table besides its column buffer that a table lent again may take back
// (RawInetTable's backlog, cookie, cgroupId, ifindex and ext's columns), in this order.
enum ReusableColumn : unsigned {
  kReuseBacklog,
  kReuseCookie,
  kReuseCgroupId,
  kReuseIfindex,
  kReuseInfoLen,
  kReuseInfoU32,
  kReuseInfoF64,
  kReuseCong,
  kReuseMemCount,
  kReuseMem,
  kReusableColumns
};

// Where one lent column's elements are: null data when none was lent (or it was unusable).
struct ReuseSpan {
  uint8_t* data = nullptr;
  size_t bytes = 0;
};

// Memory of an earlier table that JavaScript hands back to be filled again (the sampler's double
// buffering). The caller keeps the JavaScript objects alive and attached while the table is built.
struct Reuse {
  bool present = false;
  uint8_t* data = nullptr;  // the column buffer
  size_t length = 0;        // its byte length
  size_t capacity = 0;      // the row capacity its layout was made for
  // The table's other columns, each taken back by fill_reused_columns() when the new one fits.
  ReuseSpan columns[kReusableColumns];
};

struct Table {
  bool is_unix = false;
  // True when buffer points into a Reuse's memory: not ours to free or hand over. (Unix path
  // pools are small and sized to what was used, so they are never reused, as in net_unix.ts.)
  bool buffer_reused = false;
  // malloc'd column buffer in the layout of layout.h for `capacity` rows, or null when
  // byte_length is 0. Owned until release_buffer().
  uint8_t* buffer = nullptr;
  size_t byte_length = 0;
  size_t capacity = 0;
  size_t count = 0;
  // (1-based line number, problem code) pairs.
  std::vector<uint32_t> problems;
  // Unix tables only: malloc'd path bytes, pool_length long, or null when empty.
  uint8_t* pool = nullptr;
  size_t pool_length = 0;
  // Netlink inet tables only: the accept backlog maximum of LISTEN rows (0 for others), one per row.
  bool has_backlog = false;
  Column<uint32_t> backlog;
  // Netlink inet tables only: the socket cookie, INET_DIAG_CGROUP_ID (0 when the record has none)
  // and the bound device (idiag_if, 0 when unbound), one per row.
  bool has_ids = false;
  Column<uint64_t> cookie;
  Column<uint64_t> cgroup_id;
  Column<uint32_t> ifindex;
  // Netlink inet tables of a request with extensions: RawTcpExtensions.
  bool has_ext = false;
  TcpExtensions ext;
  // Bit k (ReusableColumn): column k went into the lent table's memory (fill_reused_columns), its own
  // vector emptied; reused_elements[k] is its length in elements.
  uint32_t columns_reused = 0;
  size_t reused_elements[kReusableColumns] = {};

  Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  Table(Table&& other) noexcept { *this = std::move(other); }
  Table& operator=(Table&& other) noexcept;
  ~Table() {
    if (!buffer_reused) std::free(buffer);
    std::free(pool);
  }

  // Hand the malloc'd memory to a new owner, who must free() it.
  uint8_t* release_buffer() {
    uint8_t* b = buffer;
    buffer = nullptr;
    return b;
  }
  uint8_t* release_pool() {
    uint8_t* p = pool;
    pool = nullptr;
    return p;
  }
};

// Allocate a zeroed table sized by row_capacity() and parse into it (net_inet.h,
// net_unix.h). Return false only when the memory cannot be had: a table is ~75 bytes per
// input line, so a huge input can ask for more than the machine has. `bytes` may be null when
// len is 0.
// With `reuse`, the rows go into its memory when they fit (its capacity holds row_capacity() rows
// and its buffer the layout for that capacity); rows past `count` then keep stale bytes, which no
// view shows. Otherwise a fresh table is allocated as without it.
// state_mask: when not null, only rows whose state st has bit (1 << st) set are kept (st < 32);
// the others are skipped silently (not problems).
// filter: when not null, a valid row for which the program (filter.h) is false is skipped silently
// too: never stored, its slot left as it was (/proc rows have no netlink extras: DEV and CGROUP
// are unknown there, INFO and RATIO false).
bool build_inet_table(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, Table* out,
                      const Reuse* reuse = nullptr, const uint32_t* state_mask = nullptr,
                      const FilterProgram* filter = nullptr);
bool build_unix_table(const uint8_t* bytes, size_t len, Table* out, const Reuse* reuse = nullptr);

// The same tables, streamed from the file at `path` (relative to dir_fd) in chunks (lines.h):
// holds one chunk (in `scratch`, the caller's reusable buffer) and the table, never the whole
// text. The table starts at row_capacity() of the first chunk (of the whole input for the
// in-memory builders above, where it never grows) and doubles, to at least kGrowMin rows, when a
// row does not fit; `reuse` is filled first and left behind (to its owner) when the table grows
// past it. Returns 0, an errno value from open/read, or ENOMEM when memory cannot be had.
int stream_inet_table(int dir_fd, const char* path, std::vector<uint8_t>& scratch, bool want_drops,
                      bool little_endian, Table* out, const Reuse* reuse = nullptr, const uint32_t* state_mask = nullptr,
                      const FilterProgram* filter = nullptr);
int stream_unix_table(int dir_fd, const char* path, std::vector<uint8_t>& scratch, Table* out,
                      const Reuse* reuse = nullptr);

// Shrinks the table's own column buffer to its rows: each column moves down to its offset in the
// layout of `count` rows, capacity becomes count, and the block is realloc'd to that length (freed
// at 0 rows). A growing table doubles, so up to half of a buffer can be headroom, which a table
// that is never filled again does not need. A reused buffer (not ours) is left as it is. Cannot
// fail: a block that realloc cannot shrink stays longer than byte_length, which is still valid.
void trim_table(Table& t);

// Copies each netlink column of a finished table (backlog, ids, extensions) into the same column of
// the table lent again (`reuse`) when it fits there, and frees its own (back to the recycle pool):
// a poller's tick then hands V8 no new ArrayBuffer memory for them, which would otherwise count
// towards the external memory that starts V8's major GCs. A lent span that overlaps another lent
// span (of this table or of `others`, every other span the request lent) is not written: a request
// that lends one memory twice gets fresh columns instead of one overwriting the other. Off the event
// loop (Execute()), after every task of the sample is done.
void fill_reused_columns(Table& t, const Reuse& reuse, const std::vector<const Reuse*>& others);

}  // namespace netsnap

#endif  // NETSNAP_TABLE_H_
