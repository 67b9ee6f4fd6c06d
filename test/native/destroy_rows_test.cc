// DestroyRows (native/destroy_events.h), what the destroy-event reader thread fills: records of the
// datagrams it is given become rows, and its counters say what was received, dropped (past the cap)
// and overflowed; take() hands them over and starts afresh. Rows past kDestroyPartRows go into
// parts that are never moved while the reader fills them, and take() joins them in order: the
// columns, the raw tcp_info (decoded after the join) and the congestion names of every part. Built with g++, ASan and UBSan by test/unit/destroy-rows.test.ts; prints "NAME pass" per check.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "checks.h"
#include "diag_records.h"
#include "destroy_events.h"

namespace {

// One datagram as the kernel multicasts a close: a SOCK_DIAG_BY_FAMILY record of a TCP socket in
// state 7, sequence 0, no flags; with `rto`, an INET_DIAG_INFO of 16 bytes whose tcpi_rto (offset 8)
// is it, and with `cong`, an INET_DIAG_CONG naming it.
std::vector<uint8_t> close_datagram(uint64_t cookie, uint16_t sport, uint32_t rto = 0, const char* cong = nullptr) {
  DiagRecord r;
  r.cookie = cookie;
  r.sport = sport;
  r.state = 7;
  if (rto != 0) {
    uint8_t info[16] = {};
    std::memcpy(info + 8, &rto, 4);
    add_attr(&r.attrs, INET_DIAG_INFO, info, sizeof info);
  }
  if (cong != nullptr) add_attr(&r.attrs, INET_DIAG_CONG, cong, std::strlen(cong) + 1);
  std::vector<uint8_t> buf;
  add_record(&buf, r);
  return buf;
}

void counts() {
  const int before = failures;
  netsnap::DestroyRows rows(100);
  const std::vector<uint8_t> a = close_datagram(11, 1001);
  const std::vector<uint8_t> b = close_datagram(12, 1002);
  rows.add_datagram(a.data(), a.size());
  rows.add_overflow();
  rows.add_datagram(b.data(), b.size());
  netsnap::DestroyBatch out;
  rows.take(&out);
  out.table.ext.finish();
  check(out.table.count == 2, "counts", "two rows");
  check(out.received == 2, "counts", "two received");
  check(out.dropped == 0, "counts", "none dropped");
  check(out.overflows == 1, "counts", "one overflow");
  check(out.table.count == 2 && out.table.cookie.size() >= 2 && out.table.cookie[0] == 11 && out.table.cookie[1] == 12, "counts", "the cookies in order");
  report("counts", before);
}

void afresh() {
  const int before = failures;
  netsnap::DestroyRows rows(100);
  const std::vector<uint8_t> a = close_datagram(31, 3001);
  rows.add_datagram(a.data(), a.size());
  rows.add_overflow();
  netsnap::DestroyBatch first;
  rows.take(&first);
  netsnap::DestroyBatch second;
  rows.take(&second);
  check(first.received == 1 && first.table.count == 1 && first.overflows == 1, "afresh", "the first take has the row and the counts");
  check(second.received == 0 && second.dropped == 0 && second.overflows == 0 && second.table.count == 0, "afresh", "the second starts from nothing");
  report("afresh", before);
}

void capped() {
  const int before = failures;
  netsnap::DestroyRows rows(1);
  const std::vector<uint8_t> a = close_datagram(21, 2001);
  const std::vector<uint8_t> b = close_datagram(22, 2002);
  rows.add_datagram(a.data(), a.size());
  rows.add_datagram(b.data(), b.size());
  netsnap::DestroyBatch out;
  rows.take(&out);
  check(out.table.count == 1 && out.table.cookie[0] == 21, "capped", "the first row kept");
  check(out.received == 2 && out.dropped == 1, "capped", "the second record received and dropped");
  report("capped", before);
}

// The u32 column of tcpi_rto (offset 8): after the seven one-byte fields.
constexpr size_t kRtoColumn = 7;

void parts() {
  const int before = failures;
  netsnap::DestroyRows rows(0);  // the default cap
  // Two and a half parts: cookies, tcp_info and congestion names that say which row they were.
  const size_t many = 2 * netsnap::kDestroyPartRows + netsnap::kDestroyPartRows / 2;
  const char* names[3] = {"cubic", "bbr", "reno"};
  for (size_t i = 0; i < many; i++) {
    // The first part names only cubic; bbr first appears in the second, reno in the third.
    const size_t part = i / netsnap::kDestroyPartRows;
    const char* cong = names[i % (part + 1)];
    const std::vector<uint8_t> d = close_datagram(1000 + i, static_cast<uint16_t>(i), static_cast<uint32_t>(5000 + i), cong);
    rows.add_datagram(d.data(), d.size());
  }
  netsnap::DestroyBatch out;
  rows.take(&out);
  const netsnap::Table& t = out.table;
  check(t.count == many && out.received == many && out.dropped == 0, "parts", "every row joined");
  bool cookies = t.cookie.size() == many && t.backlog.size() == many && t.cgroup_id.size() == many && t.ifindex.size() == many;
  for (size_t i = 0; cookies && i < many; i++) cookies = t.cookie[i] == 1000 + i;
  check(cookies, "parts", "the cookies in the order they came");
  out.table.ext.finish();
  const netsnap::TcpExtensions& e = out.table.ext;
  bool rto = e.info_u32.size() == many * netsnap::kTcpInfoU32Columns;
  for (size_t i = 0; rto && i < many; i++) rto = e.info_u32[kRtoColumn * many + i] == 5000 + i;
  check(rto, "parts", "each row's own tcp_info");
  check(e.cong_names.size() == 3 && e.cong_names[0] == "cubic" && e.cong_names[1] == "bbr" && e.cong_names[2] == "reno",
        "parts", "the congestion names of every part, once each");
  bool cong = e.cong.size() == many;
  for (size_t i = 0; cong && i < many; i++) {
    const size_t part = i / netsnap::kDestroyPartRows;
    cong = e.cong_names[e.cong[i] - 1] == names[i % (part + 1)];
  }
  check(cong, "parts", "each row's congestion name");
  check(e.mem_count.size() == many && e.mem.size() == many * netsnap::kSkMemFields, "parts", "memory columns per row");
  report("parts", before);
}

void parts_capped() {
  const int before = failures;
  // The cap counts the rows of every part: past it, rows are dropped, not put into another part.
  const size_t cap = netsnap::kDestroyPartRows + 10;
  netsnap::DestroyRows rows(cap);
  const size_t sent = 2 * netsnap::kDestroyPartRows;
  for (size_t i = 0; i < sent; i++) {
    const std::vector<uint8_t> d = close_datagram(7000 + i, static_cast<uint16_t>(i));
    rows.add_datagram(d.data(), d.size());
  }
  netsnap::DestroyBatch out;
  rows.take(&out);
  check(out.table.count == cap && out.received == sent && out.dropped == sent - cap, "parts-capped", "the cap over all parts");
  check(out.table.cookie.size() == cap && out.table.cookie[cap - 1] == 7000 + cap - 1, "parts-capped", "the first rows kept");
  // And the next batch starts afresh, with the whole cap again.
  const std::vector<uint8_t> d = close_datagram(9, 9);
  rows.add_datagram(d.data(), d.size());
  netsnap::DestroyBatch next;
  rows.take(&next);
  check(next.table.count == 1 && next.received == 1 && next.dropped == 0, "parts-capped", "afresh after take()");
  report("parts-capped", before);
}

}  // namespace

int main() {
  counts();
  afresh();
  capped();
  parts();
  parts_capped();
  if (failures != 0) return 1;
  std::printf("ok\n");
  return 0;
}
