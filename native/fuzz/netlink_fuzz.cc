// Fuzz harness for parse_diag_messages() (native/netlink_diag.h): the `netlink` harness of
// scripts/fuzz.sh (libFuzzer, clang++ -fsanitize=fuzzer,address,undefined). The first input byte
// picks a RAW dump (remote port forced to 0) or not. Checks: no memory error, count <= capacity,
// one backlog entry per row, and every row has family 4 or 6.
//   Without libFuzzer (-DNETSNAP_STANDALONE_FUZZ, g++ -fsanitize=address,undefined): with file or
//   directory arguments, each file is run once (standalone_driver.h); with a number N (or nothing),
//   a built-in driver mutates well-formed replies (bytes flipped, lengths bent, cut short) for N
//   rounds.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "layout.h"
#include "netlink_diag.h"
#define NETSNAP_FUZZ_OWN_MAIN
#include "standalone_driver.h"

namespace {

void run_one(const uint8_t* data, size_t size, bool raw) {
  netsnap::Table t;
  netsnap::DiagSink sink;
  sink.table = &t;
  sink.backlog = &t.backlog;
  sink.raw = raw;
  sink.seq = 1;
  netsnap::parse_diag_messages(data, size, &sink);
  if (t.count > t.capacity || t.backlog.size() != t.count) std::abort();
  // Touch every row that was written, so ASan sees any bad write/offset.
  if (t.count > 0) {
    const netsnap::InetLayout L = netsnap::inet_layout(t.capacity);
    volatile uint8_t sink_byte = t.buffer[L.timer_kind + t.count - 1];
    (void)sink_byte;
    for (size_t r = 0; r < t.count; r++) {
      const uint8_t family = t.buffer[L.family + r];
      if (family != 4 && family != 6) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run_one(data, size, size > 0 && (data[0] & 1));
  return 0;
}

#ifdef NETSNAP_STANDALONE_FUZZ
namespace {

uint64_t state = 88172645463325252ull;
uint32_t rnd() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return static_cast<uint32_t>(state);
}

void append_record(std::vector<uint8_t>& out, uint16_t type, bool with_attr) {
  const size_t attr_len = with_attr ? RTA_LENGTH(SK_MEMINFO_VARS * 4) : 0;
  const size_t len = NLMSG_LENGTH(sizeof(inet_diag_msg) + RTA_ALIGN(attr_len));
  const size_t at = out.size();
  out.resize(at + NLMSG_ALIGN(len));
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(len);
  h.nlmsg_type = type;
  h.nlmsg_seq = 1;
  std::memcpy(&out[at], &h, sizeof h);
  inet_diag_msg m{};
  m.idiag_family = (rnd() & 1) ? AF_INET : AF_INET6;
  m.idiag_state = static_cast<uint8_t>(rnd() % 13);
  m.idiag_timer = static_cast<uint8_t>(rnd() % 5);
  m.idiag_inode = rnd();
  std::memcpy(&out[at + NLMSG_HDRLEN], &m, sizeof m);
  if (with_attr) {
    rtattr a{};
    a.rta_len = static_cast<uint16_t>(attr_len);
    a.rta_type = INET_DIAG_SKMEMINFO;
    std::memcpy(&out[at + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m)], &a, sizeof a);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (argv[1][0] < '0' || argv[1][0] > '9')) {
    const long runs = netsnap_fuzz::run_paths(argc, argv, 1);
    if (runs < 0) return 2;
    std::printf("%s: %ld inputs ok\n", argv[0], runs);
    return 0;
  }
  const long rounds = argc > 1 ? std::atol(argv[1]) : 200000;
  for (long i = 0; i < rounds; i++) {
    std::vector<uint8_t> buf;
    const int n = static_cast<int>(rnd() % 600);  // past 256 rows: the table grows
    for (int r = 0; r < n; r++) append_record(buf, SOCK_DIAG_BY_FAMILY, rnd() & 1);
    if (rnd() & 1) append_record(buf, NLMSG_DONE, false);
    const int flips = static_cast<int>(rnd() % 8);
    for (int f = 0; f < flips && !buf.empty(); f++) buf[rnd() % buf.size()] = static_cast<uint8_t>(rnd());
    size_t size = buf.size();
    if (size > 0 && (rnd() & 3) == 0) size = rnd() % size;
    // A copy of exactly `size` bytes, so ASan catches any read past the end.
    std::vector<uint8_t> exact(buf.begin(), buf.begin() + static_cast<long>(size));
    run_one(exact.data(), exact.size(), rnd() & 1);
  }
  std::printf("netlink_diag fuzz: %ld rounds ok\n", rounds);
  return 0;
}
#endif
