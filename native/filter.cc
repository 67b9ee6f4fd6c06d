#include "filter.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "tcp_info.h"

namespace netsnap {
namespace {

using namespace filter_op;

// Number.isInteger(x) && x >= lo && x <= hi (NaN and the infinities fail the range).
bool is_whole(double x, double lo, double hi) { return x >= lo && x <= hi && std::trunc(x) == x; }

constexpr double kU32Max = 4294967295.0;
constexpr double kTwo53 = 9007199254740992.0;

// compare() of program.ts: any cmp other than 0..4 is ge, as its switch's default.
bool compare(double v, double cmp, double x) {
  if (cmp == 0) return v == x;
  if (cmp == 1) return v != x;
  if (cmp == 2) return v < x;
  if (cmp == 3) return v <= x;
  if (cmp == 4) return v > x;
  return v >= x;
}

uint8_t tri(bool b) { return b ? kFilterTrue : kFilterFalse; }

// JavaScript's ToUint32 (what `x & mask` does to a double before the bitwise and).
uint32_t js_to_uint32(double x) {
  if (!std::isfinite(x)) return 0;
  double m = std::fmod(std::trunc(x), 4294967296.0);  // a whole number in (-2^32, 2^32)
  if (m < 0) m += 4294967296.0;
  return static_cast<uint32_t>(m);
}

// Bit (1 << state) of the mask: Math.floor(mask / 2 ** state) % 2 === 1.
bool state_bit(double mask, uint8_t state) {
  if (is_whole(mask, 0, kU32Max)) return state < 32 && ((static_cast<uint32_t>(mask) >> state) & 1u) != 0;
  return std::fmod(std::floor(mask / std::ldexp(1.0, state)), 2.0) == 1.0;
}

// hostMatch() of program.ts; a[0] is the op. Never reads past a[20] nor past the 16 address bytes.
bool host_match(const double* a, const InetRow& r) {
  const bool remote = a[1] == 1;
  const double family = a[2];
  const double prefix = a[3];
  const double port = a[4];
  if (port != -1 && static_cast<double>(remote ? r.remote_port : r.local_port) != port) return false;
  if (family == 0) return true;
  const uint8_t* addr = remote ? r.remote_addr : r.local_addr;
  size_t from = 0;
  if (static_cast<double>(r.family) != family) {
    // An IPv4 condition also matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
    if (family != 4 || r.family != 6) return false;
    for (size_t b = 0; b < 10; b++) {
      if (addr[b] != 0) return false;
    }
    if (addr[10] != 0xff || addr[11] != 0xff) return false;
    from = 12;
  }
  double bits = prefix;
  for (size_t b = 0; bits > 0 && from + b < 16; b++, bits -= 8) {
    const uint32_t mask = bits >= 8 ? 0xffu : (0xffu << static_cast<int>(8 - bits)) & 0xffu;
    if ((addr[from + b] & mask) != (js_to_uint32(a[5 + b]) & mask)) return false;
  }
  return true;
}

// Field k of the row's tcp_info, as the TypeScript side reads its decoded column: present when the
// payload holds all of its bytes (offset + size <= length, within the decoded prefix).
bool info_value(const FilterRow& row, double k, double* out) {
  if (!is_whole(k, 0, static_cast<double>(kTcpInfoFieldCount - 1))) return false;
  const TcpInfoField& f = kTcpInfoFields[static_cast<size_t>(k)];
  const size_t end = static_cast<size_t>(f.offset) + f.size;
  if (row.info == nullptr || end > row.info_len || end > kTcpInfoDecodedBytes) return false;
  const uint8_t* at = row.info + f.offset;
  switch (f.size) {
    case 1: *out = at[0]; break;
    case 2: {
      uint16_t v;
      std::memcpy(&v, at, sizeof v);
      *out = v;
      break;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, at, sizeof v);
      *out = v;
      break;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, at, sizeof v);
      *out = static_cast<double>(v);  // as the f64 column holds it (tcp_info.cc decode_column)
      break;
    }
  }
  return true;
}

}  // namespace

size_t filter_op_words(double op) {
  if (!is_whole(op, 1, 22)) return 0;
  switch (static_cast<int>(op)) {
    case kState: return 2;
    case kHost: return 21;
    case kPort: return 4;
    case kUid: return 3;
    case kQueue: return 4;
    case kDev: return 2;
    case kCgroup: return 3;
    case kAutobound: return 1;
    case kInfo: return 4;
    case kRatio: return 5;
    case kOwner: return 2;
    case kAnd:
    case kOr:
    case kNot: return 1;
    default: return 0;
  }
}

std::string js_number_string(double x) {
  if (std::isnan(x)) return "NaN";
  if (x == 0) return "0";  // -0 too
  if (std::isinf(x)) return x < 0 ? "-Infinity" : "Infinity";
  std::string out = x < 0 ? "-" : "";
  // The shortest digits that read back as x (what Number.prototype.toString picks), then laid out
  // by the rules of Number::toString (ECMA-262): k digits, decimal exponent n.
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  std::string digits;
  const char* c = buf;
  for (; c < r.ptr && *c != 'e'; c++) {
    if (*c != '.') digits.push_back(*c);
  }
  int e = 0;
  std::from_chars(c + 1 < r.ptr && c[1] == '+' ? c + 2 : c + 1, r.ptr, e);
  const int k = static_cast<int>(digits.size());
  const int n = e + 1;
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += n - 1 < 0 ? "e-" : "e+";
    out += std::to_string(n - 1 < 0 ? 1 - n : n - 1);
  }
  return out;
}

std::string filter_program_problem(const double* p, size_t n) {
  size_t depth = 0;
  size_t pc = 0;
  while (pc < n) {
    const double op = p[pc];
    const size_t words = filter_op_words(op);
    const std::string at = std::to_string(pc);
    if (words == 0) return "unknown op " + js_number_string(op) + " at " + at;
    const std::string name = std::to_string(static_cast<int>(op));
    if (words > n - pc) return "op " + name + " at " + at + " is cut off";
    const double* a = p + pc;
    const auto bad = [&](const char* what) { return "op " + name + " at " + at + ": bad " + what; };
    const double last_field = static_cast<double>(kTcpInfoFieldCount - 1);
    switch (static_cast<int>(op)) {
      case kState:
        if (!is_whole(a[1], 0, kU32Max)) return bad("state mask");
        break;
      case kHost: {
        if (!is_whole(a[1], 0, 1)) return bad("side");
        const double f = a[2];
        if (f != 0 && f != 4 && f != 6) return bad("family");
        if (!is_whole(a[3], 0, f == 4 ? 32 : f == 6 ? 128 : 0)) return bad("prefix");
        if (!is_whole(a[4], -1, 65535)) return bad("port");
        for (size_t b = 5; b < 21; b++) {
          if (!is_whole(a[b], 0, 255)) return bad("address byte");
        }
        break;
      }
      case kPort:
        if (!is_whole(a[1], 0, 1) || !is_whole(a[2], 0, 5) || !is_whole(a[3], 0, 65535)) return bad("port condition");
        break;
      case kUid:
        if (!is_whole(a[1], 0, 5) || !is_whole(a[2], 0, kU32Max)) return bad("uid condition");
        break;
      case kQueue:
        if (!is_whole(a[1], 0, 1) || !is_whole(a[2], 0, 5) || !is_whole(a[3], 0, kU32Max)) return bad("queue condition");
        break;
      case kDev:
        if (!is_whole(a[1], 0, kU32Max)) return bad("ifindex");
        break;
      case kCgroup:
        if (!is_whole(a[1], 0, kU32Max) || !is_whole(a[2], 0, kU32Max)) return bad("cgroup id");
        break;
      case kInfo:
        if (!is_whole(a[1], 0, last_field) || !is_whole(a[2], 0, 5) || !is_whole(a[3], 0, kTwo53)) {
          return bad("tcp_info condition");
        }
        break;
      case kRatio:
        if (!is_whole(a[1], 0, last_field) || !is_whole(a[2], 0, last_field)) return bad("tcp_info field");
        if (!is_whole(a[3], 0, 5) || !is_whole(a[4], 0, kTwo53)) return bad("ratio condition");
        break;
      case kOwner:
        if (!is_whole(a[1], 0, 0xffff)) return bad("owner predicate");
        break;
      default: break;
    }
    const int code = static_cast<int>(op);
    if (code == kAnd || code == kOr) {
      if (depth < 2) return "op " + name + " at " + at + " needs two values";
      depth--;
    } else if (code == kNot) {
      if (depth < 1) return "op " + name + " at " + at + " needs a value";
    } else if (++depth > kFilterMaxStack) {
      return "the program needs more than " + std::to_string(kFilterMaxStack) + " stack slots";
    }
    pc += words;
  }
  if (depth != 1) return "the program leaves " + std::to_string(depth) + " values (want 1)";
  return std::string();
}

bool filter_program_uses(const double* p, size_t n, int op) {
  for (size_t pc = 0; pc < n;) {
    if (p[pc] == op) return true;
    const size_t words = filter_op_words(p[pc]);
    pc += words == 0 ? 1 : words;
  }
  return false;
}

uint8_t filter_run(const double* p, size_t n, const FilterRow& row) {
  if (row.inet == nullptr) return kFilterUnknown;
  const InetRow& r = *row.inet;
  uint8_t stack[kFilterMaxStack];
  size_t sp = 0;
  size_t pc = 0;
  while (pc < n) {
    const size_t words = filter_op_words(p[pc]);
    // Only an invalid program stops here: an unknown op, one cut off.
    if (words == 0 || words > n - pc) return kFilterUnknown;
    const double* a = p + pc;
    uint8_t v = kFilterFalse;
    switch (static_cast<int>(a[0])) {
      case kState: v = tri(state_bit(a[1], r.state)); break;
      case kHost: v = tri(host_match(a, r)); break;
      case kPort: v = tri(compare(a[1] == 1 ? r.remote_port : r.local_port, a[2], a[3])); break;
      case kUid: v = tri(compare(r.uid, a[1], a[2])); break;
      case kQueue: v = tri(compare(a[1] == 1 ? r.tx_queue : r.rx_queue, a[2], a[3])); break;
      case kDev: v = row.netlink ? tri(static_cast<double>(row.ifindex) == a[1]) : kFilterUnknown; break;
      case kCgroup:
        if (!row.netlink) {
          v = kFilterUnknown;
        } else {
          // BigInt(hi) << 32n + BigInt(lo) of a valid program; any other words match nothing.
          v = tri(is_whole(a[1], 0, kU32Max) && is_whole(a[2], 0, kU32Max) &&
                  ((static_cast<uint64_t>(a[2]) << 32) + static_cast<uint64_t>(a[1])) == row.cgroup_id);
        }
        break;
      case kAutobound: v = kFilterUnknown; break;
      case kInfo: {
        double x = 0;
        v = tri(info_value(row, a[1], &x) && compare(x, a[2], a[3]));
        break;
      }
      case kRatio: {
        double num = 0, den = 0;
        if (!info_value(row, a[1], &num) || !info_value(row, a[2], &den)) v = kFilterFalse;
        else v = tri(den == 0 ? compare(0, a[3], a[4]) : compare(num * 1e6, a[3], a[4] * den));
        break;
      }
      case kOwner: v = kFilterUnknown; break;
      case kAnd:
      case kOr: {
        if (sp < 2) return kFilterUnknown;
        const uint8_t y = stack[--sp];
        const uint8_t x = stack[sp - 1];
        if (a[0] == kAnd) {
          stack[sp - 1] = x == kFilterFalse || y == kFilterFalse ? kFilterFalse
                          : x == kFilterTrue && y == kFilterTrue ? kFilterTrue
                                                                 : kFilterUnknown;
        } else {
          stack[sp - 1] = x == kFilterTrue || y == kFilterTrue ? kFilterTrue
                          : x == kFilterFalse && y == kFilterFalse ? kFilterFalse
                                                                   : kFilterUnknown;
        }
        pc += 1;
        continue;
      }
      case kNot: {
        if (sp < 1) return kFilterUnknown;
        const uint8_t x = stack[sp - 1];
        stack[sp - 1] = x == kFilterUnknown ? kFilterUnknown : x == kFilterTrue ? kFilterFalse : kFilterTrue;
        pc += 1;
        continue;
      }
      default: return kFilterUnknown;  // not reached: filter_op_words() knows the ops
    }
    if (sp >= kFilterMaxStack) return kFilterUnknown;
    stack[sp++] = v;
    pc += words;
  }
  return sp >= 1 ? stack[0] : kFilterUnknown;
}

void FilterProgram::classify() {
  const double* p = words.data();
  const size_t n = words.size();
  const bool dev = filter_program_uses(p, n, kDev);
  const bool cgroup = filter_program_uses(p, n, kCgroup);
  autobound = filter_program_uses(p, n, kAutobound);
  tcp_info = filter_program_uses(p, n, kInfo) || filter_program_uses(p, n, kRatio);
  netlink_only = dev || cgroup || autobound || tcp_info;
}

}  // namespace netsnap
