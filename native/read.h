// Reads whole /proc files. Pure C++ (no Node-API): runs on the libuv pool as well as the main
// thread, and each caller brings its own buffer.
#ifndef NETSNAP_READ_H_
#define NETSNAP_READ_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netsnap {

// Node refuses paths containing NUL before any system call and reports this code; the
// TypeScript backend passes that code on, so we do too.
constexpr const char kInvalidPathCode[] = "ERR_INVALID_ARG_VALUE";

// Reads the file at `path` (relative to `dir_fd`, or AT_FDCWD) until EOF into `buf`, which is
// the caller's reusable scratch: it grows by doubling (from 64 KiB) and is never shrunk,
// because /proc files report no useful size. On success *used is the file length and the
// bytes are buf[0, *used). Returns 0 or an errno value (reads interrupted by signals are
// retried; ENOMEM when the buffer cannot grow).
int read_whole_file(int dir_fd, const char* path, std::vector<uint8_t>& buf, size_t* used);

// The name Node gives `err` in err.code ("ENOENT", "EACCES", ...): libuv's name for every
// errno libuv knows; "EIO" for any other.
const char* errno_code(int err);

// True when `s` holds a NUL byte, which no system call can take as part of a path.
inline bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace netsnap

#endif  // NETSNAP_READ_H_
