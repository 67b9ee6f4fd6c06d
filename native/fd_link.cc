#include "fd_link.h"

#include <cstring>

#include "scan.h"

namespace netsnap {
namespace {

constexpr char kSocket[] = "socket:[";
constexpr size_t kSocketLen = sizeof(kSocket) - 1;
constexpr char kOld[] = "[0000]:";
constexpr size_t kOldLen = sizeof(kOld) - 1;

bool starts_with(const uint8_t* link, size_t len, const char* prefix, size_t prefix_len) {
  return len >= prefix_len && std::memcmp(link, prefix, prefix_len) == 0;
}

}  // namespace

double parse_socket_link(const uint8_t* link, size_t len) {
  uint64_t inode = 0;
  if (starts_with(link, len, kSocket, kSocketLen)) {
    // At least one digit and the closing bracket.
    if (len < kSocketLen + 2 || link[len - 1] != ']') return -1;
    return parse_dec(link, kSocketLen, len - 1, 16, kInodeMax, &inode) ? static_cast<double>(inode) : -1;
  }
  if (starts_with(link, len, kOld, kOldLen)) {
    return parse_dec(link, kOldLen, len, 16, kInodeMax, &inode) ? static_cast<double>(inode) : -1;
  }
  return -1;
}

}  // namespace netsnap
