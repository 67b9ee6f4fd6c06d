// DestroyRows (native/destroy_events.h), what the destroy-event reader thread fills: records of the
// datagrams it is given become rows, and its counters say what was received, dropped (past the cap)
// and overflowed; take() hands them over and starts afresh, with room for twice the rows it handed
// over (at least kDestroyFirstRoom, at most the cap), so that the reader thread moves no rows while
// it fills the next table. Built with g++, ASan and UBSan by test/unit/destroy-rows.test.ts; prints "NAME pass" per check.
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
#include "destroy_events.h"

namespace {

// One datagram as the kernel multicasts a close: a SOCK_DIAG_BY_FAMILY record of a TCP socket in
// state 7, sequence 0, no flags, no attributes.
std::vector<uint8_t> close_datagram(uint64_t cookie, uint16_t sport) {
  nlmsghdr h;
  std::memset(&h, 0, sizeof h);
  h.nlmsg_len = NLMSG_LENGTH(sizeof(inet_diag_msg));
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  inet_diag_msg m;
  std::memset(&m, 0, sizeof m);
  m.idiag_family = AF_INET;
  m.idiag_state = 7;
  m.id.idiag_sport = htons(sport);
  m.id.idiag_dport = htons(80);
  m.id.idiag_src[0] = htonl(0x7f000001);
  m.id.idiag_dst[0] = htonl(0x7f000001);
  m.id.idiag_cookie[0] = static_cast<uint32_t>(cookie);
  m.id.idiag_cookie[1] = static_cast<uint32_t>(cookie >> 32);
  std::vector<uint8_t> buf(NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(buf.data(), &h, sizeof h);
  std::memcpy(buf.data() + NLMSG_HDRLEN, &m, sizeof m);
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

void room() {
  const int before = failures;
  netsnap::DestroyRows rows(0);  // the default cap
  const std::vector<uint8_t> a = close_datagram(41, 4001);
  rows.add_datagram(a.data(), a.size());
  netsnap::DestroyBatch first;
  rows.take(&first);
  check(first.table.capacity == netsnap::kDestroyFirstRoom, "room", "the first table has the first room");
  // More rows than the first room: the table grows once past it, and the next has room for twice.
  const size_t many = netsnap::kDestroyFirstRoom + 1000;
  for (size_t i = 0; i < many; i++) {
    const std::vector<uint8_t> d = close_datagram(100 + i, static_cast<uint16_t>(i));
    rows.add_datagram(d.data(), d.size());
  }
  netsnap::DestroyBatch second;
  rows.take(&second);
  check(second.table.count == many && second.received == many, "room", "every row kept");
  check(second.table.cookie.size() == many && second.table.cookie[many - 1] == 100 + many - 1, "room", "the last cookie");
  netsnap::DestroyBatch third;
  rows.take(&third);
  check(third.table.capacity == 2 * many && third.table.count == 0, "room", "room for twice the rows of the read before");
  netsnap::DestroyBatch fourth;
  rows.take(&fourth);
  check(fourth.table.capacity == netsnap::kDestroyFirstRoom, "room", "back to the first room after an empty read");
  // Under a cap the room is the cap.
  netsnap::DestroyRows capped_rows(5);
  netsnap::DestroyBatch small;
  capped_rows.take(&small);
  check(small.table.capacity == 5, "room", "at most the cap");
  report("room", before);
}

}  // namespace

int main() {
  counts();
  afresh();
  capped();
  room();
  if (failures != 0) return 1;
  std::printf("ok\n");
  return 0;
}
