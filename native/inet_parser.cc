#include "inet_parser.h"

#include <cstring>

#include "layout.h"
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

size_t parse_inet(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, uint8_t* out,
                  size_t capacity, std::vector<uint32_t>& problems, const uint32_t* state_mask) {
  using namespace problem;
  if (!inet_capacity_fits(capacity)) return 0;  // no caller could have allocated such a buffer
  const InetLayout L = inet_layout(capacity);
  const size_t needed = want_drops ? 13 : 10;
  Span tok[13];
  size_t count = 0;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < len) {
    const size_t eol = find_byte(bytes, '\n', pos, len);
    const size_t start = pos;
    pos = eol + 1;
    line_no++;
    if (line_no == 1) continue;  // header
    const size_t n = tokenize(bytes, start, eol, tok, needed);
    if (n == 0) continue;  // blank line
    // Line numbers wrap like the JS side's Uint32Array.from() would.
    const auto fail = [&](uint32_t code) {
      problems.push_back(static_cast<uint32_t>(line_no));
      problems.push_back(code);
    };
    // The kernel ends every line with a newline: a last line without one was cut, and its
    // inode, drops or any other field may be cut mid-value (net_inet.ts does the same).
    if (eol == len) {
      fail(kInetCutOff);
      continue;
    }
    if (n < needed) {
      fail(kInetTooFewFields);
      continue;
    }
    // Every token below comes from tokenize(): non-empty and inside [start, eol).

    // sl: decimal slot number followed by ':'
    uint64_t sl = 0;
    const size_t sl_end = tok[0].end - 1;
    if (bytes[sl_end] != ':' || !parse_dec(bytes, tok[0].start, sl_end, 10, kU32Max, &sl)) {
      fail(kInetBadSlot);
      continue;
    }
    Endpoint local, remote;
    if (!parse_endpoint(bytes, tok[1].start, tok[1].end, little_endian, &local)) {
      fail(kInetBadLocal);
      continue;
    }
    if (!parse_endpoint(bytes, tok[2].start, tok[2].end, little_endian, &remote)) {
      fail(kInetBadRemote);
      continue;
    }
    if (local.family != remote.family) {
      fail(kInetFamilyMismatch);
      continue;
    }
    uint64_t st = 0;
    if (!parse_hex(bytes, tok[3].start, tok[3].end, 2, &st)) {
      fail(kInetBadState);
      continue;
    }
    uint64_t tx = 0, rx = 0;
    if (!parse_hex_pair(bytes, tok[4], 8, 8, &tx, &rx)) {
      fail(kInetBadQueues);
      continue;
    }
    uint64_t tr = 0, when = 0;
    if (!parse_hex_pair(bytes, tok[5], 2, 8, &tr, &when)) {
      fail(kInetBadTimer);
      continue;
    }
    uint64_t retr = 0;
    if (!parse_hex(bytes, tok[6].start, tok[6].end, 8, &retr)) {
      fail(kInetBadRetransmits);
      continue;
    }
    uint64_t uid = 0;
    if (!parse_dec(bytes, tok[7].start, tok[7].end, 10, kU32Max, &uid)) {
      fail(kInetBadUid);
      continue;
    }
    uint64_t timeout = 0;
    if (!parse_dec(bytes, tok[8].start, tok[8].end, 10, kU32Max, &timeout)) {
      fail(kInetBadTimeout);
      continue;
    }
    uint64_t inode = 0;
    if (!parse_dec(bytes, tok[9].start, tok[9].end, 16, kInodeMax, &inode)) {
      fail(kInetBadInode);
      continue;
    }
    uint64_t drops = 0;
    if (want_drops && !parse_dec(bytes, tok[12].start, tok[12].end, 10, kU32Max, &drops)) {
      fail(kInetBadDrops);
      continue;
    }
    // Filtered out by state (TCP with -l): a valid line, not a problem.
    if (state_mask != nullptr && (st >= 32 || ((*state_mask >> st) & 1u) == 0)) continue;
    // row_capacity() counts every line but the header, so this only trips for a caller that
    // passed a smaller capacity; the line is then dropped rather than written out of bounds.
    if (count >= capacity) continue;
    // The whole line is valid: commit it. Every value was range-checked by its parser, so
    // the narrowing casts below are exact.
    const size_t r = count++;
    store<double>(out, L.inode, r, static_cast<double>(inode));
    store<uint32_t>(out, L.tx_queue, r, static_cast<uint32_t>(tx));
    store<uint32_t>(out, L.rx_queue, r, static_cast<uint32_t>(rx));
    store<uint32_t>(out, L.timer_jiffies, r, static_cast<uint32_t>(when));
    store<uint32_t>(out, L.retransmits, r, static_cast<uint32_t>(retr));
    store<uint32_t>(out, L.uid, r, static_cast<uint32_t>(uid));
    store<uint32_t>(out, L.timeout, r, static_cast<uint32_t>(timeout));
    store<uint32_t>(out, L.drops, r, static_cast<uint32_t>(drops));
    store<uint16_t>(out, L.local_port, r, local.port);
    store<uint16_t>(out, L.remote_port, r, remote.port);
    std::memcpy(out + L.local_addr + r * 16, local.addr, 16);
    std::memcpy(out + L.remote_addr + r * 16, remote.addr, 16);
    store<uint8_t>(out, L.family, r, local.family);
    store<uint8_t>(out, L.state, r, static_cast<uint8_t>(st));
    store<uint8_t>(out, L.timer_kind, r, static_cast<uint8_t>(tr));
  }
  return count;
}

}  // namespace netsnap
