// The column program of a filter (src/filter/program.ts, its TypeScript twin): the checker and the
// evaluator both sources run on every inet row they parse, before the row is stored. Pure C++ (no
// Node-API): the samples run on the libuv pool, and the fuzz harnesses call it directly.
//
// The format is specified in the header of src/filter/program.ts: postfix, one double per word,
// values three-valued (0 false, 1 true, 2 unknown), a row dropped only when the result is 0.
// filter_program_problem() applies exactly programProblem()'s rules, with the same messages (numbers
// printed as JavaScript prints them); filter_run() gives runProgram()'s result for every valid
// program. On an invalid program filter_run() still reads nothing outside the program, the row and
// the tcp_info payload, and has no undefined behaviour (its answer is then unspecified).
#ifndef NETSNAP_FILTER_H_
#define NETSNAP_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net_inet.h"

namespace netsnap {

// OP of program.ts.
namespace filter_op {
constexpr int kState = 1;
constexpr int kHost = 2;
constexpr int kPort = 3;
constexpr int kUid = 4;
constexpr int kQueue = 5;
constexpr int kDev = 6;
constexpr int kCgroup = 7;
constexpr int kAutobound = 8;
constexpr int kInfo = 9;
constexpr int kRatio = 10;
constexpr int kOwner = 11;
constexpr int kAnd = 20;
constexpr int kOr = 21;
constexpr int kNot = 22;
}  // namespace filter_op

constexpr uint8_t kFilterFalse = 0;
constexpr uint8_t kFilterTrue = 1;
constexpr uint8_t kFilterUnknown = 2;
// MAX_STACK of program.ts.
constexpr size_t kFilterMaxStack = 64;

// OP_WORDS of program.ts: words of the op `op` (itself included), 0 for a number that is no op.
size_t filter_op_words(double op);

// programProblem(): why p[0, n) is not a valid program, or the empty string.
std::string filter_program_problem(const double* p, size_t n);

// programUses() of a valid program: whether it holds the op.
bool filter_program_uses(const double* p, size_t n, int op);

// A number as JavaScript's String(x) prints it ("1", "0.5", "1e+21", "NaN", "-Infinity"); the
// problem messages embed numbers this way, as the template strings of program.ts do.
std::string js_number_string(double x);

// What the evaluator reads of one row: the inet columns as they are stored (net_inet.h's InetRow:
// family, state, addresses, ports, uid, queues) and, from a netlink dump, what /proc lacks.
struct FilterRow {
  const InetRow* inet = nullptr;
  // A netlink row: ifindex (idiag_if) and cgroup_id are known. Otherwise DEV and CGROUP are unknown.
  bool netlink = false;
  uint32_t ifindex = 0;
  uint64_t cgroup_id = 0;
  // The raw INET_DIAG_INFO payload (struct tcp_info), info_len bytes; null/0 when the row has none.
  const uint8_t* info = nullptr;
  size_t info_len = 0;
};

// runProgram() of p[0, n) on one row, without owners (OWNER is unknown): 0, 1 or 2.
uint8_t filter_run(const double* p, size_t n, const FilterRow& row);

// A checked program as a request carries it (read_request copies it off the JavaScript heap).
struct FilterProgram {
  std::vector<double> words;
  // Uses DEV, CGROUP, AUTOBOUND, INFO or RATIO: only a netlink dump decides those, so a failed dump
  // is the file's error rather than /proc rows.
  bool netlink_only = false;
  // Uses AUTOBOUND: only the kernel decides it, so a kernel that refuses the bytecode fails the dump.
  bool autobound = false;
  // Uses INFO or RATIO: needs the tcp_info extension (request.extensions bit 1).
  bool tcp_info = false;

  // Sets the flags from the words (a valid program).
  void classify();
  // True when the row is kept (the result is not 0).
  bool keeps(const FilterRow& row) const { return filter_run(words.data(), words.size(), row) != kFilterFalse; }
};

}  // namespace netsnap

#endif  // NETSNAP_FILTER_H_
