// A second reading of the column program (src/filter/program.ts) for the fuzz harnesses, written
// from the format in program.ts's header rather than from native/filter.cc: the checker walks a
// table of ops with explicit ranges; the evaluator builds the expression tree from the postfix and
// evaluates it recursively, with Kleene logic as min/max over false < unknown < true, host
// conditions bit by bit, and tcp_info fields read byte by byte (little-endian hosts).
#ifndef NETSNAP_FUZZ_FILTER_REFERENCE_H_
#define NETSNAP_FUZZ_FILTER_REFERENCE_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcp_info.h"

namespace filter_ref {

struct Row {
  uint8_t family = 4, state = 0;
  uint8_t local[16] = {0}, remote[16] = {0};
  uint16_t lport = 0, rport = 0;
  uint32_t uid = 0, rx = 0, tx = 0;
  bool netlink = false;
  uint32_t ifindex = 0;
  uint64_t cgroup = 0;
  const uint8_t* info = nullptr;
  size_t info_len = 0;
};

inline bool whole(double x, double lo, double hi) {
  if (std::isnan(x) || std::isinf(x)) return false;
  if (std::floor(x) != x) return false;
  return lo <= x && x <= hi;
}

// Words per op, and the ranges of its operands: {lo, hi} per operand; family/prefix of HOST and the
// field numbers are checked apart.
struct OpSpec {
  int op;
  int words;
};
constexpr OpSpec kOps[] = {{1, 2}, {2, 21}, {3, 4}, {4, 3}, {5, 4}, {6, 2}, {7, 3}, {8, 1}, {9, 4}, {10, 5}, {11, 2}, {20, 1}, {21, 1}, {22, 1}};

inline int words_of(double op) {
  for (const OpSpec& s : kOps) {
    if (op == s.op) return s.words;
  }
  return 0;
}

// Whether p is a valid program (programProblem() returns null).
inline bool valid(const double* p, size_t n) {
  const double fields = static_cast<double>(netsnap::kTcpInfoFieldCount) - 1;
  const double u32 = 4294967295.0, two53 = 9007199254740992.0;
  long depth = 0;
  size_t pc = 0;
  while (pc < n) {
    const int w = words_of(p[pc]);
    if (w == 0) return false;
    if (pc + static_cast<size_t>(w) > n) return false;
    const double* a = p + pc;
    const int op = static_cast<int>(a[0]);
    bool ok = true;
    if (op == 1) ok = whole(a[1], 0, u32);
    if (op == 2) {
      const double f = a[2];
      const double max_prefix = f == 4 ? 32 : f == 6 ? 128 : 0;
      ok = whole(a[1], 0, 1) && (f == 0 || f == 4 || f == 6) && whole(a[3], 0, max_prefix) && whole(a[4], -1, 65535);
      for (int b = 5; b < 21; b++) ok = ok && whole(a[b], 0, 255);
    }
    if (op == 3) ok = whole(a[1], 0, 1) && whole(a[2], 0, 5) && whole(a[3], 0, 65535);
    if (op == 4) ok = whole(a[1], 0, 5) && whole(a[2], 0, u32);
    if (op == 5) ok = whole(a[1], 0, 1) && whole(a[2], 0, 5) && whole(a[3], 0, u32);
    if (op == 6) ok = whole(a[1], 0, u32);
    if (op == 7) ok = whole(a[1], 0, u32) && whole(a[2], 0, u32);
    if (op == 9) ok = whole(a[1], 0, fields) && whole(a[2], 0, 5) && whole(a[3], 0, two53);
    if (op == 10) ok = whole(a[1], 0, fields) && whole(a[2], 0, fields) && whole(a[3], 0, 5) && whole(a[4], 0, two53);
    if (op == 11) ok = whole(a[1], 0, 65535);
    if (!ok) return false;
    if (op == 20 || op == 21) {
      if (depth < 2) return false;
      depth -= 1;
    } else if (op == 22) {
      if (depth < 1) return false;
    } else {
      depth += 1;
      if (depth > 64) return false;
    }
    pc += static_cast<size_t>(w);
  }
  return depth == 1;
}

// Kleene values on the order false < unknown < true: and = min, or = max, not = 2 - x.
constexpr int kF = 0, kU = 1, kT = 2;
inline int from_tri(uint8_t v) { return v == 0 ? kF : v == 1 ? kT : kU; }
inline int to_tri(int k) { return k == kF ? 0 : k == kT ? 1 : 2; }

inline bool cmp(double v, int c, double x) {
  switch (c) {
    case 0: return v == x;
    case 1: return !(v == x);
    case 2: return v < x;
    case 3: return v <= x;
    case 4: return v > x;
    default: return v >= x;
  }
}

inline bool bit(const uint8_t* bytes, int i) { return (bytes[i / 8] >> (7 - i % 8)) & 1; }

inline bool host(const double* a, const Row& r) {
  const bool remote = a[1] == 1;
  const int family = static_cast<int>(a[2]);
  const int prefix = static_cast<int>(a[3]);
  const int port = static_cast<int>(a[4]);
  if (port != -1 && port != (remote ? r.rport : r.lport)) return false;
  if (family == 0) return true;
  const uint8_t* addr = remote ? r.remote : r.local;
  uint8_t want[16];
  for (int b = 0; b < 16; b++) want[b] = static_cast<uint8_t>(a[5 + b]);
  const uint8_t* have = addr;
  if (family != r.family) {
    if (!(family == 4 && r.family == 6)) return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    for (int b = 0; b < 12; b++) {
      if (addr[b] != mapped[b]) return false;
    }
    have = addr + 12;
  }
  for (int i = 0; i < prefix; i++) {
    if (bit(have, i) != bit(want, i)) return false;
  }
  return true;
}

// tcp_info field k, as a double, when the payload holds all of its bytes.
inline bool field(const Row& r, int k, double* out) {
  const netsnap::TcpInfoField& f = netsnap::kTcpInfoFields[k];
  if (r.info == nullptr || static_cast<size_t>(f.offset) + f.size > r.info_len) return false;
  uint64_t v = 0;
  for (int b = 0; b < f.size; b++) v |= static_cast<uint64_t>(r.info[f.offset + b]) << (8 * b);
  *out = static_cast<double>(v);
  return true;
}

inline int leaf(const double* a, const Row& r) {
  switch (static_cast<int>(a[0])) {
    case 1: return r.state < 32 && ((static_cast<uint64_t>(a[1]) >> r.state) & 1) ? kT : kF;
    case 2: return host(a, r) ? kT : kF;
    case 3: return cmp(a[1] == 1 ? r.rport : r.lport, static_cast<int>(a[2]), a[3]) ? kT : kF;
    case 4: return cmp(r.uid, static_cast<int>(a[1]), a[2]) ? kT : kF;
    case 5: return cmp(a[1] == 1 ? r.tx : r.rx, static_cast<int>(a[2]), a[3]) ? kT : kF;
    case 6: return !r.netlink ? kU : r.ifindex == static_cast<uint32_t>(a[1]) ? kT : kF;
    case 7:
      if (!r.netlink) return kU;
      return r.cgroup == ((static_cast<uint64_t>(a[2]) << 32) | static_cast<uint64_t>(a[1])) ? kT : kF;
    case 9: {
      double x;
      return field(r, static_cast<int>(a[1]), &x) && cmp(x, static_cast<int>(a[2]), a[3]) ? kT : kF;
    }
    case 10: {
      double num, den;
      if (!field(r, static_cast<int>(a[1]), &num) || !field(r, static_cast<int>(a[2]), &den)) return kF;
      const int c = static_cast<int>(a[3]);
      return (den == 0 ? cmp(0, c, a[4]) : cmp(num * 1e6, c, a[4] * den)) ? kT : kF;
    }
    default: return kU;  // 8 AUTOBOUND, 11 OWNER
  }
}

struct Node {
  size_t at;           // the op's first word
  long left = -1, right = -1;
};

inline int eval_node(const std::vector<Node>& nodes, long i, const double* p, const Row& r) {
  const Node& n = nodes[static_cast<size_t>(i)];
  const int op = static_cast<int>(p[n.at]);
  if (op == 20) {
    const int x = eval_node(nodes, n.left, p, r), y = eval_node(nodes, n.right, p, r);
    return x < y ? x : y;
  }
  if (op == 21) {
    const int x = eval_node(nodes, n.left, p, r), y = eval_node(nodes, n.right, p, r);
    return x > y ? x : y;
  }
  if (op == 22) return 2 - eval_node(nodes, n.left, p, r);
  return leaf(p + n.at, r);
}

// The result of a valid program on the row: 0 false, 1 true, 2 unknown (runProgram's values).
inline uint8_t eval(const double* p, size_t n, const Row& r) {
  std::vector<Node> nodes;
  std::vector<long> stack;
  for (size_t pc = 0; pc < n; pc += static_cast<size_t>(words_of(p[pc]))) {
    Node node{pc};
    const int op = static_cast<int>(p[pc]);
    if (op == 20 || op == 21) {
      node.right = stack.back();
      stack.pop_back();
      node.left = stack.back();
      stack.pop_back();
    } else if (op == 22) {
      node.left = stack.back();
      stack.pop_back();
    }
    nodes.push_back(node);
    stack.push_back(static_cast<long>(nodes.size() - 1));
  }
  return static_cast<uint8_t>(to_tri(eval_node(nodes, stack.back(), p, r)));
}

}  // namespace filter_ref

#endif  // NETSNAP_FUZZ_FILTER_REFERENCE_H_
