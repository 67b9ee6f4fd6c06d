// Column layouts of the table buffers, identical to inetLayout()/unixLayout() in
// src/model/contract.ts: column after column, widest element first so every column stays aligned,
// each column `element size * capacity` bytes long. Values are stored in host byte order, which is
// what the typed-array views on the JavaScript side read.
#ifndef NETSNAP_LAYOUT_H_
#define NETSNAP_LAYOUT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace netsnap {

struct InetLayout {
  size_t inode, tx_queue, rx_queue, timer_jiffies, retransmits, uid, timeout, drops;
  size_t local_port, remote_port, local_addr, remote_addr, family, state, timer_kind;
  size_t byte_length;
};

struct UnixLayout {
  size_t inode, ref_count, protocol, flags, path_start, path_len, type, state;
  size_t byte_length;
};

// Bytes one row occupies across all columns; the layouts below add up to exactly this.
constexpr size_t kInetRowBytes = 8 + 4 * 7 + 2 * 2 + 16 * 2 + 1 * 3;
constexpr size_t kUnixRowBytes = 8 + 4 * 5 + 2 + 1;

// True when a table of `capacity` rows has a byte length representable in size_t. The layout
// functions below rely on their caller having checked this.
inline bool inet_capacity_fits(size_t capacity) { return capacity <= SIZE_MAX / kInetRowBytes; }
inline bool unix_capacity_fits(size_t capacity) { return capacity <= SIZE_MAX / kUnixRowBytes; }

namespace layout_detail {
// Hands out consecutive column ranges, like the `at` closure in contract.ts.
class Cursor {
 public:
  explicit Cursor(size_t capacity) : capacity_(capacity) {}
  size_t at(size_t element_bytes) {
    const size_t start = offset_;
    offset_ += element_bytes * capacity_;
    return start;
  }
  size_t end() const { return offset_; }

 private:
  size_t capacity_;
  size_t offset_ = 0;
};
}  // namespace layout_detail

// Caller checked inet_capacity_fits(capacity).
inline InetLayout inet_layout(size_t capacity) {
  layout_detail::Cursor c(capacity);
  InetLayout l;
  l.inode = c.at(8);
  l.tx_queue = c.at(4);
  l.rx_queue = c.at(4);
  l.timer_jiffies = c.at(4);
  l.retransmits = c.at(4);
  l.uid = c.at(4);
  l.timeout = c.at(4);
  l.drops = c.at(4);
  l.local_port = c.at(2);
  l.remote_port = c.at(2);
  l.local_addr = c.at(16);
  l.remote_addr = c.at(16);
  l.family = c.at(1);
  l.state = c.at(1);
  l.timer_kind = c.at(1);
  l.byte_length = c.end();
  return l;
}

// The inet columns of a layout as (offset, bytes per row), in layout order.
struct ColumnSpan {
  size_t offset, width;
};
inline std::array<ColumnSpan, 15> inet_columns(const InetLayout& l) {
  return {{{l.inode, 8}, {l.tx_queue, 4}, {l.rx_queue, 4}, {l.timer_jiffies, 4}, {l.retransmits, 4},
           {l.uid, 4}, {l.timeout, 4}, {l.drops, 4}, {l.local_port, 2}, {l.remote_port, 2},
           {l.local_addr, 16}, {l.remote_addr, 16}, {l.family, 1}, {l.state, 1}, {l.timer_kind, 1}}};
}

// Removes the rows at `rows` (increasing) from `n` rows of `width` bytes at `base`, the others
// kept in order at the front. Returns how many are left.
inline size_t compact_rows(uint8_t* base, size_t n, size_t width, const std::vector<size_t>& rows) {
  size_t w = 0;
  size_t k = 0;
  for (size_t r = 0; r < n; r++) {
    if (k < rows.size() && rows[k] == r) {
      k++;
      continue;
    }
    if (w != r) std::memmove(base + w * width, base + r * width, width);
    w++;
  }
  return w;
}

// Caller checked unix_capacity_fits(capacity).
inline UnixLayout unix_layout(size_t capacity) {
  layout_detail::Cursor c(capacity);
  UnixLayout l;
  l.inode = c.at(8);
  l.ref_count = c.at(4);
  l.protocol = c.at(4);
  l.flags = c.at(4);
  l.path_start = c.at(4);
  l.path_len = c.at(4);
  l.type = c.at(2);
  l.state = c.at(1);
  l.byte_length = c.end();
  return l;
}

// Upper bound on the rows of a /proc/net file: every line but the header (rowCapacity() in
// contract.ts). Both backends size their tables with it, so equal input gives equal buffers.
inline size_t row_capacity(const uint8_t* bytes, size_t len) {
  if (len == 0) return 0;  // also keeps memchr away from a null `bytes`
  size_t lines = 0;
  const uint8_t* p = bytes;
  const uint8_t* const end = bytes + len;
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (nl == nullptr) break;
    lines++;
    p = static_cast<const uint8_t*>(nl) + 1;
  }
  if (bytes[len - 1] != '\n') lines++;
  return lines > 1 ? lines - 1 : 0;
}

// Writes one element of a column. memcpy because the column offset is only as aligned as the
// caller's buffer, and the compiler turns it into a plain store anyway.
// Caller guarantees row < capacity of the layout `column` came from, and that `out` holds
// that layout's byte_length bytes.
template <typename T>
inline void store(uint8_t* out, size_t column, size_t row, T value) {
  std::memcpy(out + column + row * sizeof(T), &value, sizeof(T));
}

}  // namespace netsnap

#endif  // NETSNAP_LAYOUT_H_
