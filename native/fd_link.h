// The target of a /proc/PID/fd/N link. Pure C++ (no Node-API) so fuzz harnesses can link it.
#ifndef NETSNAP_FD_LINK_H_
#define NETSNAP_FD_LINK_H_

#include <cstddef>
#include <cstdint>

namespace netsnap {

// Inode of a `socket:[INODE]` (or, on very old kernels, `[0000]:INODE`) link target, or -1.
// Same rules as src/owners/fd_link.ts: 1..16 decimal digits, at most 2^53 - 1.
// `link` may be null when len is 0.
double parse_socket_link(const uint8_t* link, size_t len);

}  // namespace netsnap

#endif  // NETSNAP_FD_LINK_H_
