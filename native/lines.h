// Line splitting for the /proc/net parsers, over bytes in memory or streamed from a file in
// chunks (src/backends/js/lines.ts mirrors it). Both drivers hand a sink the same lines with the
// same numbers, so a table parsed from memory and one streamed from a file of the same bytes are
// identical. Pure C++ (no Node-API).
#ifndef NETSNAP_LINES_H_
#define NETSNAP_LINES_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "give_way.h"
#include "scan.h"

namespace netsnap {

// STREAM_CHUNK, INET_LINE_MAX, UNIX_LINE_MAX in src/model/contract.ts.
constexpr size_t kStreamChunk = 1 << 20;
constexpr size_t kInetLineMax = 64 * 1024;
constexpr size_t kUnixLineMax = 1 << 20;
// Tables start at row_capacity() of the first chunk and double, to at least this, when full.
constexpr size_t kGrowMin = 1024;

inline size_t grown_capacity(size_t capacity) { return capacity * 2 > kGrowMin ? capacity * 2 : kGrowMin; }

// Sink: bool begin(const uint8_t* first, size_t n); bool line(const uint8_t* bytes, size_t start,
// size_t eol, size_t line_no, bool terminated); void too_long(size_t line_no). begin/line return
// false when memory cannot be had.

// The lines of bytes[0, len): a line longer than `max` (without its '\n') goes to too_long().
// Returns false when the sink ran out of memory.
template <class Sink>
bool memory_lines(const uint8_t* bytes, size_t len, size_t max, Sink& sink) {
  // The first chunk the streamed path would see: tables come out identical either way.
  if (!sink.begin(bytes, len < kStreamChunk ? len : kStreamChunk)) return false;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < len) {
    const size_t eol = find_byte(bytes, '\n', pos, len);
    const bool terminated = eol < len;
    line_no++;
    if (eol - pos > max) {
      sink.too_long(line_no);
    } else if (!sink.line(bytes, pos, eol, line_no, terminated)) {
      return false;
    }
    pos = eol + 1;
  }
  return true;
}

// Streams the file at `path` (relative to dir_fd) through `sink`, kStreamChunk bytes at a time:
// `buf` (the caller's reusable scratch) holds one chunk plus at most one partial line of `max`
// bytes. Each chunk is read full (or to EOF), so what the sink sees depends on the bytes only.
// Returns 0 or an errno value (ENOMEM when the sink could not grow).
template <class Sink>
int stream_lines(int dir_fd, const char* path, size_t max, std::vector<uint8_t>& buf, Sink& sink) {
  int fd;
  do {
    fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  const size_t need = max + kStreamChunk;
  if (buf.size() < need) buf.resize(need);
  uint8_t* const b = buf.data();
  size_t carry = 0;  // bytes of a partial line at the front of buf
  size_t line_no = 0;
  bool skipping = false;  // inside a too-long line (numbered line_no), until its '\n'
  bool first = true;
  int err = 0;
  for (;;) {
    size_t filled = carry;
    const size_t end = carry + kStreamChunk;
    bool eof = false;
    while (filled < end) {
      give_way();
      const ssize_t n = read(fd, b + filled, end - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      filled += static_cast<size_t>(n);
    }
    if (err != 0) break;
    if (first) {
      if (!sink.begin(b, filled)) {
        err = ENOMEM;
        break;
      }
      first = false;
    }
    size_t pos = 0;
    if (skipping) {
      const size_t nl = find_byte(b, '\n', 0, filled);
      if (nl == filled) {
        carry = 0;
        if (eof) {
          sink.too_long(line_no);
          break;
        }
        continue;
      }
      sink.too_long(line_no);
      skipping = false;
      pos = nl + 1;
    }
    for (;;) {
      const size_t nl = find_byte(b, '\n', pos, filled);
      if (nl == filled) break;
      line_no++;
      if (nl - pos > max) {
        sink.too_long(line_no);
      } else if (!sink.line(b, pos, nl, line_no, true)) {
        err = ENOMEM;
        break;
      }
      pos = nl + 1;
    }
    if (err != 0) break;
    const size_t rest = filled - pos;
    if (eof) {
      if (rest > 0) {
        line_no++;
        if (rest > max) {
          sink.too_long(line_no);
        } else if (!sink.line(b, pos, filled, line_no, false)) {
          err = ENOMEM;
        }
      }
      break;
    }
    if (rest > max) {
      line_no++;
      skipping = true;
      carry = 0;
    } else {
      std::memmove(b, b + pos, rest);
      carry = rest;
    }
  }
  close(fd);  // read-only: nothing to lose on a failed close
  return err;
}

}  // namespace netsnap

#endif  // NETSNAP_LINES_H_
