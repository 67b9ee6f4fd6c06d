// Fuzz harness for the /proc/net/{tcp,udp,udplite,raw}{,6} parser (native/net_inet.h), through
// build_inet_table() (native/table.h) exactly as the addon calls it.
//
// Every input is parsed 8 ways: tcp (10 fields, no drops) and udp (13 fields, drops), little- and
// big-endian address words, without and with a state mask (LISTEN | ESTABLISHED). Each time:
// - invariants: capacity == row_capacity(input), count <= capacity, problems come in pairs whose
//   line number lies in 2..(number of lines) and whose code is an inet code; rows have family 4/6,
//   state < 256 and, with the mask, a state in the mask; IPv4 rows keep bytes 4..15 of both
//   addresses zero; rows past count stay zero (the buffer was calloc'd).
// - parity with the reference decoder below: for EVERY line of the input (the reference decides
//   all of them: there is no line it gives up on) it computes either the row or the problem code,
//   and the native rows and problems must equal that list exactly, field by field.
// - reuse (little-endian, no mask): parsing again into the first table's memory (Reuse) gives the
//   same rows and problems.
// - trim_table (every way): capacity and byte length shrink to count rows, the rows stay the same.
//
// The reference (reference_inet()) restates the format from /work/shared/reference/procfs.md and
// src/backends/js/net_inet.ts in the plainest terms: line 1 is the header; a line of only blanks
// is skipped; fields are runs of non-blank bytes (blank = space or tab); tcp needs 10 fields, the
// others 13 (fields 11 and 12 are never read, anything after the needed fields is ignored); then
// the fields are checked in order sl, local, remote, family match, st, tx:rx, tr:when, retrnsmt,
// uid, timeout, inode, drops, the first failure naming the problem.
//
//   libFuzzer:  scripts/fuzz.sh builds it (clang++ -fsanitize=fuzzer,address,undefined).
//   standalone: g++ -DNETSNAP_STANDALONE_FUZZ ... runs the files/directories named on the command line.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "layout.h"
#include "problems.h"
#include "reference.h"
#include "standalone_driver.h"
#include "table.h"

namespace {

using namespace netsnap_ref;

struct Row {
  uint8_t family, state, timer_kind;
  uint8_t local_addr[16], remote_addr[16];
  uint16_t local_port, remote_port;
  uint32_t tx, rx, when, retr, uid, timeout, drops;
  double inode;
};

struct Expected {
  std::vector<Row> rows;
  std::vector<uint32_t> problems;  // (line, code) pairs
};

bool endpoint(const std::string& s, bool little_endian, uint8_t addr[16], uint16_t* port, uint8_t* family) {
  std::string a, p;
  if (!split_colon(s, &a, &p)) return false;
  if (a.size() != 8 && a.size() != 32) return false;
  uint64_t pv;
  if (!hex(p, 4, &pv)) return false;
  std::memset(addr, 0, 16);
  for (size_t w = 0; w < a.size() / 8; w++) {
    // One 32-bit word per 8 digits, printed as the host stores it.
    uint64_t word;
    if (!hex(a.substr(w * 8, 8), 8, &word)) return false;
    for (int b = 0; b < 4; b++) {
      // Big-endian text order is the byte order of the printed number.
      const uint8_t byte_be = static_cast<uint8_t>(word >> (24 - 8 * b));
      addr[w * 4 + (little_endian ? 3 - b : b)] = byte_be;
    }
  }
  *port = static_cast<uint16_t>(pv);
  *family = a.size() == 8 ? 4 : 6;
  return true;
}

Expected reference_inet(const uint8_t* data, size_t size, bool udp, bool little_endian) {
  using namespace netsnap::problem;
  Expected e;
  const std::vector<std::string> lines = split_lines(data, size);
  const size_t needed = udp ? 13 : 10;
  for (size_t i = 1; i < lines.size(); i++) {
    const uint32_t line_no = static_cast<uint32_t>(i + 1);
    // Too long: skipped whatever it holds. Blank: ignored. The last line without its '\n': cut off.
    if (lines[i].size() > kRefInetLineMax) {
      e.problems.push_back(line_no);
      e.problems.push_back(kInetTooLong);
      continue;
    }
    const std::vector<Token> f = split_fields(lines[i]);
    if (f.empty()) continue;
    if (!line_terminated(i, lines.size(), data, size)) {
      e.problems.push_back(line_no);
      e.problems.push_back(kInetCutOff);
      continue;
    }
    uint32_t code = 0;
    Row r{};
    std::string a, b;
    uint64_t v1 = 0, v2 = 0, st = 0;
    uint8_t rfam = 0;
    if (f.size() < needed) {
      code = kInetTooFewFields;
    } else if (f[0].text.back() != ':' || !dec(f[0].text.substr(0, f[0].text.size() - 1), 10, kU32Max, &v1)) {
      code = kInetBadSlot;
    } else if (!endpoint(f[1].text, little_endian, r.local_addr, &r.local_port, &r.family)) {
      code = kInetBadLocal;
    } else if (!endpoint(f[2].text, little_endian, r.remote_addr, &r.remote_port, &rfam)) {
      code = kInetBadRemote;
    } else if (r.family != rfam) {
      code = kInetFamilyMismatch;
    } else if (!hex(f[3].text, 2, &st)) {
      code = kInetBadState;
    } else if (!split_colon(f[4].text, &a, &b) || !hex(a, 8, &v1) || !hex(b, 8, &v2)) {
      code = kInetBadQueues;
    } else {
      r.state = static_cast<uint8_t>(st);
      r.tx = static_cast<uint32_t>(v1);
      r.rx = static_cast<uint32_t>(v2);
      uint64_t x = 0;
      if (!split_colon(f[5].text, &a, &b) || !hex(a, 2, &v1) || !hex(b, 8, &v2)) {
        code = kInetBadTimer;
      } else if (r.timer_kind = static_cast<uint8_t>(v1), r.when = static_cast<uint32_t>(v2), !hex(f[6].text, 8, &x)) {
        code = kInetBadRetransmits;
      } else if (r.retr = static_cast<uint32_t>(x), !dec(f[7].text, 10, kU32Max, &x)) {
        code = kInetBadUid;
      } else if (r.uid = static_cast<uint32_t>(x), !dec(f[8].text, 10, kU32Max, &x)) {
        code = kInetBadTimeout;
      } else if (r.timeout = static_cast<uint32_t>(x), !dec(f[9].text, 16, kInodeMax, &x)) {
        code = kInetBadInode;
      } else if (r.inode = static_cast<double>(x), udp && !dec(f[12].text, 10, kU32Max, &x)) {
        code = kInetBadDrops;
      } else {
        r.drops = udp ? static_cast<uint32_t>(x) : 0;
      }
    }
    if (code != 0) {
      e.problems.push_back(line_no);
      e.problems.push_back(code);
      continue;
    }
    e.rows.push_back(r);
  }
  return e;
}

template <typename T>
T load(const uint8_t* buf, size_t column, size_t row) {
  T v;
  std::memcpy(&v, buf + column + row * sizeof(T), sizeof(T));
  return v;
}

Row native_row(const netsnap::Table& t, size_t r) {
  const netsnap::InetLayout L = netsnap::inet_layout(t.capacity);
  Row x{};
  x.family = load<uint8_t>(t.buffer, L.family, r);
  x.state = load<uint8_t>(t.buffer, L.state, r);
  x.timer_kind = load<uint8_t>(t.buffer, L.timer_kind, r);
  std::memcpy(x.local_addr, t.buffer + L.local_addr + r * 16, 16);
  std::memcpy(x.remote_addr, t.buffer + L.remote_addr + r * 16, 16);
  x.local_port = load<uint16_t>(t.buffer, L.local_port, r);
  x.remote_port = load<uint16_t>(t.buffer, L.remote_port, r);
  x.tx = load<uint32_t>(t.buffer, L.tx_queue, r);
  x.rx = load<uint32_t>(t.buffer, L.rx_queue, r);
  x.when = load<uint32_t>(t.buffer, L.timer_jiffies, r);
  x.retr = load<uint32_t>(t.buffer, L.retransmits, r);
  x.uid = load<uint32_t>(t.buffer, L.uid, r);
  x.timeout = load<uint32_t>(t.buffer, L.timeout, r);
  x.drops = load<uint32_t>(t.buffer, L.drops, r);
  x.inode = load<double>(t.buffer, L.inode, r);
  return x;
}

bool same_row(const Row& a, const Row& b) {
  return a.family == b.family && a.state == b.state && a.timer_kind == b.timer_kind &&
         std::memcmp(a.local_addr, b.local_addr, 16) == 0 && std::memcmp(a.remote_addr, b.remote_addr, 16) == 0 &&
         a.local_port == b.local_port && a.remote_port == b.remote_port && a.tx == b.tx && a.rx == b.rx &&
         a.when == b.when && a.retr == b.retr && a.uid == b.uid && a.timeout == b.timeout && a.drops == b.drops &&
         a.inode == b.inode;
}

// `all` is the reference decoding without a state mask; with one, its rows are filtered here.
void check(const uint8_t* data, size_t size, size_t lines, const Expected& all, bool udp, bool little_endian,
           const uint32_t* mask, bool with_reuse) {
  netsnap::Table t;
  if (!netsnap::build_inet_table(data, size, udp, little_endian, &t, nullptr, mask)) return;  // out of memory only
  Expected e;
  e.problems = all.problems;
  for (const Row& r : all.rows) {
    if (mask == nullptr || (r.state < 32 && ((*mask >> r.state) & 1u))) e.rows.push_back(r);
  }
  REF_CHECK(t.capacity == netsnap::row_capacity(data, size), "capacity %zu", t.capacity);
  REF_CHECK(t.capacity == (lines > 1 ? lines - 1 : 0), "capacity %zu for %zu lines", t.capacity, lines);
  REF_CHECK(t.count <= t.capacity, "count %zu > capacity %zu", t.count, t.capacity);
  REF_CHECK(t.byte_length == netsnap::inet_layout(t.capacity).byte_length, "byte_length %zu", t.byte_length);
  REF_CHECK(t.problems.size() % 2 == 0, "odd problems");
  for (size_t i = 0; i < t.problems.size(); i += 2) {
    REF_CHECK(t.problems[i] >= 2 && t.problems[i] <= lines, "problem line %u of %zu", t.problems[i], lines);
    REF_CHECK(t.problems[i + 1] >= 1 && t.problems[i + 1] <= 15, "problem code %u", t.problems[i + 1]);
  }
  REF_CHECK(e.problems == t.problems, "problems differ from the reference (%zu vs %zu entries)", t.problems.size(),
            e.problems.size());
  REF_CHECK(e.rows.size() == t.count, "rows: native %zu, reference %zu", t.count, e.rows.size());
  for (size_t r = 0; r < t.count; r++) {
    const Row x = native_row(t, r);
    REF_CHECK(x.family == 4 || x.family == 6, "row %zu family %u", r, x.family);
    if (mask != nullptr) REF_CHECK(x.state < 32 && ((*mask >> x.state) & 1u), "row %zu state %u not in mask", r, x.state);
    if (x.family == 4) {
      for (int b = 4; b < 16; b++) REF_CHECK(x.local_addr[b] == 0 && x.remote_addr[b] == 0, "row %zu v4 tail", r);
    }
    REF_CHECK(x.inode >= 0 && x.inode <= static_cast<double>(kInodeMax), "row %zu inode", r);
    if (!udp) REF_CHECK(x.drops == 0, "tcp row %zu drops", r);
    REF_CHECK(same_row(x, e.rows[r]), "row %zu differs from the reference", r);
  }
  // Rows past count were never written: still zero.
  if (t.capacity > t.count) {
    const netsnap::InetLayout L = netsnap::inet_layout(t.capacity);
    for (size_t r = t.count; r < t.capacity; r++) REF_CHECK(t.buffer[L.family + r] == 0, "row %zu past count written", r);
  }
  // Reuse: the same input into this table's memory (stale rows included) gives the same rows.
  if (with_reuse && t.buffer != nullptr) {
    std::vector<uint8_t> copy(t.buffer, t.buffer + t.byte_length);
    netsnap::Reuse reuse;
    reuse.present = true;
    reuse.data = copy.data();
    reuse.length = copy.size();
    reuse.capacity = t.capacity;
    netsnap::Table u;
    if (!netsnap::build_inet_table(data, size, udp, little_endian, &u, &reuse, mask)) return;
    REF_CHECK(u.buffer == copy.data() && u.count == t.count && u.problems == t.problems, "reuse differs");
    REF_CHECK(std::memcmp(copy.data(), t.buffer, t.byte_length) == 0, "reuse wrote other bytes");
  }
  // Trimmed (request.trim): the same rows in the layout of count rows, in a buffer of that length.
  const size_t count = t.count;
  netsnap::trim_table(t);
  REF_CHECK(t.capacity == count && t.count == count, "trimmed capacity %zu, count %zu of %zu", t.capacity, t.count, count);
  REF_CHECK(t.byte_length == netsnap::inet_layout(count).byte_length, "trimmed byte_length %zu", t.byte_length);
  REF_CHECK((t.buffer == nullptr) == (t.byte_length == 0), "trimmed buffer %p for %zu bytes", static_cast<void*>(t.buffer),
            t.byte_length);
  for (size_t r = 0; r < t.count; r++) REF_CHECK(same_row(native_row(t, r), e.rows[r]), "trimmed row %zu differs", r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint32_t listen_established = (1u << 10) | (1u << 1);
  const size_t lines = split_lines(data, size).size();
  for (int udp = 0; udp < 2; udp++) {
    for (int le = 0; le < 2; le++) {
      const Expected all = reference_inet(data, size, udp == 1, le == 1);
      // Reuse is checked once per protocol: it does not depend on the byte order or the mask.
      check(data, size, lines, all, udp == 1, le == 1, nullptr, le == 1);
      check(data, size, lines, all, udp == 1, le == 1, &listen_established, false);
    }
  }
  return 0;
}
