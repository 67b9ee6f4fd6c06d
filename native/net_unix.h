// /proc/net/unix: bytes in, columns out. Pure C++ (no Node-API) so fuzz harnesses can link it.
#ifndef NETSNAP_NET_UNIX_H_
#define NETSNAP_NET_UNIX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace netsnap {

// Parses `bytes` with exactly the algorithm of src/backends/js/net_unix.ts.
//
// out: zero-filled, at least unix_layout(capacity).byte_length bytes; rows are written straight
//   into its columns. Rows without a path keep pathStart = pathLen = 0.
// capacity: normally row_capacity(bytes, len); rows beyond it are never written.
// pool / pool_capacity: receives the path bytes of all rows back to back. Paths are pieces of
//   distinct lines, so pool_capacity = len always suffices; a path that would not fit (only
//   with a smaller pool) leaves its row without a path. `pool` may be null when pool_capacity
//   is 0.
// problems: receives (1-based line number, problem code) pairs for skipped lines.
// rows: receives the number of rows written.
// Returns the number of pool bytes used.
constexpr uint32_t kUnixLineRow = 0;
constexpr uint32_t kUnixLineIgnored = 0xffffffffu;  // blank

// One parsed line; the path is bytes[path_start, path_start + path_len) of the line's input.
struct UnixRow {
  double inode;
  uint32_t ref_count, protocol, flags;
  uint16_t type;
  uint8_t state;
  size_t path_start, path_len;
};

// One line [start, eol) (not the header): kUnixLineRow with *row filled, kUnixLineIgnored, or a
// problem code. terminated: a '\n' followed the line.
uint32_t parse_unix_line(const uint8_t* bytes, size_t start, size_t eol, bool terminated, UnixRow* row);
struct UnixLayout;
// Stores the row with pathStart = pathLen = 0; the caller stores the path.
void store_unix_row(uint8_t* out, const UnixLayout& L, size_t r, const UnixRow& row);

size_t parse_unix(const uint8_t* bytes, size_t len, uint8_t* out, size_t capacity, uint8_t* pool,
                  size_t pool_capacity, std::vector<uint32_t>& problems, size_t* rows);

}  // namespace netsnap

#endif  // NETSNAP_NET_UNIX_H_
