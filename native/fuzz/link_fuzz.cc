// Fuzz harness for the owner scan's byte parsers: parse_socket_link() (native/fd_link.h) and
// program_name(), comm_length(), status_uid() (native/proc_pid.h). The whole input is given to each.
//
// Each is compared with a reference written here from the rules in src/owners/fd_link.ts and
// src/owners/proc_pid.ts, on std::string with explicit checks; the reference decides every input:
// - parse_socket_link: "socket:[" + 1..16 decimal digits + "]" (nothing after), or "[0000]:" +
//   1..16 decimal digits to the end; the number <= 2^53 - 1; anything else -1. An input starting
//   with "socket:[" never falls back to the old form.
// - program_name: argv[0] (up to the first NUL, or all); when it starts with '/', the part after
//   its last '/'. Checked: the range lies inside the input and holds exactly those bytes.
// - comm_length: the input less one trailing '\n'.
// - status_uid: the first line that starts with "Uid:" and is longer than 4 bytes; its fields after
//   "Uid:" split on blanks; the first two must be 1..10 decimal digits <= 2^32 - 1 (a field ends at
//   a blank or the end of the line); the second is the answer; otherwise (or with no such line)
//   0xffffffff.
// - tcp_sockstat (native/sockstat.h): the input cut at its first NUL into sockstat and
//   sockstat6 (no NUL: all of it is sockstat, and sockstat6 is empty), and also the whole input as
//   both. The first line starting with "TCP: " (and, with a sockstat6, "TCP6: "); after that prefix
//   its fields split on runs of spaces and tabs; "inuse" and "tw" (sockstat6: "inuse") each the
//   field after the first field equal to the key, 1..18 decimal digits; the three values.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fd_link.h"
#include "proc_pid.h"
#include "sockstat.h"
#include "reference.h"
#include "standalone_driver.h"

namespace {

using namespace netsnap_ref;

double reference_link(const std::string& s) {
  uint64_t v = 0;
  const std::string sock = "socket:[";
  const std::string old = "[0000]:";
  if (s.compare(0, sock.size(), sock) == 0 && s.size() >= sock.size()) {
    if (s.size() < sock.size() + 2 || s.back() != ']') return -1;
    return dec(s.substr(sock.size(), s.size() - sock.size() - 1), 16, kInodeMax, &v) ? static_cast<double>(v) : -1;
  }
  if (s.compare(0, old.size(), old) == 0 && s.size() >= old.size()) {
    return dec(s.substr(old.size()), 16, kInodeMax, &v) ? static_cast<double>(v) : -1;
  }
  return -1;
}

std::string reference_program(const std::string& cmdline) {
  std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  if (!argv0.empty() && argv0[0] == '/') argv0 = argv0.substr(argv0.rfind('/') + 1);
  return argv0;
}

uint32_t reference_uid(const uint8_t* data, size_t size) {
  // Lines as the status file has them; a final '\n' does not start another line.
  for (const std::string& line : split_lines(data, size)) {
    if (line.size() <= 4 || line.compare(0, 4, "Uid:") != 0) continue;
    const std::vector<Token> f = split_fields(line.substr(4));
    uint64_t real = 0, effective = 0;
    if (f.size() < 2 || !dec(f[0].text, 10, kU32Max, &real) || !dec(f[1].text, 10, kU32Max, &effective)) return 0xffffffffu;
    return static_cast<uint32_t>(effective);
  }
  return 0xffffffffu;
}

// The value after the first field equal to `key` among `f`.
bool reference_value(const std::vector<Token>& f, const char* key, uint64_t* v) {
  for (size_t i = 0; i < f.size(); i++) {
    if (f[i].text != key) continue;
    return i + 1 < f.size() && dec(f[i + 1].text, 18, UINT64_MAX, v);
  }
  return false;
}

bool reference_sockstat(const std::string& v4, const std::string& v6, netsnap::TcpSockstat* out) {
  auto line_of = [](const std::string& text, const std::string& prefix, std::string* rest) {
    for (const std::string& line : split_lines(reinterpret_cast<const uint8_t*>(text.data()), text.size())) {
      if (line.compare(0, prefix.size(), prefix) == 0 && line.size() >= prefix.size()) {
        *rest = line.substr(prefix.size());
        return true;
      }
    }
    return false;
  };
  std::string rest;
  uint64_t inuse4 = 0, tw = 0, inuse6 = 0;
  if (!line_of(v4, "TCP: ", &rest)) return false;
  const std::vector<Token> f4 = split_fields(rest);
  if (!reference_value(f4, "inuse", &inuse4) || !reference_value(f4, "tw", &tw)) return false;
  if (!v6.empty()) {
    if (!line_of(v6, "TCP6: ", &rest)) return false;
    if (!reference_value(split_fields(rest), "inuse", &inuse6)) return false;
  }
  out->inuse4 = inuse4;
  out->tw = tw;
  out->inuse6 = inuse6;
  return true;
}

void check_sockstat(const std::string& v4, const std::string& v6) {
  netsnap::TcpSockstat got, want;
  // Each part in an allocation of exactly its size, so that a read past it is caught.
  std::vector<uint8_t> a(v4.begin(), v4.end()), b(v6.begin(), v6.end());
  const bool ok = netsnap::tcp_sockstat(a.data(), a.size(), b.data(), b.size(), &got);
  const bool want_ok = reference_sockstat(v4, v6, &want);
  REF_CHECK(ok == want_ok, "tcp_sockstat %d, reference %d", ok, want_ok);
  REF_CHECK(!ok || (got.inuse4 == want.inuse4 && got.tw == want.tw && got.inuse6 == want.inuse6),
            "tcp_sockstat %llu %llu %llu, reference %llu %llu %llu", static_cast<unsigned long long>(got.inuse4),
            static_cast<unsigned long long>(got.tw), static_cast<unsigned long long>(got.inuse6),
            static_cast<unsigned long long>(want.inuse4), static_cast<unsigned long long>(want.tw),
            static_cast<unsigned long long>(want.inuse6));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string s(reinterpret_cast<const char*>(data), size);

  const double inode = netsnap::parse_socket_link(data, size);
  const double want = reference_link(s);
  REF_CHECK(inode == want, "parse_socket_link %.0f, reference %.0f", inode, want);

  size_t start = 0;
  const size_t n = netsnap::program_name(data, size, &start);
  REF_CHECK(start <= size && n <= size - start, "program_name range [%zu, +%zu) of %zu", start, n, size);
  const std::string program = reference_program(s);
  REF_CHECK(n == program.size() && (n == 0 || std::memcmp(data + start, program.data(), n) == 0),
            "program_name differs from the reference");

  const size_t comm = netsnap::comm_length(data, size);
  REF_CHECK(comm == (size > 0 && s.back() == '\n' ? size - 1 : size), "comm_length %zu of %zu", comm, size);

  const uint32_t uid = netsnap::status_uid(data, size);
  const uint32_t want_uid = reference_uid(data, size);
  REF_CHECK(uid == want_uid, "status_uid %u, reference %u", uid, want_uid);

  const size_t nul = s.find('\0');
  check_sockstat(s.substr(0, nul), nul == std::string::npos ? std::string() : s.substr(nul + 1));
  check_sockstat(s, s);
  return 0;
}
