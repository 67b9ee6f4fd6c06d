// fill_reused_columns() (native/table.h): a finished netlink table's columns go into the columns of
// the table lent again when they fit there, and only then; a lent memory that overlaps another lent
// memory of the request is never written. Built with g++, ASan and UBSan by
// test/unit/reuse-columns.test.ts; prints "NAME pass" per check.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "checks.h"
#include "table.h"

namespace {

// A netlink table of `rows` rows with ids, backlog and extensions (two u32 fields per row, column-major).
netsnap::Table table_of(size_t rows) {
  netsnap::Table t;
  t.count = t.capacity = rows;
  t.has_backlog = t.has_ids = t.has_ext = true;
  for (size_t i = 0; i < rows; i++) {
    t.backlog.push_back(static_cast<uint32_t>(100 + i));
    t.cookie.push_back(0x1000000000ull + i);
    t.cgroup_id.push_back(0x2000000000ull + i);
    t.ifindex.push_back(static_cast<uint32_t>(i % 3));
    t.ext.info_len.push_back(static_cast<uint16_t>(232));
    t.ext.info_f64.push_back(1.5 * static_cast<double>(i));
    t.ext.cong.push_back(1);
    t.ext.mem_count.push_back(9);
  }
  for (size_t i = 0; i < 2 * rows; i++) t.ext.info_u32.push_back(static_cast<uint32_t>(7 * i));
  return t;
}

// Lent memory for every column of a table of `rows` rows, each column its own block.
struct Lent {
  std::vector<uint32_t> backlog, ifindex, info_u32, mem;
  std::vector<uint64_t> cookie, cgroup_id;
  std::vector<uint16_t> info_len;
  std::vector<double> info_f64;
  std::vector<uint8_t> cong, mem_count;
  netsnap::Reuse reuse;
  explicit Lent(size_t rows)
      : backlog(rows), ifindex(rows), info_u32(2 * rows), mem(9 * rows), cookie(rows), cgroup_id(rows), info_len(rows),
        info_f64(rows), cong(rows), mem_count(rows) {
    reuse.present = true;
    span(netsnap::kReuseBacklog, backlog);
    span(netsnap::kReuseCookie, cookie);
    span(netsnap::kReuseCgroupId, cgroup_id);
    span(netsnap::kReuseIfindex, ifindex);
    span(netsnap::kReuseInfoLen, info_len);
    span(netsnap::kReuseInfoU32, info_u32);
    span(netsnap::kReuseInfoF64, info_f64);
    span(netsnap::kReuseCong, cong);
    span(netsnap::kReuseMemCount, mem_count);
    span(netsnap::kReuseMem, mem);
  }
  template <typename V>
  void span(unsigned k, V& v) {
    reuse.columns[k].data = reinterpret_cast<uint8_t*>(v.data());
    reuse.columns[k].bytes = v.size() * sizeof(typename V::value_type);
  }
};

}  // namespace

int main() {
  int before = failures;
  {
    // Room for 8 rows, 5 used: every column goes in; the mem column (empty: no socket memory) stays new.
    Lent lent(8);
    netsnap::Table t = table_of(5);
    const std::vector<const netsnap::Reuse*> others{&lent.reuse};
    netsnap::fill_reused_columns(t, lent.reuse, others);
    const uint32_t all_but_mem = ((1u << netsnap::kReusableColumns) - 1) & ~(1u << netsnap::kReuseMem);
    check(t.columns_reused == all_but_mem, "fits", "every column but the empty mem taken back");
    check(t.backlog.empty() && t.cookie.empty() && t.ext.info_u32.empty(), "fits", "own columns emptied");
    check(t.reused_elements[netsnap::kReuseCookie] == 5 && t.reused_elements[netsnap::kReuseInfoU32] == 10, "fits",
          "lengths in elements");
    check(lent.cookie[4] == 0x1000000004ull && lent.cgroup_id[0] == 0x2000000000ull && lent.backlog[2] == 102, "fits",
          "values in the lent memory");
    check(lent.info_u32[9] == 63 && lent.info_f64[4] == 6.0 && lent.info_len[3] == 232 && lent.mem_count[1] == 9, "fits",
          "extension values in the lent memory");
    check(lent.cookie[5] == 0 && lent.cookie[7] == 0, "fits", "past the rows the lent memory is untouched");
  }
  report("fits", before);

  before = failures;
  {
    // Lent for 4 rows, 5 used: nothing fits, everything stays the table's own.
    Lent lent(4);
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, lent.reuse, {&lent.reuse});
    check(t.columns_reused == 0, "too-small", "nothing taken back");
    check(t.cookie.size() == 5 && t.ext.info_u32.size() == 10, "too-small", "own columns kept");
    check(lent.cookie[0] == 0 && lent.backlog[3] == 0, "too-small", "lent memory untouched");
  }
  report("too-small", before);

  before = failures;
  {
    // One column absent (not lent), one lent too small: those two stay new, the others go in.
    Lent lent(8);
    lent.reuse.columns[netsnap::kReuseIfindex] = netsnap::ReuseSpan();
    lent.reuse.columns[netsnap::kReuseCookie].bytes = 8 * 4;
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, lent.reuse, {&lent.reuse});
    check((t.columns_reused & (1u << netsnap::kReuseIfindex)) == 0 && t.ifindex.size() == 5, "partly", "absent: new");
    check((t.columns_reused & (1u << netsnap::kReuseCookie)) == 0 && t.cookie.size() == 5 && lent.cookie[0] == 0, "partly",
          "too small: new, lent untouched");
    check((t.columns_reused & (1u << netsnap::kReuseCgroupId)) != 0 && lent.cgroup_id[1] == 0x2000000001ull, "partly",
          "the others taken back");
  }
  report("partly", before);

  before = failures;
  {
    // cookie and cgroupId lent as one memory: neither written, both new.
    Lent lent(8);
    lent.reuse.columns[netsnap::kReuseCgroupId] = lent.reuse.columns[netsnap::kReuseCookie];
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, lent.reuse, {&lent.reuse});
    check((t.columns_reused & ((1u << netsnap::kReuseCookie) | (1u << netsnap::kReuseCgroupId))) == 0, "lent-twice",
          "neither taken back");
    check(t.cookie.size() == 5 && t.cgroup_id.size() == 5 && lent.cookie[0] == 0, "lent-twice", "lent memory untouched");
    check((t.columns_reused & (1u << netsnap::kReuseBacklog)) != 0, "lent-twice", "the others taken back");
  }
  report("lent-twice", before);

  before = failures;
  {
    // A column lent inside another table's lent column buffer, or half over another table's column:
    // not written.
    Lent a(8);
    Lent b(8);
    std::vector<uint8_t> main_buffer(4096, 0xAB);
    b.reuse.data = main_buffer.data();
    b.reuse.length = main_buffer.size();
    a.reuse.columns[netsnap::kReuseCookie].data = main_buffer.data() + 64;
    a.reuse.columns[netsnap::kReuseCookie].bytes = 8 * 8;
    a.reuse.columns[netsnap::kReuseBacklog].data = reinterpret_cast<uint8_t*>(b.backlog.data()) + 8;
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, a.reuse, {&a.reuse, &b.reuse});
    check((t.columns_reused & (1u << netsnap::kReuseCookie)) == 0 && main_buffer[64] == 0xAB && main_buffer[64 + 39] == 0xAB,
          "overlaps-other-table", "not written into the other table's column buffer");
    check((t.columns_reused & (1u << netsnap::kReuseBacklog)) == 0 && b.backlog[2] == 0 && b.backlog[7] == 0,
          "overlaps-other-table", "not written over the other table's column");
    check((t.columns_reused & (1u << netsnap::kReuseIfindex)) != 0, "overlaps-other-table", "the others taken back");
    // A table the request does not lend (present false) does not count.
    netsnap::Reuse absent = b.reuse;
    absent.present = false;
    netsnap::Table u = table_of(5);
    a.reuse.columns[netsnap::kReuseBacklog].data = reinterpret_cast<uint8_t*>(a.backlog.data());
    netsnap::fill_reused_columns(u, a.reuse, {&a.reuse, &absent});
    check((u.columns_reused & (1u << netsnap::kReuseCookie)) != 0, "overlaps-other-table", "an unlent table's memory does not count");
  }
  report("overlaps-other-table", before);

  before = failures;
  {
    // No rows, no reuse asked, a unix table: nothing taken back.
    Lent lent(8);
    netsnap::Table empty = table_of(0);
    netsnap::fill_reused_columns(empty, lent.reuse, {&lent.reuse});
    netsnap::Reuse off = lent.reuse;
    off.present = false;
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, off, {&off});
    netsnap::Table unix_table = table_of(5);
    unix_table.is_unix = true;
    netsnap::fill_reused_columns(unix_table, lent.reuse, {&lent.reuse});
    check(empty.columns_reused == 0 && t.columns_reused == 0 && unix_table.columns_reused == 0, "nothing", "no column taken back");
    check(lent.cookie[0] == 0, "nothing", "lent memory untouched");
  }
  report("nothing", before);

  before = failures;
  {
    // A table moved after the fill keeps what was taken back.
    Lent lent(8);
    netsnap::Table t = table_of(5);
    netsnap::fill_reused_columns(t, lent.reuse, {&lent.reuse});
    netsnap::Table moved = std::move(t);
    const uint32_t all_but_mem = ((1u << netsnap::kReusableColumns) - 1) & ~(1u << netsnap::kReuseMem);
    check(moved.columns_reused == all_but_mem && moved.reused_elements[netsnap::kReuseBacklog] == 5, "moved",
          "bits and lengths move with the table");
    check(t.columns_reused == 0, "moved", "the moved-from table has none");
  }
  report("moved", before);

  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
