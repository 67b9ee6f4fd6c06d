#include "unix_parser.h"

#include <cstring>

#include "layout.h"
#include "problems.h"
#include "scan.h"

namespace netsnap {

size_t parse_unix(const uint8_t* bytes, size_t len, uint8_t* out, size_t capacity, uint8_t* pool,
                  size_t pool_capacity, std::vector<uint32_t>& problems, size_t* rows) {
  using namespace problem;
  *rows = 0;
  if (!unix_capacity_fits(capacity)) return 0;  // no caller could have allocated such a buffer
  const UnixLayout L = unix_layout(capacity);
  Span tok[7];
  size_t count = 0;
  size_t pool_used = 0;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < len) {
    const size_t eol = find_byte(bytes, '\n', pos, len);
    const size_t start = pos;
    pos = eol + 1;
    line_no++;
    if (line_no == 1) continue;  // header
    const size_t n = tokenize(bytes, start, eol, tok, 7);
    if (n == 0) continue;  // blank line
    // Line numbers wrap like the JS side's Uint32Array.from() would.
    const auto fail = [&](uint32_t code) {
      problems.push_back(static_cast<uint32_t>(line_no));
      problems.push_back(code);
    };
    // A last line without its newline was cut: its inode or path may be cut mid-value.
    if (eol == len) {
      fail(kUnixCutOff);
      continue;
    }
    if (n < 7) {
      fail(kUnixTooFewFields);
      continue;
    }
    // Every token below comes from tokenize(): non-empty and inside [start, eol).

    // Num: the kernel address of the socket, hex, followed by ':'. Only validated.
    uint64_t num = 0;
    const size_t num_end = tok[0].end - 1;
    if (bytes[num_end] != ':' || !parse_hex(bytes, tok[0].start, num_end, 16, &num)) {
      fail(kUnixBadNum);
      continue;
    }
    uint64_t ref = 0;
    if (!parse_hex(bytes, tok[1].start, tok[1].end, 8, &ref)) {
      fail(kUnixBadRefCount);
      continue;
    }
    uint64_t prot = 0;
    if (!parse_hex(bytes, tok[2].start, tok[2].end, 8, &prot)) {
      fail(kUnixBadProtocol);
      continue;
    }
    uint64_t flags = 0;
    if (!parse_hex(bytes, tok[3].start, tok[3].end, 8, &flags)) {
      fail(kUnixBadFlags);
      continue;
    }
    uint64_t type = 0;
    if (!parse_hex(bytes, tok[4].start, tok[4].end, 4, &type)) {
      fail(kUnixBadType);
      continue;
    }
    uint64_t st = 0;
    if (!parse_hex(bytes, tok[5].start, tok[5].end, 2, &st)) {
      fail(kUnixBadState);
      continue;
    }
    uint64_t inode = 0;
    if (!parse_dec(bytes, tok[6].start, tok[6].end, 16, kInodeMax, &inode)) {
      fail(kUnixBadInode);
      continue;
    }
    // row_capacity() counts every line but the header, so this only trips for a caller that
    // passed a smaller capacity; the line is then dropped rather than written out of bounds.
    if (count >= capacity) continue;
    // The whole line is valid: commit it. Every value was range-checked by its parser, so
    // the narrowing casts below are exact.
    const size_t r = count++;
    store<double>(out, L.inode, r, static_cast<double>(inode));
    store<uint32_t>(out, L.ref_count, r, static_cast<uint32_t>(ref));
    store<uint32_t>(out, L.protocol, r, static_cast<uint32_t>(prot));
    store<uint32_t>(out, L.flags, r, static_cast<uint32_t>(flags));
    store<uint16_t>(out, L.type, r, static_cast<uint16_t>(type));
    store<uint8_t>(out, L.state, r, static_cast<uint8_t>(st));
    // A row without a path reads 0/0 even when the memory held an older table's row.
    store<uint32_t>(out, L.path_start, r, 0);
    store<uint32_t>(out, L.path_len, r, 0);
    // One separator byte follows the inode; everything after it, spaces included, is the
    // path as the kernel printed it (abstract names as `@name`).
    const size_t p = tok[6].end + 1;
    if (p < eol) {
      const size_t path_len = eol - p;
      if (path_len <= pool_capacity - pool_used) {
        std::memcpy(pool + pool_used, bytes + p, path_len);
        // pathStart/pathLen are Uint32 columns; offsets wrap like the JS typed-array stores.
        store<uint32_t>(out, L.path_start, r, static_cast<uint32_t>(pool_used));
        store<uint32_t>(out, L.path_len, r, static_cast<uint32_t>(path_len));
        pool_used += path_len;
      }
    }
  }
  *rows = count;
  return pool_used;
}

}  // namespace netsnap
