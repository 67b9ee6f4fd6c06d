// Reference decoding for the fuzz harnesses: deliberately naive (std::string, one line at a
// time, explicit character checks before strtoull) and written without looking at scan.h, so
// that a harness can compare the native parsers' rows with an independent reading of the same
// bytes. Speed does not matter here; being obviously right does.
#ifndef NETSNAP_FUZZ_REFERENCE_H_
#define NETSNAP_FUZZ_REFERENCE_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace netsnap_ref {

// A harness's input read front to back; past its end every byte reads as 0.
struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  bool more() const { return pos < size; }
  size_t left() const { return pos < size ? size - pos : 0; }
  void bytes(void* out, size_t n) {
    auto* o = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < n; i++) o[i] = byte();
  }
  template <typename T>
  T load() {
    uint8_t b[sizeof(T)] = {0};
    bytes(b, sizeof b);
    T v;
    std::memcpy(&v, b, sizeof v);
    return v;
  }
};

constexpr uint64_t kU32Max = 0xffffffffull;
constexpr uint64_t kInodeMax = 9007199254740991ull;  // 2^53 - 1

// A failed check: print what and abort (libFuzzer then saves the input as a crash).
#define REF_CHECK(cond, ...)                                                       \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "check failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                           \
      std::fprintf(stderr, "\n");                                                  \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

// The lines of a /proc/net file: split on '\n'; a final '\n' does not start another line.
inline std::vector<std::string> split_lines(const uint8_t* data, size_t size) {
  std::vector<std::string> lines;
  std::string s(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    lines.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

// Whether line i of split_lines() ended with its '\n' (only the last line of a file can lack one).
inline bool line_terminated(size_t i, size_t line_count, const uint8_t* data, size_t size) {
  return i + 1 < line_count || (size > 0 && data[size - 1] == '\n');
}

// The longest line (without its '\n') the parsers take: longer ones are skipped as "too long"
// (64 KiB for tcp/udp/raw files, 1 MiB for unix), whatever they hold.
constexpr size_t kRefInetLineMax = 64 * 1024;
constexpr size_t kRefUnixLineMax = 1024 * 1024;

struct Token {
  std::string text;
  size_t end;  // offset in the line just past the token
};

// Fields separated by runs of spaces and tabs (nothing else is a separator: not NUL, not '\r').
inline std::vector<Token> split_fields(const std::string& line) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    i = line.find_first_not_of(" \t", i);
    if (i == std::string::npos) break;
    size_t j = line.find_first_of(" \t", i);
    if (j == std::string::npos) j = line.size();
    out.push_back(Token{line.substr(i, j - i), j});
    i = j;
  }
  return out;
}

inline bool only(const std::string& s, const char* alphabet) {
  for (char c : s) {
    bool ok = false;
    for (const char* a = alphabet; *a; a++) ok = ok || c == *a;
    if (!ok) return false;
  }
  return true;
}

// Hex text of 1..max_digits digits (no sign, no 0x, nothing else), as a number.
inline bool hex(const std::string& s, size_t max_digits, uint64_t* v) {
  if (s.empty() || s.size() > max_digits || !only(s, "0123456789abcdefABCDEF")) return false;
  *v = std::strtoull(s.c_str(), nullptr, 16);
  return true;
}

// Decimal text of 1..max_digits digits, at most `limit`.
inline bool dec(const std::string& s, size_t max_digits, uint64_t limit, uint64_t* v) {
  if (s.empty() || s.size() > max_digits || !only(s, "0123456789")) return false;
  const uint64_t x = std::strtoull(s.c_str(), nullptr, 10);  // <= 19 digits: no overflow
  if (x > limit) return false;
  *v = x;
  return true;
}

// "A:B" split at the first ':'.
inline bool split_colon(const std::string& s, std::string* a, std::string* b) {
  const size_t c = s.find(':');
  if (c == std::string::npos) return false;
  *a = s.substr(0, c);
  *b = s.substr(c + 1);
  return true;
}

}  // namespace netsnap_ref

#endif  // NETSNAP_FUZZ_REFERENCE_H_
