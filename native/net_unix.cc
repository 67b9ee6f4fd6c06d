#include "net_unix.h"

#include <cstring>

#include "layout.h"
#include "lines.h"
#include "problems.h"
#include "scan.h"

namespace netsnap {

uint32_t parse_unix_line(const uint8_t* bytes, size_t start, size_t eol, bool terminated, UnixRow* row) {
  using namespace problem;
  Span tok[7];
  const size_t n = tokenize(bytes, start, eol, tok, 7);
  if (n == 0) return kUnixLineIgnored;  // blank line
  // A last line without its newline was cut: its inode or path may be cut mid-value.
  if (!terminated) return kUnixCutOff;
  if (n < 7) return kUnixTooFewFields;
  // Every token below comes from tokenize(): non-empty and inside [start, eol).

  // Num: the kernel address of the socket, hex, followed by ':'. Only validated.
  uint64_t num = 0;
  const size_t num_end = tok[0].end - 1;
  if (bytes[num_end] != ':' || !parse_hex(bytes, tok[0].start, num_end, 16, &num)) return kUnixBadNum;
  uint64_t ref = 0;
  if (!parse_hex(bytes, tok[1].start, tok[1].end, 8, &ref)) return kUnixBadRefCount;
  uint64_t prot = 0;
  if (!parse_hex(bytes, tok[2].start, tok[2].end, 8, &prot)) return kUnixBadProtocol;
  uint64_t flags = 0;
  if (!parse_hex(bytes, tok[3].start, tok[3].end, 8, &flags)) return kUnixBadFlags;
  uint64_t type = 0;
  if (!parse_hex(bytes, tok[4].start, tok[4].end, 4, &type)) return kUnixBadType;
  uint64_t st = 0;
  if (!parse_hex(bytes, tok[5].start, tok[5].end, 2, &st)) return kUnixBadState;
  uint64_t inode = 0;
  if (!parse_dec(bytes, tok[6].start, tok[6].end, 16, kInodeMax, &inode)) return kUnixBadInode;
  // Every value was range-checked by its parser, so the narrowing casts below are exact.
  row->inode = static_cast<double>(inode);
  row->ref_count = static_cast<uint32_t>(ref);
  row->protocol = static_cast<uint32_t>(prot);
  row->flags = static_cast<uint32_t>(flags);
  row->type = static_cast<uint16_t>(type);
  row->state = static_cast<uint8_t>(st);
  // One separator byte follows the inode; everything after it, spaces included, is the
  // path as the kernel printed it (abstract names as `@name`).
  const size_t p = tok[6].end + 1;
  row->path_start = p < eol ? p : eol;
  row->path_len = p < eol ? eol - p : 0;
  return kUnixLineRow;
}

void store_unix_row(uint8_t* out, const UnixLayout& L, size_t r, const UnixRow& row) {
  store<double>(out, L.inode, r, row.inode);
  store<uint32_t>(out, L.ref_count, r, row.ref_count);
  store<uint32_t>(out, L.protocol, r, row.protocol);
  store<uint32_t>(out, L.flags, r, row.flags);
  store<uint16_t>(out, L.type, r, row.type);
  store<uint8_t>(out, L.state, r, row.state);
  // A row without a path reads 0/0 even when the memory held an older table's row.
  store<uint32_t>(out, L.path_start, r, 0);
  store<uint32_t>(out, L.path_len, r, 0);
}

namespace {

// parse_unix()'s sink: fixed capacity and pool.
struct FixedUnixSink {
  uint8_t* out;
  size_t capacity;
  UnixLayout L;
  uint8_t* pool;
  size_t pool_capacity;
  std::vector<uint32_t>& problems;
  size_t count = 0;
  size_t pool_used = 0;
  bool begin(const uint8_t*, size_t) { return true; }
  void too_long(size_t line_no) {
    if (line_no == 1) return;
    problems.push_back(static_cast<uint32_t>(line_no));
    problems.push_back(problem::kUnixTooLong);
  }
  bool line(const uint8_t* bytes, size_t start, size_t eol, size_t line_no, bool terminated) {
    if (line_no == 1) return true;  // header
    UnixRow row;
    const uint32_t code = parse_unix_line(bytes, start, eol, terminated, &row);
    if (code == kUnixLineIgnored) return true;
    if (code != kUnixLineRow) {
      // Line numbers wrap like the JS side's Uint32Array.from() would.
      problems.push_back(static_cast<uint32_t>(line_no));
      problems.push_back(code);
      return true;
    }
    if (count >= capacity) return true;  // only with a capacity below row_capacity()
    const size_t r = count++;
    store_unix_row(out, L, r, row);
    if (row.path_len > 0 && row.path_len <= pool_capacity - pool_used) {
      std::memcpy(pool + pool_used, bytes + row.path_start, row.path_len);
      // pathStart/pathLen are Uint32 columns; offsets wrap like the JS typed-array stores.
      store<uint32_t>(out, L.path_start, r, static_cast<uint32_t>(pool_used));
      store<uint32_t>(out, L.path_len, r, static_cast<uint32_t>(row.path_len));
      pool_used += row.path_len;
    }
    return true;
  }
};

}  // namespace

size_t parse_unix(const uint8_t* bytes, size_t len, uint8_t* out, size_t capacity, uint8_t* pool,
                  size_t pool_capacity, std::vector<uint32_t>& problems, size_t* rows) {
  *rows = 0;
  if (!unix_capacity_fits(capacity)) return 0;  // no caller could have allocated such a buffer
  FixedUnixSink sink{out, capacity, unix_layout(capacity), pool, pool_capacity, problems};
  memory_lines(bytes, len, kUnixLineMax, sink);
  *rows = sink.count;
  return sink.pool_used;
}

}  // namespace netsnap
