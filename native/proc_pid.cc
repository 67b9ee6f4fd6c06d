#include "proc_pid.h"

#include <cstring>

#include "scan.h"

namespace netsnap {
namespace {

constexpr uint32_t kUnknownUid = 0xffffffff;

}  // namespace

size_t program_name(const uint8_t* cmdline, size_t len, size_t* start) {
  *start = 0;
  if (len == 0) return 0;
  const void* nul = std::memchr(cmdline, 0, len);
  const size_t end = nul == nullptr ? len : static_cast<size_t>(static_cast<const uint8_t*>(nul) - cmdline);
  if (end > 0 && cmdline[0] == '/') {
    // end > 0 and cmdline[0] == '/', so a last slash exists in [0, end).
    size_t slash = end - 1;
    while (cmdline[slash] != '/') slash--;
    *start = slash + 1;
    return end - (slash + 1);
  }
  return end;
}

size_t comm_length(const uint8_t* comm, size_t len) {
  return len > 0 && comm[len - 1] == '\n' ? len - 1 : len;
}

uint32_t status_uid(const uint8_t* s, size_t len) {
  size_t pos = 0;
  while (pos < len) {
    const size_t eol = find_byte(s, '\n', pos, len);
    if (eol - pos > 4 && s[pos] == 'U' && s[pos + 1] == 'i' && s[pos + 2] == 'd' && s[pos + 3] == ':') {
      // "Uid:\treal\teffective\tsaved\tfs": the second number. Each number must be 1..10
      // digits, end at a blank or the end of the line, and fit in 32 bits; only the first
      // "Uid:" line counts, as in proc_pid.ts.
      size_t i = pos + 4;
      int field = 0;
      while (i < eol) {
        while (i < eol && is_blank(s[i])) i++;
        const size_t first = i;
        uint64_t v = 0;
        while (i < eol && s[i] >= '0' && s[i] <= '9' && i - first < 10) v = v * 10 + static_cast<uint64_t>(s[i++] - '0');
        if (i == first || (i < eol && !is_blank(s[i])) || v > kU32Max) return kUnknownUid;
        if (field == 1) return static_cast<uint32_t>(v);
        field++;
      }
      return kUnknownUid;
    }
    pos = eol + 1;
  }
  return kUnknownUid;
}

}  // namespace netsnap
