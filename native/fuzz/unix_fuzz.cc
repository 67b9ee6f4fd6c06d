// Fuzz harness for the /proc/net/unix parser (native/net_unix.h), through build_unix_table()
// (native/table.h) exactly as the addon calls it.
//
// Checks, for every input:
// - invariants: capacity == row_capacity(input), count <= capacity, problems in (line, code) pairs
//   with the line in 2..(number of lines) and a unix code (20..27); every row's path range
//   [pathStart, pathStart + pathLen) lies inside the pool; the pool is no longer than the input.
// - parity with the reference decoder below, for EVERY line (it decides all of them): the row or
//   the problem code, field by field, and each row's path bytes.
// - reuse: parsing again into the first table's memory gives the same rows, problems and pool.
// - trim_table: capacity and byte length shrink to count rows, the rows and pool stay the same.
//
// The reference (reference_unix()) restates the format of /proc/net/unix plainly: line 1 is the
// header; a line of only blanks is skipped; fields are runs of non-blank bytes (blank = space or
// tab); 7 fields are needed: "Num:" (1..16 hex digits and a colon), RefCount, Protocol, Flags
// (1..8 hex digits each), Type (1..4), St (1..2), Inode (1..16 decimal digits, <= 2^53 - 1),
// checked in that order, the first failure naming the problem. The path is everything after the
// one byte that follows the inode field, up to the end of the line (blanks and all); none when
// that is empty.
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
  uint32_t ref_count, protocol, flags;
  uint16_t type;
  uint8_t state;
  double inode;
  std::string path;
};

struct Expected {
  std::vector<Row> rows;
  std::vector<uint32_t> problems;
};

Expected reference_unix(const uint8_t* data, size_t size) {
  using namespace netsnap::problem;
  Expected e;
  const std::vector<std::string> lines = split_lines(data, size);
  for (size_t i = 1; i < lines.size(); i++) {
    const uint32_t line_no = static_cast<uint32_t>(i + 1);
    const std::string& line = lines[i];
    // Too long: skipped whatever it holds. Blank: ignored. The last line without its '\n': cut off.
    if (line.size() > kRefUnixLineMax) {
      e.problems.push_back(line_no);
      e.problems.push_back(kUnixTooLong);
      continue;
    }
    const std::vector<Token> f = split_fields(line);
    if (f.empty()) continue;
    if (!line_terminated(i, lines.size(), data, size)) {
      e.problems.push_back(line_no);
      e.problems.push_back(kUnixCutOff);
      continue;
    }
    uint64_t v = 0;
    Row r{};
    uint32_t code = 0;
    if (f.size() < 7) {
      code = kUnixTooFewFields;
    } else if (f[0].text.back() != ':' || !hex(f[0].text.substr(0, f[0].text.size() - 1), 16, &v)) {
      code = kUnixBadNum;
    } else if (!hex(f[1].text, 8, &v)) {
      code = kUnixBadRefCount;
    } else if (r.ref_count = static_cast<uint32_t>(v), !hex(f[2].text, 8, &v)) {
      code = kUnixBadProtocol;
    } else if (r.protocol = static_cast<uint32_t>(v), !hex(f[3].text, 8, &v)) {
      code = kUnixBadFlags;
    } else if (r.flags = static_cast<uint32_t>(v), !hex(f[4].text, 4, &v)) {
      code = kUnixBadType;
    } else if (r.type = static_cast<uint16_t>(v), !hex(f[5].text, 2, &v)) {
      code = kUnixBadState;
    } else if (r.state = static_cast<uint8_t>(v), !dec(f[6].text, 16, kInodeMax, &v)) {
      code = kUnixBadInode;
    } else {
      r.inode = static_cast<double>(v);
      const size_t p = f[6].end + 1;
      if (p < line.size()) r.path = line.substr(p);
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

// The table's rows and path pool against the reference's, in the layout of t.capacity rows.
void check_rows(const netsnap::Table& t, const Expected& e) {
  const netsnap::UnixLayout L = netsnap::unix_layout(t.capacity);
  size_t pool_end = 0;
  for (size_t r = 0; r < t.count; r++) {
    const Row& x = e.rows[r];
    REF_CHECK(load<double>(t.buffer, L.inode, r) == x.inode, "row %zu inode", r);
    REF_CHECK(load<uint32_t>(t.buffer, L.ref_count, r) == x.ref_count, "row %zu refcount", r);
    REF_CHECK(load<uint32_t>(t.buffer, L.protocol, r) == x.protocol, "row %zu protocol", r);
    REF_CHECK(load<uint32_t>(t.buffer, L.flags, r) == x.flags, "row %zu flags", r);
    REF_CHECK(load<uint16_t>(t.buffer, L.type, r) == x.type, "row %zu type", r);
    REF_CHECK(load<uint8_t>(t.buffer, L.state, r) == x.state, "row %zu state", r);
    const uint32_t ps = load<uint32_t>(t.buffer, L.path_start, r);
    const uint32_t pl = load<uint32_t>(t.buffer, L.path_len, r);
    REF_CHECK(pl == x.path.size(), "row %zu path length %u, reference %zu", r, pl, x.path.size());
    if (pl > 0) {
      REF_CHECK(ps == pool_end, "row %zu path start %u, expected %zu", r, ps, pool_end);
      REF_CHECK(static_cast<size_t>(ps) + pl <= t.pool_length, "row %zu path past the pool", r);
      REF_CHECK(std::memcmp(t.pool + ps, x.path.data(), pl) == 0, "row %zu path bytes", r);
      pool_end += pl;
    } else {
      REF_CHECK(ps == 0, "row %zu pathless start %u", r, ps);
    }
  }
  REF_CHECK(pool_end == t.pool_length, "pool %zu, paths %zu", t.pool_length, pool_end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  netsnap::Table t;
  if (!netsnap::build_unix_table(data, size, &t)) return 0;  // out of memory only
  const size_t lines = split_lines(data, size).size();
  REF_CHECK(t.capacity == netsnap::row_capacity(data, size), "capacity %zu", t.capacity);
  REF_CHECK(t.capacity == (lines > 1 ? lines - 1 : 0), "capacity %zu for %zu lines", t.capacity, lines);
  REF_CHECK(t.count <= t.capacity, "count %zu > capacity %zu", t.count, t.capacity);
  REF_CHECK(t.pool_length <= size, "pool %zu > input %zu", t.pool_length, size);
  REF_CHECK(t.problems.size() % 2 == 0, "odd problems");
  for (size_t i = 0; i < t.problems.size(); i += 2) {
    REF_CHECK(t.problems[i] >= 2 && t.problems[i] <= lines, "problem line %u of %zu", t.problems[i], lines);
    REF_CHECK(t.problems[i + 1] >= 20 && t.problems[i + 1] <= 29, "problem code %u", t.problems[i + 1]);
  }
  const Expected e = reference_unix(data, size);
  REF_CHECK(e.problems == t.problems, "problems differ from the reference");
  REF_CHECK(e.rows.size() == t.count, "rows: native %zu, reference %zu", t.count, e.rows.size());
  check_rows(t, e);
  if (t.buffer != nullptr) {
    std::vector<uint8_t> copy(t.buffer, t.buffer + t.byte_length);
    netsnap::Reuse reuse;
    reuse.present = true;
    reuse.data = copy.data();
    reuse.length = copy.size();
    reuse.capacity = t.capacity;
    netsnap::Table u;
    if (!netsnap::build_unix_table(data, size, &u, &reuse)) return 0;
    REF_CHECK(u.count == t.count && u.problems == t.problems && u.pool_length == t.pool_length, "reuse differs");
    REF_CHECK(std::memcmp(copy.data(), t.buffer, t.byte_length) == 0, "reuse wrote other bytes");
    REF_CHECK(t.pool_length == 0 || std::memcmp(u.pool, t.pool, t.pool_length) == 0, "reuse pool differs");
  }
  // Trimmed (request.trim): the same rows in the layout of count rows, in a buffer of that length.
  const size_t count = t.count;
  netsnap::trim_table(t);
  REF_CHECK(t.capacity == count && t.count == count, "trimmed capacity %zu, count %zu of %zu", t.capacity, t.count, count);
  REF_CHECK(t.byte_length == netsnap::unix_layout(count).byte_length, "trimmed byte_length %zu", t.byte_length);
  REF_CHECK((t.buffer == nullptr) == (t.byte_length == 0), "trimmed buffer for %zu bytes", t.byte_length);
  check_rows(t, e);
  return 0;
}
