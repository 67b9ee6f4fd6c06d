// /proc/net/sockstat and sockstat6: the kernel's own count of a network namespace's sockets, which
// a one-shot sample reads to choose how to dump a small TCP table and how big to make its tables
// (sample.cc). A parser only: it takes bytes and touches no file, so the link fuzz harness runs it on
// its own. Pure C++.
#ifndef NETSNAP_SOCKSTAT_H_
#define NETSNAP_SOCKSTAT_H_

#include <cstddef>
#include <cstdint>

namespace netsnap {

// The TCP sockets sockstat (v4) and sockstat6 (v6) count: "inuse" and "tw" (the TIME_WAIT sockets
// of both families) of the first line that starts with "TCP: ", and "inuse" of the first line that
// starts with "TCP6: " (0 when v6 is empty: a kernel without IPv6 has no sockstat6). In such a line
// the fields are separated by runs of spaces and tabs; a key's value is the field after the first
// field equal to it, 1 to 18 decimal digits. False when a line, key or value is missing.
struct TcpSockstat {
  uint64_t inuse4 = 0, tw = 0, inuse6 = 0;
};
bool tcp_sockstat(const uint8_t* v4, size_t n4, const uint8_t* v6, size_t n6, TcpSockstat* out);

}  // namespace netsnap

#endif  // NETSNAP_SOCKSTAT_H_
