// /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}: bytes in, columns out.
// Pure C++ (no Node-API) so fuzz harnesses can link it on its own.
#ifndef NETSNAP_NET_INET_H_
#define NETSNAP_NET_INET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace netsnap {

// Parses `bytes` with exactly the algorithm of src/backends/js/net_inet.ts.
//
// want_drops: the file is not tcp, so lines carry 13 fields and the 13th is `drops`.
// little_endian: how the kernel printed each 32-bit address word (the host's byte order).
// out: zero-filled, at least inet_layout(capacity).byte_length bytes. Rows are written
//   straight into its columns; rows the parser does not fill stay zero.
// capacity: normally row_capacity(bytes, len), which bounds the number of rows. Rows beyond
//   `capacity` are never written (that can only happen when a caller passes a smaller value).
// problems: receives (1-based line number, problem code) pairs for skipped lines.
// state_mask: when not null, a valid line whose state st is >= 32 or lacks bit (1 << st) in
//   *state_mask is skipped without a problem (netsnap -l asks only for LISTEN).
// Returns the number of rows written. `bytes` may hold anything (NULs, no final newline).
// Results of parse_inet_line() that are not problem codes (problems.h).
constexpr uint32_t kLineRow = 0;
constexpr uint32_t kLineIgnored = 0xffffffffu;  // blank, or filtered out by the state mask

// One parsed line, ready for store_inet_row().
struct InetRow {
  uint8_t local_addr[16], remote_addr[16];
  uint16_t local_port, remote_port;
  uint8_t family, state, timer_kind;
  uint32_t tx_queue, rx_queue, timer_jiffies, retransmits, uid, timeout, drops;
  double inode;
};

// One line [start, eol) (not the header): kLineRow with *row filled, kLineIgnored, or a problem
// code. terminated: a '\n' followed the line (a last line without one is cut off).
uint32_t parse_inet_line(const uint8_t* bytes, size_t start, size_t eol, bool terminated, bool want_drops,
                         bool little_endian, const uint32_t* state_mask, InetRow* row);
struct InetLayout;
void store_inet_row(uint8_t* out, const InetLayout& L, size_t r, const InetRow& row);

size_t parse_inet(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, uint8_t* out,
                  size_t capacity, std::vector<uint32_t>& problems, const uint32_t* state_mask = nullptr);

}  // namespace netsnap

#endif  // NETSNAP_NET_INET_H_
