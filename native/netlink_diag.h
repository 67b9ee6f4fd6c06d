// NETLINK_SOCK_DIAG (inet_diag) dumps of TCP, UDP, UDPLITE and RAW sockets into the same inet table
// columns the /proc/net parser fills (net_inet.cc). Pure C++ (no Node-API): it runs on the libuv
// pool for sampleAsync, and parse_diag_messages() is a pure function a fuzz harness can call.
//
// Representation, as /proc/net/* gives it for the same socket:
// - family 4 or 6, addresses in network byte order (IPv4 in the first 4 bytes, the rest zero),
//   ports in host order; RAW: local port = IP protocol number, remote port 0 (as /proc prints it).
// - state: the kernel's number, NEW_SYN_RECV (12) stored as SYN_RECV (3) as /proc prints it.
// - txQueue/rxQueue: idiag_wqueue/idiag_rqueue, except for LISTEN rows, whose txQueue is 0 as in
//   /proc and whose idiag_wqueue (the accept backlog maximum) goes to the extra backlog column.
// - timerKind: idiag_timer; timerJiffies: idiag_expires (ms) / 10, i.e. USER_HZ clock ticks as /proc.
// - retransmits/timeout: idiag_retrans is icsk_retransmits for timer 1 (-> retransmits) and
//   icsk_probes_out for timers 2 and 4 (-> timeout); the other one is 0 (not in the dump).
// - drops: SK_MEMINFO_DROPS of INET_DIAG_SKMEMINFO (UDP/UDPLITE/RAW only, as /proc has it).
// Beyond /proc: the LISTEN backlog, the socket cookie, the cgroup id, the bound device (idiag_if), and
// on request the extension columns of tcp_info.h (tcp_info, congestion control, socket memory).
// A filter (filter.h) is run on each record before it is appended; its bytecode, if any, goes to the
// kernel with the dump request (INET_DIAG_REQ_BYTECODE).
#ifndef NETSNAP_NETLINK_DIAG_H_
#define NETSNAP_NETLINK_DIAG_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "filter.h"
#include "row_feed.h"
#include "table.h"

namespace netsnap {

// Where parse_diag_messages() writes: a growable inet table with its per-row vectors.
// The socket cookies of one dump, to drop a socket listed twice: an open-addressing set of nonzero
// 64-bit keys, kept per thread and cleared (not freed) for each dump.
class CookieSet {
 public:
  // Empties the set and makes room for `expected` keys at a load factor of at most 1/2.
  void reset(size_t expected);
  // False when `key` was already there. 0 (no cookie) is never kept: always true.
  bool insert(uint64_t key);
  // Whether `key` is there (never 0).
  bool contains(uint64_t key) const;

 private:
  void grow();
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

// The socket cookies of one dump as hash bits, 16 per expected row (a bitmap that stays in cache,
// where a set of 100,000 keys would not): a cookie whose bit is clear is new for sure; one whose bit
// is already set may be a duplicate, and is checked exactly after the dump (drop_duplicates).
class CookieBits {
 public:
  // Clears the bits and sizes them for `expected` cookies (at least 2^min_bits bits).
  void reset(size_t expected, unsigned min_bits = 16);
  // Whether the cookie's bit was set already; sets it. 0 (no cookie): false.
  bool test_and_set(uint64_t key);
  // Asks the CPU for the cookie's word ahead of test_and_set(): the bits are hundreds of KB for a
  // big table, and the dump's own bytes stream through the cache between two lookups.
  void prefetch(uint64_t key) const {
    if (words_.empty()) return;
    const uint64_t* word = &words_[((key * 0x9E3779B97F4A7C15ull) >> shift_) >> 6];
    __builtin_prefetch(word, 1, 3);
    // A loop of prefetches alone has no effect the compiler must keep (GCC deletes it): this does.
    __asm__ __volatile__("" : : "r"(word));
  }
  // Past 1 cookie per 16 bits: time to grow() (or most new cookies would look like suspects).
  bool crowded() const { return count_ * 16 > words_.size() * 64; }
  // Four times the bits, set again from the cookies taken so far.
  void grow(const Table* a, const Table* b);

 private:
  std::vector<uint64_t> words_;
  unsigned shift_ = 48;
  size_t count_ = 0;
};

struct DiagSink {
  // Inet layout for table->capacity rows; rows appended at count, each with its backlog, cookie,
  // cgroup_id and ifindex entries (and an ext row when `extensions` is not 0).
  Table* table = nullptr;
  bool raw = false;          // RAW dump: remote port forced to 0, as /proc prints it
  bool drops = true;         // SK_MEMINFO_DROPS into the drops column (not TCP: /proc/net/tcp has none)
  uint32_t extensions = 0;   // kExtTcpInfo | kExtMemory (tcp_info.h): the ext parts decoded
  uint32_t seq = 0;          // only messages with this nlmsg_seq are taken (unless `multicast`)
  // Multicast messages (the destroy events of destroy_events.h): every SOCK_DIAG_BY_FAMILY record
  // is taken whatever its nlmsg_seq (the kernel sends them with 0), and NLMSG_DONE and NLMSG_ERROR
  // are skipped rather than ending the walk (a group never carries them).
  bool multicast = false;
  // Rows past this many in the table (0: no limit) are not appended but counted in `dropped`.
  size_t max_rows = 0;
  size_t dropped = 0;
  // Rows for which the program is false are not appended (nothing of them: no main row, no side
  // vector entry, no ext row). Null: every row is kept.
  const FilterProgram* filter = nullptr;
  bool out_of_memory = false;  // growing the table failed
  size_t records = 0;          // inet records seen, kept, filtered out or dropped
  bool kernel_error = false;   // an NLMSG_ERROR with a negative errno ended the walk
  // Cookies already taken in this dump (null: no check). A record with a cookie already taken is
  // not appended: it is counted in `duplicates` and noted in table->problems (record number,
  // problem::kNetlinkDuplicate).
  CookieSet* seen = nullptr;
  // A dump of both families (DumpRequest.both_families): IPv6 rows go to table6, and the records
  // come as the request's type (TCPDIAG_GETSOCK).
  Table* table6 = nullptr;
  uint16_t record_type = 20;  // SOCK_DIAG_BY_FAMILY
  size_t duplicates = 0;
  // Instead of `seen`, for a dump: the cookies as bits; the rows whose bit was set already, with
  // their record numbers, wait in `maybe_twice` for drop_duplicates().
  CookieBits* bits = nullptr;
  struct MaybeTwice {
    Table* table;
    size_t row;
    size_t record;
  };
  std::vector<MaybeTwice>* maybe_twice = nullptr;
  // A pair dump's tables as another thread reads them (row_feed.h): grown under its lock, published
  // after each batch of records. Null: nothing reads them meanwhile.
  RowFeed* feed = nullptr;
};

// Result of parse_diag_messages().
constexpr int kDiagMore = 1;  // all records consumed, NLMSG_DONE not seen yet
constexpr int kDiagDone = 0;  // NLMSG_DONE seen
// Anything negative: -errno (an NLMSG_ERROR from the kernel, -EBADMSG for a malformed record,
// -ENOMEM when the table could not grow).

// Parses one recv()'d buffer of netlink messages, appending a row per SOCK_DIAG_BY_FAMILY record.
// Every length is checked against `len` before anything is read; `data` may hold anything.
// Of a repeated attribute the last one counts. The ext rows stay row-major until
// table->ext.finish().
int parse_diag_messages(const uint8_t* data, size_t len, DiagSink* sink);

// After a dump into sink->bits: of the rows in sink->maybe_twice, the ones whose cookie an earlier
// record of the dump has (in either table) are removed (kept: the first), each counted in
// sink->duplicates and noted in its table's problems as kNetlinkDuplicate with its record number,
// as the cookie set does for one table. Before TcpExtensions::finish().
void drop_duplicates(DiagSink* sink);

// One inet_diag dump.
struct DumpRequest {
  int family = 0;    // AF_INET or AF_INET6
  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE or IPPROTO_RAW (RAW goes through raw_diag and lists
  // raw sockets of every IP protocol).
  int protocol = 0;
  uint32_t state_mask = 0xffffffffu;  // the kernel's idiag_states (bit 1 << TCP_*); TCP only
  // kExtTcpInfo asks INET_DIAG_INFO and INET_DIAG_CONG (TCP only), kExtMemory INET_DIAG_SKMEMINFO;
  // not 0: the table comes with its ext columns. UDP, UDPLITE and RAW always ask SKMEMINFO (drops).
  uint32_t extensions = 0;
  // TCP only: one dump of both families (dump_inet_pair), by the kernel's older request
  // (TCPDIAG_GETSOCK, which asks for AF_UNSPEC): one walk of the established hash instead of two.
  bool both_families = false;
  // With kExtTcpInfo: the tcp_info fields decoded (TcpExtensions::select); null or empty: all of
  // them, and INET_DIAG_CONG too (a selection goes without the congestion control's name).
  const std::vector<uint8_t>* info_fields = nullptr;
  // A NETLINK_SOCK_DIAG socket to dump with, which the caller closes (one made in another network
  // namespace: diag_sockets_in_netns), or -1: a socket of the caller's namespace, made here.
  int socket = -1;
  // The column program (filter.h): rows for which it is false are not kept. Null: all rows.
  const FilterProgram* filter = nullptr;
  // INET_DIAG_REQ_BYTECODE sent with the request (bytecode_len 1..kMaxBytecode; 0: none): the
  // kernel's share of the filter, which must accept a superset of the rows the program keeps.
  const uint8_t* bytecode = nullptr;
  size_t bytecode_len = 0;
  // A kernel that refuses the bytecode fails the dump (the program holds AUTOBOUND, which only the
  // kernel decides), instead of a second dump without it.
  bool bytecode_required = false;
  // Rows to make room for at once (IPv4's, IPv6's; of a sockstat count), in a table that is not a
  // reused one: a table of 100,000 rows grown by doubling from a few hundred would copy itself nine
  // times. A count too small only means growing from there; too big, pages never touched (but a
  // sample that is not trimmed hands V8 the whole buffer to count).
  size_t expect4 = 0, expect6 = 0;
  // The reply's records parsed on a second thread while this one receives the next batch (which the
  // kernel fills inside recv()): for a big table when a CPU would otherwise idle (sample.cc: a sync
  // sample on two CPUs or more). Not with a feed; the result is the serial loop's.
  bool parse_aside = false;
  // dump_inet_pair only: the feed through which another thread reads the rows as they come
  // (row_feed.h), closed before the tables change or leave; its `intact` set at the end.
  RowFeed* feed = nullptr;
};

// How many dumps of this process had their records parsed aside (DumpRequest.parse_aside, its thread
// made): for tests.
uint64_t parse_aside_dumps();

// The longest bytecode an rtattr can carry (its rta_len is 16 bits and counts its 4-byte header).
constexpr size_t kMaxBytecode = 0xffff - 4;

// dump_inet()'s result when growing the table failed here (not an errno: the kernel's ENOMEM is one).
constexpr int kAllocFailed = -1;

// What dump_inet() did with the bytecode.
struct DumpFilterOutcome {
  bool in_kernel = false;  // the kernel accepted and ran it
  int rejected = 0;        // the errno of the kernel's refusal (the rows then come from a dump without it)
};

// Dumps the sockets of one (family, protocol) into *out.
// reuse: an earlier table whose memory is filled first (see table.h); grown by doubling past it.
//   Its memory may be written even when the rows end up elsewhere (the dump outgrew it, or failed
//   and /proc was read): a caller hands a table over for reuse only when it is done with it.
// The table comes with its backlog, cookie, cgroup_id and ifindex columns (has_backlog, has_ids),
// and its ext columns, column-major (has_ext), when extensions were asked. *out is only written on
// success.
// With a bytecode: when the kernel answers the request with an error before any record (its audit,
// inet_diag_bc_audit, refused the bytecode: EINVAL, or EPERM for a mark condition), the dump is made
// again without it and *filter records the refusal; with bytecode_required the refusal is the
// dump's error instead. `filter` may be null.
// Returns 0, an errno (EPROTONOSUPPORT, ENOENT, EACCES, EINVAL, ENOBUFS, ENOMEM, EBADMSG...: the kernel's
// or the socket's, ENOMEM included), or kAllocFailed when this process could not allocate the table.
int dump_inet(const DumpRequest& request, Table* out, const Reuse* reuse, DumpFilterOutcome* filter = nullptr);

// TCP of both families in one dump (request.protocol IPPROTO_TCP; its family is not used): the
// IPv4 rows into *out4, the IPv6 rows into *out6, each in the order its own dump would give (the
// kernel walks the same hash tables and leaves out the other family). Returns as dump_inet; on an
// error nothing is written and the caller dumps each family on its own (dump_inet), which also
// settles a bytecode the kernel refuses.
int dump_inet_pair(const DumpRequest& request, Table* out4, Table* out6, const Reuse* reuse4, const Reuse* reuse6,
                   DumpFilterOutcome* filter);

// Appends the rows of `parts` (netlink inet tables of `into`'s request, their ext not finished), in
// order, after `into`'s, which grows once to hold them all. Returns false when that memory cannot be
// had: `into` then keeps only its own rows. `parts` is left empty.
bool append_inet_tables(Table* into, std::vector<Table>* parts);

// Makes `n` NETLINK_SOCK_DIAG sockets inside the network namespace at `netns_path` (e.g.
// /proc/PID/ns/net or /run/netns/NAME) into fds[0..n). A netlink socket stays bound to the
// namespace it was created in, and setns() moves only the calling thread, so the sockets are made
// on a short-lived thread of their own: the caller's thread (Node's, or a libuv pool thread) never
// changes namespace. Returns 0, or an errno from open (ENOENT, EACCES), setns (EPERM without
// CAP_SYS_ADMIN, EINVAL when the file is not a network namespace), socket or pthread_create;
// on failure no socket is left open.
int diag_sockets_in_netns(const char* netns_path, size_t n, int* fds);

}  // namespace netsnap

#endif  // NETSNAP_NETLINK_DIAG_H_
