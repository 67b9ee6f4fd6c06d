// Fuzz harness for the column program (native/filter.h): the `filter` harness of scripts/fuzz.sh.
// The input is a row, a tcp_info payload and a program:
//   byte 0       mode: bit 0 the words are raw doubles (else the compact encoding below), bit 1 the
//                row is a netlink row (ifindex and cgroup id known), bit 2 it has a tcp_info payload
//   bytes 1..62  the row: family (0, 1 -> 4, 6; else the byte itself), state, local and remote
//                address, local and remote port, uid, rx and tx queue, ifindex, cgroup id
//   then         with bit 2: a length byte pair (mod 301) and that many payload bytes
//   the rest     the program's words. Compact: a byte below 0xe0 is its value - 2 (-2..221: every op,
//                side, family, cmp, prefix); 0xe0..0xef an odd value (NaN, infinities, -0, 0.5, 2^32,
//                2^53 + 2, 1e21 ...); 0xf0 a u16, 0xf1 a u32, 0xf2 a raw double from the next bytes;
//                0xf3.. the next byte.
// Checks: filter_program_problem() agrees with the reference checker on validity; a problem names
// an op or the stack, never crashes; filter_run() returns 0, 1 or 2 on any program (valid or not),
// reading nothing outside the program, the row and the payload (ASan: each is its own exact-size
// allocation); on a valid program it equals the reference evaluator (filter_reference.h);
// filter_program_uses() agrees with a plain scan; js_number_string() of every word reads back as
// that word.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "filter.h"
#include "filter_reference.h"
#include "reference.h"
#include "standalone_driver.h"

namespace {

using netsnap_ref::Reader;

const double kOdd[16] = {NAN, INFINITY, -INFINITY, -0.0, 0.5, 4294967295.0, 4294967296.0, 9007199254740992.0,
                         9007199254740994.0, 1e21, 255, 65535, 65536, 1e-7, 127, 1.5};

double word(Reader& r, bool raw) {
  if (raw) return r.load<double>();
  const uint8_t t = r.byte();
  if (t < 0xe0) return static_cast<double>(t) - 2;
  if (t < 0xf0) return kOdd[t - 0xe0];
  if (t == 0xf0) return r.load<uint16_t>();
  if (t == 0xf1) return r.load<uint32_t>();
  if (t == 0xf2) return r.load<double>();
  return r.byte();
}

void check_number_text(double x) {
  const std::string s = netsnap::js_number_string(x);
  if (std::isnan(x)) {
    REF_CHECK(s == "NaN", "NaN printed as %s", s.c_str());
    return;
  }
  if (std::isinf(x)) {
    REF_CHECK(s == (x < 0 ? "-Infinity" : "Infinity"), "infinity printed as %s", s.c_str());
    return;
  }
  REF_CHECK(std::strtod(s.c_str(), nullptr) == x, "%.17g printed as %s", x, s.c_str());
  REF_CHECK(s.find_first_not_of("0123456789.e+-") == std::string::npos, "%s", s.c_str());
}

// Every check of one program on one row (see the header).
void check_program(const std::vector<double>& words, const netsnap::FilterRow& f, const filter_ref::Row& r) {
  // The program in an allocation of exactly its size, so a read past its end is caught.
  std::vector<double> exact(words);
  exact.shrink_to_fit();
  const double* p = exact.empty() ? nullptr : exact.data();
  const size_t n = exact.size();
  const std::string problem = netsnap::filter_program_problem(p, n);
  const bool valid = problem.empty();
  REF_CHECK(valid == filter_ref::valid(p, n), "checker says '%s', the reference %s", problem.c_str(),
            filter_ref::valid(p, n) ? "valid" : "invalid");
  if (!valid) {
    REF_CHECK(problem.rfind("unknown op ", 0) == 0 || problem.rfind("op ", 0) == 0 || problem.rfind("the program ", 0) == 0,
              "problem text '%s'", problem.c_str());
  }
  const uint8_t got = netsnap::filter_run(p, n, f);
  REF_CHECK(got <= 2, "result %u", got);
  if (!valid) return;
  const uint8_t want = filter_ref::eval(p, n, r);
  REF_CHECK(got == want, "filter_run %u, reference %u (%zu words)", got, want, n);
  netsnap::FilterProgram program;
  program.words = words;
  program.classify();
  bool uses[23] = {false};
  for (size_t pc = 0; pc < n; pc += static_cast<size_t>(filter_ref::words_of(p[pc]))) uses[static_cast<int>(p[pc])] = true;
  REF_CHECK(program.autobound == uses[8], "autobound");
  REF_CHECK(program.tcp_info == (uses[9] || uses[10]), "tcp_info");
  REF_CHECK(program.netlink_only == (uses[6] || uses[7] || uses[8] || uses[9] || uses[10]), "netlink_only");
  REF_CHECK(program.keeps(f) == (want != 0), "keeps");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  const uint8_t mode = in.byte();
  const bool raw = mode & 1;
  netsnap::InetRow row;
  std::memset(&row, 0, sizeof row);
  const uint8_t fam = in.byte();
  row.family = fam == 0 ? 4 : fam == 1 ? 6 : fam;
  row.state = in.byte();
  for (uint8_t& b : row.local_addr) b = in.byte();
  for (uint8_t& b : row.remote_addr) b = in.byte();
  row.local_port = in.load<uint16_t>();
  row.remote_port = in.load<uint16_t>();
  row.uid = in.load<uint32_t>();
  row.rx_queue = in.load<uint32_t>();
  row.tx_queue = in.load<uint32_t>();
  const uint32_t ifindex = in.load<uint32_t>();
  const uint64_t cgroup = in.load<uint64_t>();
  // The payload in an allocation of exactly its size, so ASan sees a read past it.
  std::vector<uint8_t> info;
  if (mode & 4) {
    const size_t len = in.load<uint16_t>() % 301;
    for (size_t i = 0; i < len && in.more(); i++) info.push_back(in.byte());
    info.shrink_to_fit();
  }
  std::vector<double> words;
  while (in.more() && words.size() < 4096) words.push_back(word(in, raw));
  words.shrink_to_fit();
  netsnap::FilterRow f;
  f.inet = &row;
  f.netlink = mode & 2;
  f.ifindex = ifindex;
  f.cgroup_id = cgroup;
  f.info = info.empty() ? nullptr : info.data();
  f.info_len = info.size();
  filter_ref::Row r;
  r.family = row.family;
  r.state = row.state;
  std::memcpy(r.local, row.local_addr, 16);
  std::memcpy(r.remote, row.remote_addr, 16);
  r.lport = row.local_port;
  r.rport = row.remote_port;
  r.uid = row.uid;
  r.rx = row.rx_queue;
  r.tx = row.tx_queue;
  r.netlink = f.netlink;
  r.ifindex = ifindex;
  r.cgroup = cgroup;
  r.info = f.info;
  r.info_len = f.info_len;

  check_program(words, f, r);
  // Every word one up and one down: the checker's ranges are met at their edges (a prefix of 32 and
  // 33, a field number past the table, an op next to another), which random bytes rarely hit.
  if (words.size() <= 48) {
    for (size_t i = 0; i < words.size(); i++) {
      for (const double delta : {-1.0, 1.0}) {
        std::vector<double> near(words);
        near[i] += delta;
        check_program(near, f, r);
      }
    }
  }
  for (size_t i = 0; i < words.size() && i < 64; i++) check_number_text(words[i]);
  return 0;
}
