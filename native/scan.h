// Byte-level field scanning shared by the native parsers; the port of src/bytes/scan.ts.
// Everything works on [start, end) ranges of one input buffer: no per-line strings.
// Every function here trusts `start <= end <= length of bytes`; each caller says where that
// comes from.
#ifndef NETSNAP_SCAN_H_
#define NETSNAP_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace netsnap {

constexpr uint64_t kU32Max = 0xffffffffu;
// 2^53 - 1: inodes stay exact in a double (Number.MAX_SAFE_INTEGER on the JavaScript side).
constexpr uint64_t kInodeMax = (uint64_t{1} << 53) - 1;

struct Span {
  size_t start;
  size_t end;
};

inline bool is_blank(uint8_t c) { return c == ' ' || c == '\t'; }

// Splits [start, end) on spaces and tabs into at most `max` tokens; returns how many.
// `out` has room for `max` spans.
inline size_t tokenize(const uint8_t* bytes, size_t start, size_t end, Span* out, size_t max) {
  size_t n = 0;
  size_t i = start;
  while (i < end && n < max) {
    while (is_blank(bytes[i])) {
      if (++i >= end) return n;
    }
    out[n].start = i;
    while (i < end && !is_blank(bytes[i])) i++;
    out[n].end = i;
    n++;
  }
  return n;
}

inline int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Hex number of 1..max_digits digits filling exactly [start, end). max_digits <= 16, so the
// value always fits. An empty or reversed range (end <= start) is invalid, as in scan.ts where
// the length comes out < 1.
inline bool parse_hex(const uint8_t* bytes, size_t start, size_t end, size_t max_digits, uint64_t* value) {
  if (end <= start || end - start > max_digits) return false;
  uint64_t v = 0;
  for (size_t i = start; i < end; i++) {
    const int d = hex_digit(bytes[i]);
    if (d < 0) return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  *value = v;
  return true;
}

// Decimal number of 1..max_digits digits filling exactly [start, end), at most `limit`.
// max_digits <= 19 keeps the accumulator from overflowing. (scan.ts computes in doubles; for
// the limits used here, 2^32 - 1 and 2^53 - 1, its comparison is exact, so the results agree.)
inline bool parse_dec(const uint8_t* bytes, size_t start, size_t end, size_t max_digits, uint64_t limit,
                      uint64_t* value) {
  if (end <= start || end - start > max_digits) return false;
  uint64_t v = 0;
  for (size_t i = start; i < end; i++) {
    const uint8_t c = bytes[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > limit) return false;
  *value = v;
  return true;
}

// Index of the first byte equal to `c` in [from, end), or `end`.
inline size_t find_byte(const uint8_t* bytes, uint8_t c, size_t from, size_t end) {
  if (from >= end) return end;
  const void* p = std::memchr(bytes + from, c, end - from);
  return p == nullptr ? end : static_cast<size_t>(static_cast<const uint8_t*>(p) - bytes);
}

}  // namespace netsnap

#endif  // NETSNAP_SCAN_H_
