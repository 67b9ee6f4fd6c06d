#include "sockstat.h"

#include <cstring>

namespace netsnap {
namespace {

bool blank(uint8_t c) { return c == ' ' || c == '\t'; }

// [*line, *end) is the first line of text[0, n) that starts with `prefix`; false when none.
bool find_line(const uint8_t* text, size_t n, const char* prefix, size_t* line, size_t* end) {
  const size_t k = std::strlen(prefix);
  size_t start = 0;
  while (start < n) {
    size_t stop = start;
    while (stop < n && text[stop] != '\n') stop++;
    if (stop - start >= k && std::memcmp(text + start, prefix, k) == 0) {
      *line = start + k;
      *end = stop;
      return true;
    }
    start = stop + 1;
  }
  return false;
}

// The value after the first field equal to `key` in text[from, end).
bool value_of(const uint8_t* text, size_t from, size_t end, const char* key, uint64_t* out) {
  const size_t k = std::strlen(key);
  size_t i = from;
  bool after_key = false;
  while (i < end) {
    while (i < end && blank(text[i])) i++;
    if (i == end) break;
    size_t j = i;
    while (j < end && !blank(text[j])) j++;
    if (after_key) {
      if (j - i > 18) return false;
      uint64_t v = 0;
      for (size_t d = i; d < j; d++) {
        if (text[d] < '0' || text[d] > '9') return false;
        v = v * 10 + static_cast<uint64_t>(text[d] - '0');
      }
      *out = v;
      return true;
    }
    after_key = j - i == k && std::memcmp(text + i, key, k) == 0;
    i = j;
  }
  return false;
}

}  // namespace

bool tcp_sockstat(const uint8_t* v4, size_t n4, const uint8_t* v6, size_t n6, TcpSockstat* out) {
  size_t line = 0, end = 0;
  TcpSockstat c;
  if (!find_line(v4, n4, "TCP: ", &line, &end)) return false;
  if (!value_of(v4, line, end, "inuse", &c.inuse4) || !value_of(v4, line, end, "tw", &c.tw)) return false;
  if (n6 > 0) {
    if (!find_line(v6, n6, "TCP6: ", &line, &end)) return false;
    if (!value_of(v6, line, end, "inuse", &c.inuse6)) return false;
  }
  *out = c;
  return true;
}

}  // namespace netsnap
