// TCP destroy events: the kernel's announcement of every TCP socket it frees, on the sock_diag
// multicast groups SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY (what `ss -E` shows),
// gathered by a reader thread into inet table rows the JavaScript side polls for. Pure C++ (no
// Node-API, no exceptions); js_api.cc wraps it.
//
// What the kernel sends (net/core/sock_diag.c, net/ipv4/inet_diag.c, net/ipv4/tcp_diag.c,
// include/linux/sock_diag.h, net/core/sock.c; checked on this machine's 6.18 with a probe):
// - When: __sk_free() (net/core/sock.c) calls sock_diag_broadcast_destroy() instead of
//   sk_destruct() for a full socket of a user (sk_net_refcnt set: not the kernel's own sockets)
//   while sock_diag_has_destroy_listeners(): someone is subscribed to the socket's group in the
//   socket's network namespace (sock_net(sk)->diag_nlsk). A work item (sock_diag_events workqueue)
//   fills the message and nlmsg_multicast()s it, then destructs the socket. TIME_WAIT and request
//   minisockets are not full sockets and announce nothing; a connection that enters TIME_WAIT is
//   announced when its full socket is freed on the way in (tcp_time_wait() -> tcp_done()).
// - Groups by family (sock_diag_destroy_group()): AF_INET TCP -> SKNLGRP_INET_TCP_DESTROY (1),
//   AF_INET6 TCP -> SKNLGRP_INET6_TCP_DESTROY (3); an IPv4-mapped connection of an AF_INET6 socket
//   goes to the IPv6 group. UDP has groups 2 and 4, not subscribed here.
// - Who may listen: diag_net_init() makes the kernel socket with NL_CFG_F_NONROOT_RECV, so bind()
//   with these groups needs no privilege; an unprivileged subscriber receives every TCP close of
//   its namespace, other users' included (probe: uid 65534 received root's closes).
// - The message (inet_diag_handler_get_info()): one SOCK_DIAG_BY_FAMILY message per datagram,
//   nlmsg_seq 0, nlmsg_pid 0, nlmsg_flags 0 (the dump's seq check would drop it: DiagSink's
//   `multicast`); an inet_diag_msg filled by inet_diag_msg_common_fill(): family, ports, addresses
//   (a listener's remote address and port 0), idiag_if and the cookie (sock_diag_save_cookie():
//   the same 64-bit cookie a dump shows for the socket while it lived); idiag_state = sk_state,
//   which is TCP_CLOSE (7) by then (tcp_done()/tcp_set_state(), listeners too); idiag_rqueue and
//   idiag_wqueue from tcp_diag_get_info(); idiag_uid, idiag_inode, idiag_timer, idiag_expires and
//   idiag_retrans stay 0 (the message is memset and nothing sets them: the socket has no file
//   any more). Attributes: INET_DIAG_PROTOCOL (u8, 6) and INET_DIAG_INFO (the whole struct
//   tcp_info, tcp_get_info() of the dying socket: 280 bytes on 6.18). No INET_DIAG_CONG, no
//   INET_DIAG_SKMEMINFO, no INET_DIAG_CGROUP_ID, whatever one would ask (there is no request).
//   Probe, 6.18, a 100,000-byte transfer on loopback: 380-byte messages; the connecting side,
//   closed first: bytes_sent 100,000, bytes_acked 100,002 (its SYN and its FIN acknowledged, one
//   more than the sent + 1 a dump shows while the connection lives), bytes_received 0; the
//   accepting side, closed after: bytes_received 100,001 (the data and the peer's FIN),
//   bytes_acked 1 (its FIN; the SYN-ACK is not counted), bytes_sent 0.
// - Overflow: netlink_broadcast() queues a clone per subscriber while the receive queue is within
//   SO_RCVBUF; past it the event is lost and the next recv() fails once with ENOBUFS
//   (netlink_overrun(), once per congested spell): `overflows` counts those failures, each one or
//   more lost events; netlink_overrun() also counts every lost event in sk_drops, which
//   getsockopt(SO_MEMINFO) reads (`lost`). SO_RCVBUF is capped by net.core.rmem_max;
//   SO_RCVBUFFORCE (CAP_NET_ADMIN) is not; the kernel doubles what it is given and getsockopt()
//   reports that.
//
// In the rows (the netlink inet table of netlink_diag.h, with cookie and the ext columns of
// tcp_info.h): family, addresses, ports, state 7, txQueue/rxQueue, the cookie, ifindex, and
// ext's tcp_info with its infoLen; uid, inode, timer columns, cgroupId, cong and memCount are 0.
#ifndef NETSNAP_DESTROY_EVENTS_H_
#define NETSNAP_DESTROY_EVENTS_H_

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "table.h"

namespace netsnap {

// At most this many rows wait between two reads (the rest are counted as dropped): a row is
// ~0.4 KB until it is read (the tcp_info bytes are decoded when it is), so ~400 MB at most.
constexpr size_t kDestroyMaxRows = 1000000;
// The reader fills tables of about this many rows, one after the other, which a read joins into
// one. A single table grows by doubling and moves every row each time: at half a million closes
// that is hundreds of megabytes, during which nobody drained the socket, whose buffer then
// overflowed under heavy churn (bench/RESULTS-top.md). A part moves at most this many rows.
constexpr size_t kDestroyPartRows = 16384;
// SO_RCVBUF asked for by default: the kernel holds about 16 MB of events (it doubles this) while the
// reader thread is not scheduled, where SO_RCVBUFFORCE is allowed; net.core.rmem_max otherwise.
constexpr int kDestroyDefaultRcvbuf = 8 << 20;

// What one read takes: the rows since the previous read and the counters of the same span.
struct DestroyBatch {
  Table table;             // with cookie/cgroup_id/ifindex/backlog and the ext columns, finished
  uint64_t received = 0;   // SOCK_DIAG_BY_FAMILY inet records received: table.count + dropped
  uint64_t dropped = 0;    // records not kept: past max_rows (or a table that could not grow)
  uint64_t overflows = 0;  // recv() failures with ENOBUFS: the kernel lost one or more events each
  // Events the kernel could not queue (the socket's sk_drops, SO_MEMINFO's SK_MEMINFO_DROPS: every
  // failed netlink_broadcast() delivery counts one), since the previous read.
  uint64_t lost = 0;
};

// The rows and counters gathered since the last take(). Not locked: DestroySubscription holds its
// mutex around every call. Pure: the fuzz harness feeds it datagrams directly.
class DestroyRows {
 public:
  explicit DestroyRows(size_t max_rows);
  // One datagram as recv() returned it (any bytes): each SOCK_DIAG_BY_FAMILY inet record, whatever
  // its nlmsg_seq, becomes a row while fewer than max_rows wait; the others are counted as dropped.
  // A malformed message ends the walk of this datagram (rows before it stay).
  void add_datagram(const uint8_t* data, size_t len);
  void add_overflow() { overflows_++; }
  // Moves the rows and counters into *out and starts afresh. The ext columns are left row-major:
  // the caller calls out->table.ext.finish() (outside the lock).
  void take(DestroyBatch* out);
  // take() in two steps: the rows as they were gathered, in parts (`parts`, the rows after those
  // of out->table), then join() into out->table, which can run outside the lock (the rows are
  // copied once there). A part that cannot be joined for want of memory counts as dropped.
  void take_parts(DestroyBatch* out, std::vector<Table>* parts);
  static void join(DestroyBatch* out, std::vector<Table>* parts);

 private:
  void reset();
  void new_part();
  size_t max_rows_;
  Table table_;
  std::vector<Table> parts_;  // full parts before table_'s rows
  size_t part_rows_ = 0;      // their rows
  uint64_t received_ = 0, dropped_ = 0, overflows_ = 0;
};

struct DestroyOptions {
  // Another network namespace (its nsfs path, /proc/PID/ns/net or /run/netns/NAME): the socket is
  // made there by diag_sockets_in_netns() (CAP_SYS_ADMIN). Null: the caller's namespace.
  const char* netns = nullptr;
  int rcvbuf = kDestroyDefaultRcvbuf;  // SO_RCVBUF to ask for (tests ask for tiny ones)
  size_t max_rows = kDestroyMaxRows;   // 1..kDestroyMaxRows
};

// A NETLINK_SOCK_DIAG socket bound to both TCP destroy groups and the thread that reads it. The
// thread has every signal blocked, only fills memory and is woken for close() by an eventfd, so
// close() returns as soon as it has joined it (one poll() wake-up). Nothing in it keeps a process
// alive; the owner (js_api.cc: the JavaScript object's finalizer) calls close() or destroys it.
class DestroySubscription {
 public:
  // Returns 0 and the running subscription in *out, or an errno with the step that failed in
  // *step ("netns" (open/setns: ENOENT, EACCES, EPERM, EINVAL), "socket", "bind", "eventfd",
  // "thread").
  static int open(const DestroyOptions& options, std::unique_ptr<DestroySubscription>* out, const char** step);
  ~DestroySubscription();
  DestroySubscription(const DestroySubscription&) = delete;
  DestroySubscription& operator=(const DestroySubscription&) = delete;

  // Everything gathered since the last read, its ext columns finished. False (and *out untouched)
  // once closed.
  bool read(DestroyBatch* out);
  // Stops and joins the thread and closes the sockets. Idempotent.
  void close();
  bool closed() const { return closed_; }
  // SO_RCVBUF as getsockopt() reports it after the request (the kernel's doubled value).
  int rcvbuf() const { return rcvbuf_; }
  // The errno that stopped the reader thread (anything but EINTR, EAGAIN and ENOBUFS from recv or
  // poll), 0 while it runs.
  int error() const { return error_.load(std::memory_order_acquire); }
  // The socket's drop count now (SO_MEMINFO), 0 when it cannot be read.
  uint32_t kernel_drops() const;

 private:
  explicit DestroySubscription(size_t max_rows) : rows_(max_rows) {}
  static void* reader_main(void* self);
  void reader_loop();

  int fd_ = -1;
  int wake_ = -1;
  int rcvbuf_ = 0;
  pthread_t thread_{};
  bool running_ = false;
  bool closed_ = false;
  uint32_t drops_seen_ = 0;  // kernel_drops() at the previous read
  std::atomic<int> error_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  DestroyRows rows_;
};

// The name the reader thread carries (/proc/PID/task/TID/comm), so a test can count them.
constexpr const char* kDestroyThreadName = "netsnap-events";

}  // namespace netsnap

#endif  // NETSNAP_DESTROY_EVENTS_H_
