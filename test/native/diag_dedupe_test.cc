// parse_diag_messages() with a CookieSet (native/netlink_diag.h): a socket a dump lists twice is
// taken once, counted in `duplicates` and noted in the table's problems as (record number, 16).
// Built with g++ and UBSan by test/unit/netlink-duplicates.test.ts; prints "NAME pass" per check.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "checks.h"
#include "diag_records.h"
#include "netlink_diag.h"
#include "problems.h"

namespace {

// One SOCK_DIAG_BY_FAMILY record of a dump: an established IPv4 TCP socket (sequence 1, no attributes).
void add_record(std::vector<uint8_t>* buf, uint64_t cookie, uint16_t sport, uint32_t inode) {
  DiagRecord r;
  r.cookie = cookie;
  r.sport = sport;
  r.inode = inode;
  r.seq = 1;
  r.flags = NLM_F_MULTI;
  add_record(buf, r);
}

struct Result {
  size_t rows = 0;
  size_t records = 0;
  size_t duplicates = 0;
  std::vector<uint64_t> cookies;
  std::vector<uint32_t> problems;
};

Result parse(const std::vector<uint8_t>& buf, netsnap::CookieSet* seen) {
  netsnap::Table t;
  netsnap::DiagSink sink;
  sink.table = &t;
  sink.seq = 1;
  sink.seen = seen;
  const int rc = netsnap::parse_diag_messages(buf.data(), buf.size(), &sink);
  if (rc != netsnap::kDiagMore) std::fprintf(stderr, "parse_diag_messages: %d\n", rc);
  Result r;
  r.rows = t.count;
  r.records = sink.records;
  r.duplicates = sink.duplicates;
  r.cookies.assign(t.cookie.begin(), t.cookie.end());
  r.problems = t.problems;
  return r;
}

}  // namespace

int main() {
  {
    std::vector<uint8_t> buf;
    add_record(&buf, 0x100000001ull, 1001, 11);
    add_record(&buf, 0x100000002ull, 1002, 12);
    add_record(&buf, 0x100000001ull, 1001, 11);  // listed again
    add_record(&buf, 0x100000003ull, 1003, 13);
    netsnap::CookieSet seen;
    seen.reset(4);
    const Result r = parse(buf, &seen);
    check(r.rows == 3 && r.records == 4 && r.duplicates == 1, "second-listing-dropped", "rows/records/duplicates");
    check(r.cookies == std::vector<uint64_t>({0x100000001ull, 0x100000002ull, 0x100000003ull}), "second-listing-dropped", "cookies");
    check(r.problems == std::vector<uint32_t>({3, netsnap::problem::kNetlinkDuplicate}), "second-listing-dropped", "problems");
    if (failures == 0) std::puts("second-listing-dropped pass");
  }
  {
    const int before = failures;
    std::vector<uint8_t> buf;
    add_record(&buf, 0, 2001, 21);
    add_record(&buf, 0, 2002, 22);
    netsnap::CookieSet seen;
    seen.reset(2);
    const Result r = parse(buf, &seen);
    check(r.rows == 2 && r.duplicates == 0 && r.problems.empty(), "no-cookie-kept", "two rows without a cookie are both kept");
    if (failures == before) std::puts("no-cookie-kept pass");
  }
  {
    const int before = failures;
    std::vector<uint8_t> buf;
    add_record(&buf, 7, 3001, 31);
    add_record(&buf, 7, 3001, 31);
    const Result r = parse(buf, nullptr);
    check(r.rows == 2 && r.duplicates == 0, "unchecked-without-set", "no set: every record is a row (the multicast path)");
    if (failures == before) std::puts("unchecked-without-set pass");
  }
  {
    // Far more cookies than the set was sized for: it grows and still finds every repeat.
    const int before = failures;
    std::vector<uint8_t> buf;
    for (uint32_t i = 1; i <= 100000; i++) add_record(&buf, 0x5000000000ull + i, static_cast<uint16_t>(i), i);
    for (uint32_t i = 1; i <= 100000; i += 97) add_record(&buf, 0x5000000000ull + i, static_cast<uint16_t>(i), i);
    netsnap::CookieSet seen;
    seen.reset(16);
    const Result r = parse(buf, &seen);
    const size_t repeats = (100000 + 96) / 97;
    check(r.rows == 100000 && r.duplicates == repeats && r.problems.size() == 2 * repeats, "grows", "100,000 rows, every repeat found");
    check(!r.problems.empty() && r.problems[0] == 100001 && r.problems[r.problems.size() - 2] == 100000 + repeats, "grows", "record numbers");
    if (failures == before) std::puts("grows pass");
  }
  {
    // reset() forgets: the next dump of the same sockets has no duplicates.
    const int before = failures;
    std::vector<uint8_t> buf;
    add_record(&buf, 41, 4001, 41);
    add_record(&buf, 42, 4002, 42);
    netsnap::CookieSet seen;
    seen.reset(2);
    const Result a = parse(buf, &seen);
    seen.reset(2);
    const Result b = parse(buf, &seen);
    check(a.rows == 2 && b.rows == 2 && b.duplicates == 0, "reset-forgets", "a second dump after reset keeps both");
    if (failures == before) std::puts("reset-forgets pass");
  }
  if (failures != 0) return 1;
  std::puts("ok");
  return 0;
}
