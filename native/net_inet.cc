#include "net_inet.h"

#include <cstring>

#include "layout.h"
#include "lines.h"
#include "problems.h"
#include "scan.h"

namespace netsnap {
namespace {

struct Endpoint {
  uint8_t addr[16];
  uint16_t port;
  uint8_t family;  // 4 or 6
};

// Parses "ADDR:PORT" (ADDR of 8 or 32 hex digits). [start, end) is a token from tokenize(),
// so it lies inside the input.
bool parse_endpoint(const uint8_t* bytes, size_t start, size_t end, bool little_endian, Endpoint* ep) {
  const size_t colon = find_byte(bytes, ':', start, end);
  if (colon == end) return false;
  const size_t hex_len = colon - start;
  if (hex_len != 8 && hex_len != 32) return false;
  uint64_t port = 0;
  if (!parse_hex(bytes, colon + 1, end, 4, &port)) return false;
  // Each 8-digit group is one 32-bit word printed from memory in host order: its bytes are
  // reversed on a little-endian host and taken as they are on a big-endian one.
  // Reads stay below `colon` (< end): g + 2 * b + 1 < hex_len.
  for (size_t g = 0; g < hex_len; g += 8) {
    for (size_t b = 0; b < 4; b++) {
      const int hi = hex_digit(bytes[start + g + 2 * b]);
      const int lo = hex_digit(bytes[start + g + 2 * b + 1]);
      if (hi < 0 || lo < 0) return false;
      ep->addr[g / 2 + (little_endian ? 3 - b : b)] = static_cast<uint8_t>(hi * 16 + lo);
    }
  }
  // An IPv4 address fills 4 of the 16 bytes; the rest must not keep another line's bytes.
  std::memset(ep->addr + hex_len / 2, 0, 16 - hex_len / 2);
  ep->port = static_cast<uint16_t>(port);
  ep->family = hex_len == 8 ? 4 : 6;
  return true;
}

// "A:B" in one token, A of 1..a_digits and B of 1..b_digits hex digits. The colon is the first
// one in the token; a second colon lands in B and fails there, as in net_inet.ts.
bool parse_hex_pair(const uint8_t* bytes, const Span& t, size_t a_digits, size_t b_digits, uint64_t* a,
                    uint64_t* b) {
  const size_t colon = find_byte(bytes, ':', t.start, t.end);
  if (colon == t.end) return false;
  return parse_hex(bytes, t.start, colon, a_digits, a) && parse_hex(bytes, colon + 1, t.end, b_digits, b);
}

}  // namespace

uint32_t parse_inet_line(const uint8_t* bytes, size_t start, size_t eol, bool terminated, bool want_drops,
                         bool little_endian, const uint32_t* state_mask, InetRow* row) {
  using namespace problem;
  const size_t needed = want_drops ? 13 : 10;
  Span tok[13];
  const size_t n = tokenize(bytes, start, eol, tok, needed);
  if (n == 0) return kLineIgnored;  // blank line
  // The kernel ends every line with a newline: a last line without one was cut, and its
  // inode, drops or any other field may be cut mid-value (net_inet.ts does the same).
  if (!terminated) return kInetCutOff;
  if (n < needed) return kInetTooFewFields;
  // Every token below comes from tokenize(): non-empty and inside [start, eol).

  // sl: decimal slot number followed by ':'
  uint64_t sl = 0;
  const size_t sl_end = tok[0].end - 1;
  if (bytes[sl_end] != ':' || !parse_dec(bytes, tok[0].start, sl_end, 10, kU32Max, &sl)) return kInetBadSlot;
  Endpoint local, remote;
  if (!parse_endpoint(bytes, tok[1].start, tok[1].end, little_endian, &local)) return kInetBadLocal;
  if (!parse_endpoint(bytes, tok[2].start, tok[2].end, little_endian, &remote)) return kInetBadRemote;
  if (local.family != remote.family) return kInetFamilyMismatch;
  uint64_t st = 0;
  if (!parse_hex(bytes, tok[3].start, tok[3].end, 2, &st)) return kInetBadState;
  uint64_t tx = 0, rx = 0;
  if (!parse_hex_pair(bytes, tok[4], 8, 8, &tx, &rx)) return kInetBadQueues;
  uint64_t tr = 0, when = 0;
  if (!parse_hex_pair(bytes, tok[5], 2, 8, &tr, &when)) return kInetBadTimer;
  uint64_t retr = 0;
  if (!parse_hex(bytes, tok[6].start, tok[6].end, 8, &retr)) return kInetBadRetransmits;
  uint64_t uid = 0;
  if (!parse_dec(bytes, tok[7].start, tok[7].end, 10, kU32Max, &uid)) return kInetBadUid;
  uint64_t timeout = 0;
  if (!parse_dec(bytes, tok[8].start, tok[8].end, 10, kU32Max, &timeout)) return kInetBadTimeout;
  uint64_t inode = 0;
  if (!parse_dec(bytes, tok[9].start, tok[9].end, 16, kInodeMax, &inode)) return kInetBadInode;
  uint64_t drops = 0;
  if (want_drops && !parse_dec(bytes, tok[12].start, tok[12].end, 10, kU32Max, &drops)) return kInetBadDrops;
  // Filtered out by state (TCP with -l): a valid line, not a problem.
  if (state_mask != nullptr && (st >= 32 || ((*state_mask >> st) & 1u) == 0)) return kLineIgnored;
  // Every value was range-checked by its parser, so the narrowing casts below are exact.
  std::memcpy(row->local_addr, local.addr, 16);
  std::memcpy(row->remote_addr, remote.addr, 16);
  row->local_port = local.port;
  row->remote_port = remote.port;
  row->family = local.family;
  row->state = static_cast<uint8_t>(st);
  row->timer_kind = static_cast<uint8_t>(tr);
  row->tx_queue = static_cast<uint32_t>(tx);
  row->rx_queue = static_cast<uint32_t>(rx);
  row->timer_jiffies = static_cast<uint32_t>(when);
  row->retransmits = static_cast<uint32_t>(retr);
  row->uid = static_cast<uint32_t>(uid);
  row->timeout = static_cast<uint32_t>(timeout);
  row->drops = static_cast<uint32_t>(drops);
  row->inode = static_cast<double>(inode);
  return kLineRow;
}

void store_inet_row(uint8_t* out, const InetLayout& L, size_t r, const InetRow& row) {
  store<double>(out, L.inode, r, row.inode);
  store<uint32_t>(out, L.tx_queue, r, row.tx_queue);
  store<uint32_t>(out, L.rx_queue, r, row.rx_queue);
  store<uint32_t>(out, L.timer_jiffies, r, row.timer_jiffies);
  store<uint32_t>(out, L.retransmits, r, row.retransmits);
  store<uint32_t>(out, L.uid, r, row.uid);
  store<uint32_t>(out, L.timeout, r, row.timeout);
  store<uint32_t>(out, L.drops, r, row.drops);
  store<uint16_t>(out, L.local_port, r, row.local_port);
  store<uint16_t>(out, L.remote_port, r, row.remote_port);
  std::memcpy(out + L.local_addr + r * 16, row.local_addr, 16);
  std::memcpy(out + L.remote_addr + r * 16, row.remote_addr, 16);
  store<uint8_t>(out, L.family, r, row.family);
  store<uint8_t>(out, L.state, r, row.state);
  store<uint8_t>(out, L.timer_kind, r, row.timer_kind);
}

namespace {

// parse_inet()'s sink: a fixed capacity, rows past it dropped.
struct FixedInetSink {
  bool want_drops, little_endian;
  const uint32_t* state_mask;
  uint8_t* out;
  size_t capacity;
  InetLayout L;
  std::vector<uint32_t>& problems;
  size_t count = 0;
  bool begin(const uint8_t*, size_t) { return true; }
  void too_long(size_t line_no) {
    if (line_no == 1) return;
    problems.push_back(static_cast<uint32_t>(line_no));
    problems.push_back(problem::kInetTooLong);
  }
  bool line(const uint8_t* bytes, size_t start, size_t eol, size_t line_no, bool terminated) {
    if (line_no == 1) return true;  // header
    InetRow row;
    const uint32_t code = parse_inet_line(bytes, start, eol, terminated, want_drops, little_endian, state_mask, &row);
    if (code == kLineIgnored) return true;
    if (code != kLineRow) {
      // Line numbers wrap like the JS side's Uint32Array.from() would.
      problems.push_back(static_cast<uint32_t>(line_no));
      problems.push_back(code);
      return true;
    }
    if (count >= capacity) return true;  // only with a capacity below row_capacity()
    store_inet_row(out, L, count++, row);
    return true;
  }
};

}  // namespace

size_t parse_inet(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, uint8_t* out,
                  size_t capacity, std::vector<uint32_t>& problems, const uint32_t* state_mask) {
  if (!inet_capacity_fits(capacity)) return 0;  // no caller could have allocated such a buffer
  FixedInetSink sink{want_drops, little_endian, state_mask, out, capacity, inet_layout(capacity), problems};
  memory_lines(bytes, len, kInetLineMax, sink);
  return sink.count;
}

}  // namespace netsnap
