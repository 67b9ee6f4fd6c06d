#include "netlink_diag.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "filter.h"
#include "give_way.h"
#include "parallel.h"
#include "layout.h"
#include "net_inet.h"
#include "problems.h"

namespace netsnap {
namespace {

constexpr size_t kRecvBuffer = 64 * 1024;  // the kernel sends at most 32 KiB per dump skb
constexpr size_t kFirstCapacity = 256;

// Moves the first `count` rows of `t` into a fresh zeroed buffer of `capacity` rows.
bool grow_table(Table* t, size_t capacity) {
  if (!inet_capacity_fits(capacity)) return false;
  const InetLayout to = inet_layout(capacity);
  uint8_t* buffer = static_cast<uint8_t*>(std::calloc(to.byte_length, 1));
  if (buffer == nullptr) return false;
  if (t->count > 0) {
    const auto from = inet_columns(inet_layout(t->capacity));
    const auto into = inet_columns(to);
    for (size_t c = 0; c < from.size(); c++) {
      std::memcpy(buffer + into[c].offset, t->buffer + from[c].offset, from[c].width * t->count);
    }
  }
  if (!t->buffer_reused) std::free(t->buffer);
  t->buffer = buffer;
  t->buffer_reused = false;
  t->byte_length = to.byte_length;
  t->capacity = capacity;
  return true;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// One SOCK_DIAG_BY_FAMILY payload of `len` bytes (len >= sizeof(inet_diag_msg) checked by caller).
int take_record(const uint8_t* p, size_t len, DiagSink* sink) {
  inet_diag_msg m;
  std::memcpy(&m, p, sizeof m);
  uint8_t family;
  if (m.idiag_family == AF_INET) family = 4;
  else if (m.idiag_family == AF_INET6) family = 6;
  else return 0;  // not an inet socket: nothing /proc/net/{tcp,udp,raw}* would show

  // Attributes follow the aligned header, inside this message only. Of a repeated attribute the
  // last one counts.
  struct Payload {
    const uint8_t* data = nullptr;
    size_t len = 0;
  } info, cong, mem, cgroup;
  size_t off = NLMSG_ALIGN(sizeof(inet_diag_msg));
  while (off < len && len - off >= sizeof(rtattr)) {
    const rtattr a = load<rtattr>(p + off);
    if (a.rta_len < sizeof(rtattr) || a.rta_len > len - off) return -EBADMSG;
    const Payload at{p + off + RTA_ALIGN(sizeof(rtattr)), a.rta_len - RTA_ALIGN(sizeof(rtattr))};
    switch (a.rta_type) {
      case INET_DIAG_INFO: info = at; break;
      case INET_DIAG_CONG: cong = at; break;
      case INET_DIAG_SKMEMINFO: mem = at; break;
      case INET_DIAG_CGROUP_ID: cgroup = at; break;
      default: break;
    }
    const size_t step = RTA_ALIGN(a.rta_len);
    if (step >= len - off) break;
    off += step;
  }
  uint32_t drops = 0;
  if (sink->drops && mem.len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
    drops = load<uint32_t>(mem.data + SK_MEMINFO_DROPS * sizeof(uint32_t));
  }
  const uint64_t cgroup_id = cgroup.len >= sizeof(uint64_t) ? load<uint64_t>(cgroup.data) : 0;
  if (!(sink->extensions & kExtTcpInfo)) info = cong = Payload();
  if (!(sink->extensions & kExtMemory)) mem = Payload();

  // The row as it is stored (and as the TypeScript side reads it back for its own run of the
  // program): the filter sees the stored values.
  InetRow row;
  const uint8_t state = m.idiag_state == 12 ? 3 : m.idiag_state;  // TCP_NEW_SYN_RECV, as /proc prints it
  const bool listen = state == 10 && !sink->raw;
  row.retransmits = 0;
  row.timeout = 0;
  if (m.idiag_timer == 1) row.retransmits = m.idiag_retrans;
  else if (m.idiag_timer == 2 || m.idiag_timer == 4) row.timeout = m.idiag_retrans;
  std::memset(row.local_addr, 0, 16);
  std::memset(row.remote_addr, 0, 16);
  const size_t alen = family == 4 ? 4 : 16;
  std::memcpy(row.local_addr, m.id.idiag_src, alen);
  std::memcpy(row.remote_addr, m.id.idiag_dst, alen);
  row.inode = static_cast<double>(m.idiag_inode);
  row.tx_queue = listen ? 0 : m.idiag_wqueue;
  row.rx_queue = m.idiag_rqueue;
  row.timer_jiffies = m.idiag_expires / 10;  // ms -> USER_HZ (100) ticks
  row.uid = m.idiag_uid;
  row.drops = drops;
  row.local_port = ntohs(m.id.idiag_sport);
  row.remote_port = sink->raw ? 0 : ntohs(m.id.idiag_dport);
  row.family = family;
  row.state = state;
  row.timer_kind = m.idiag_timer;
  sink->records++;
  if (sink->filter != nullptr) {
    FilterRow f;
    f.inet = &row;
    f.netlink = true;
    f.ifindex = m.id.idiag_if;
    f.cgroup_id = cgroup_id;
    f.info = info.data;
    f.info_len = info.len;
    // Dropped before anything of it is appended: the table stays as if the kernel had not sent it.
    if (!sink->filter->keeps(f)) return 0;
  }

  Table* t = family == 6 && sink->table6 != nullptr ? sink->table6 : sink->table;
  const uint64_t cookie = (static_cast<uint64_t>(m.id.idiag_cookie[1]) << 32) | m.id.idiag_cookie[0];
  if (sink->bits != nullptr && sink->bits->crowded()) sink->bits->grow(sink->table, sink->table6);
  const bool maybe_twice = sink->bits != nullptr && sink->bits->test_and_set(cookie);
  if (sink->bits == nullptr && sink->seen != nullptr && !sink->seen->insert(cookie)) {
    sink->duplicates++;
    t->problems.push_back(sink->records > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(sink->records));
    t->problems.push_back(problem::kNetlinkDuplicate);
    return 0;
  }
  if (sink->max_rows != 0 && t->count >= sink->max_rows) {
    sink->dropped++;
    return 0;
  }
  if (t->count >= t->capacity) {
    const size_t want = t->capacity < kFirstCapacity ? kFirstCapacity : t->capacity * 2;
    // The reader of a feed may be reading the old buffer: it moves under the feed's lock.
    std::unique_lock<std::mutex> moving;
    if (sink->feed != nullptr) moving = std::unique_lock<std::mutex>(sink->feed->lock);
    if (!grow_table(t, want)) {
      sink->out_of_memory = true;
      return -ENOMEM;
    }
    if (sink->feed != nullptr) sink->feed->set_table(t == sink->table ? 0 : 1, t->buffer, t->capacity);
  }
  store_inet_row(t->buffer, inet_layout(t->capacity), t->count++, row);
  t->backlog.push_back(listen ? m.idiag_wqueue : 0);
  t->cookie.push_back(cookie);
  t->cgroup_id.push_back(cgroup_id);
  t->ifindex.push_back(m.id.idiag_if);
  if (sink->extensions != 0) t->ext.add_row(info.data, info.len, cong.data, cong.len, mem.data, mem.len);
  if (maybe_twice) sink->maybe_twice->push_back({t, t->count - 1, sink->records});
  return 0;
}

// Removes the rows at `rows` (increasing) of an inet table before its ext is finished.
void remove_rows(Table* t, const std::vector<size_t>& rows) {
  if (rows.empty()) return;
  const size_t n = t->count;
  for (const ColumnSpan& c : inet_columns(inet_layout(t->capacity))) {
    uint8_t* base = t->buffer + c.offset;
    const size_t left = compact_rows(base, n, c.width, rows);
    // The freed rows read as zeros, as a fresh table's.
    std::memset(base + left * c.width, 0, (n - left) * c.width);
  }
  auto erase = [&](auto& v) {
    v.resize(compact_rows(reinterpret_cast<uint8_t*>(v.data()), v.size(), sizeof(v[0]), rows));
  };
  erase(t->backlog);
  erase(t->cookie);
  erase(t->cgroup_id);
  erase(t->ifindex);
  t->ext.remove_rows(rows);
  t->count = n - rows.size();
}

}  // namespace

void CookieBits::reset(size_t expected, unsigned min_bits) {
  unsigned bits = min_bits < 6 ? 6 : min_bits;
  while (bits < 40 && (size_t{1} << bits) < expected * 16) bits++;
  const size_t words = (size_t{1} << bits) / 64;
  if (words_.size() != words) words_.assign(words, 0);
  else std::fill(words_.begin(), words_.end(), 0);
  shift_ = 64 - bits;
  count_ = 0;
}

void CookieBits::grow(const Table* a, const Table* b) {
  const unsigned bits = 64 - shift_ + 2;
  words_.assign((size_t{1} << bits) / 64, 0);
  shift_ = 64 - bits;
  count_ = 0;
  for (const Table* t : {a, b}) {
    if (t == nullptr) continue;
    for (size_t r = 0; r < t->count; r++) test_and_set(t->cookie[r]);
  }
}

bool CookieBits::test_and_set(uint64_t key) {
  if (key == 0) return false;
  const uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> shift_;
  uint64_t& word = words_[h >> 6];
  const uint64_t bit = uint64_t{1} << (h & 63);
  const bool was = (word & bit) != 0;
  word |= bit;
  count_++;
  return was;
}

bool CookieSet::contains(uint64_t key) const {
  if (key == 0 || slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
  for (;;) {
    if (slots_[i] == key) return true;
    if (slots_[i] == 0) return false;
    i = (i + 1) & mask;
  }
}

void drop_duplicates(DiagSink* sink) {
  std::vector<DiagSink::MaybeTwice>& maybe = *sink->maybe_twice;
  if (maybe.empty()) return;
  // The suspects' cookies, exactly: few, so this set stays in cache.
  CookieSet suspects;
  suspects.reset(maybe.size());
  for (const auto& m : maybe) suspects.insert(m.table->cookie[m.row]);
  // A row that is not a suspect came before every other row of its cookie (else its bit would
  // have been set): those cookies are taken already. `maybe` lists each table's rows in order.
  CookieSet taken;
  taken.reset(maybe.size());
  for (Table* t : {sink->table, sink->table6}) {
    if (t == nullptr) continue;
    std::vector<size_t> suspect_rows;
    for (const auto& m : maybe) {
      if (m.table == t) suspect_rows.push_back(m.row);
    }
    size_t k = 0;
    for (size_t r = 0; r < t->count; r++) {
      if (k < suspect_rows.size() && suspect_rows[k] == r) {
        k++;
        continue;
      }
      const uint64_t c = t->cookie[r];
      if (suspects.contains(c)) taken.insert(c);
    }
  }
  // The suspects in the dump's order (maybe is): the first of a cookie not taken yet is kept.
  std::vector<size_t> drop4, drop6;
  for (const auto& m : maybe) {
    if (taken.insert(m.table->cookie[m.row])) continue;
    (m.table == sink->table ? drop4 : drop6).push_back(m.row);
    m.table->problems.push_back(m.record > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(m.record));
    m.table->problems.push_back(problem::kNetlinkDuplicate);
    sink->duplicates++;
  }
  remove_rows(sink->table, drop4);
  if (sink->table6 != nullptr) remove_rows(sink->table6, drop6);
  maybe.clear();
}

void CookieSet::reset(size_t expected) {
  size_t want = 1024;
  while (want < expected * 2) want *= 2;
  if (slots_.size() != want) slots_.assign(want, 0);
  else std::fill(slots_.begin(), slots_.end(), 0);
  count_ = 0;
}

void CookieSet::grow() {
  std::vector<uint64_t> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
  count_ = 0;
  for (const uint64_t k : old) {
    if (k != 0) insert(k);
  }
}

bool CookieSet::insert(uint64_t key) {
  if (key == 0) return true;
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  // Cookies are a counter: a multiplicative hash spreads consecutive ones over the table.
  size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
  for (;;) {
    if (slots_[i] == key) return false;
    if (slots_[i] == 0) {
      slots_[i] = key;
      count_++;
      return true;
    }
    i = (i + 1) & mask;
  }
}

namespace {

// Walks the netlink messages of a buffer in order: fn(header, payload, payload bytes) for each,
// until fn answers other than kDiagMore, which is then the answer; -EBADMSG where the bytes are not
// whole messages. The one walk of parse_diag_messages, prefetch_cookies and ends_dump.
template <typename Fn>
int walk_messages(const uint8_t* data, size_t len, Fn&& fn) {
  size_t off = 0;
  while (off < len) {
    if (len - off < sizeof(nlmsghdr)) return -EBADMSG;
    const nlmsghdr h = load<nlmsghdr>(data + off);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len - off) return -EBADMSG;
    const size_t plen = h.nlmsg_len >= NLMSG_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN : 0;
    const int rc = fn(h, data + off + NLMSG_HDRLEN, plen);
    if (rc != kDiagMore) return rc;
    const size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= len - off) break;
    off += step;
  }
  return kDiagMore;
}

// What a message of the dump's own sequence says of the dump's end: kDiagDone for NLMSG_DONE; the
// negative errno of a dump that failed half-way (a DONE carrying it) or of an NLMSG_ERROR (then
// *refused: the kernel's answer to the request), -EBADMSG for a malformed one; kDiagMore for
// anything else (a record, an acknowledgement).
int dump_end(const nlmsghdr& h, const uint8_t* payload, size_t plen, bool* refused) {
  if (h.nlmsg_type == NLMSG_DONE) {
    if (plen >= sizeof(int)) {
      const int err = load<int>(payload);
      if (err < 0) return err;
    }
    return kDiagDone;
  }
  if (h.nlmsg_type == NLMSG_ERROR) {
    if (plen < sizeof(int)) return -EBADMSG;
    const int err = load<int>(payload);
    if (err < 0) {
      *refused = true;
      return err;
    }
    if (err > 0) return -EBADMSG;
  }
  return kDiagMore;
}

// The cookie bits' words of a buffer's records, asked for before the records are taken (one pass
// over the headers; it stops at the first message too short for a record).
void prefetch_cookies(const uint8_t* data, size_t len, const DiagSink& sink) {
  walk_messages(data, len, [&](const nlmsghdr& h, const uint8_t* payload, size_t plen) {
    if (plen < sizeof(inet_diag_msg)) return kDiagDone;
    if (h.nlmsg_type == sink.record_type) {
      const inet_diag_msg m = load<inet_diag_msg>(payload);
      sink.bits->prefetch((static_cast<uint64_t>(m.id.idiag_cookie[1]) << 32) | m.id.idiag_cookie[0]);
    }
    return kDiagMore;
  });
}

}  // namespace

int parse_diag_messages(const uint8_t* data, size_t len, DiagSink* sink) {
  if (sink->bits != nullptr && !sink->multicast) prefetch_cookies(data, len, *sink);
  return walk_messages(data, len, [&](const nlmsghdr& h, const uint8_t* payload, size_t plen) {
    // Multicast (destroy events): every record, whatever its sequence; a dump: its own sequence's.
    const bool record = sink->multicast ? h.nlmsg_type == SOCK_DIAG_BY_FAMILY
                                        : h.nlmsg_seq == sink->seq && h.nlmsg_type == sink->record_type;
    if (record) {
      if (plen < sizeof(inet_diag_msg)) return -EBADMSG;
      const int rc = take_record(payload, plen, sink);
      return rc < 0 ? rc : kDiagMore;
    }
    if (sink->multicast || h.nlmsg_seq != sink->seq) return kDiagMore;
    return dump_end(h, payload, plen, &sink->kernel_error);
  });
}

namespace {

// Whether parse_diag_messages() ends the dump at these bytes for what they say of its end (the same
// walk and rule, without taking a record): its NLMSG_DONE or a failing NLMSG_ERROR, or bytes that are
// not whole messages.
bool ends_dump(const uint8_t* data, size_t len, uint32_t seq) {
  bool refused = false;
  return walk_messages(data, len, [&](const nlmsghdr& h, const uint8_t* payload, size_t plen) {
           return h.nlmsg_seq == seq ? dump_end(h, payload, plen, &refused) : kDiagMore;
         }) != kDiagMore;
}

// receive_aside()'s answer when its thread could not be made: the caller receives as usual.
constexpr int kAsideUnavailable = -1;

// The batches between the receiving thread and the parsing one: kAsideSlots buffers, filled in
// turn; `head` counts the batches received, `tail` those parsed.
constexpr size_t kAsideSlots = 8;
struct Aside {
  std::mutex mu;
  std::condition_variable filled, emptied;
  std::vector<uint8_t> slots[kAsideSlots];
  size_t len[kAsideSlots] = {};
  size_t head = 0, tail = 0;
  bool closed = false;  // no batch will follow
  bool stopped = false;  // the parser ended: the dump's end, or an error
  int rc = kDiagMore;    // the parser's last answer
  DiagSink* sink = nullptr;
};

void* parse_aside_main(void* arg) {
  Aside& a = *static_cast<Aside*>(arg);
  const ThreadNameScope name(kWorkerThreadName);
  for (;;) {
    size_t slot, n;
    {
      std::unique_lock<std::mutex> lock(a.mu);
      a.filled.wait(lock, [&] { return a.head != a.tail || a.closed; });
      if (a.head == a.tail) return nullptr;
      slot = a.tail % kAsideSlots;
      n = a.len[slot];
    }
    const int rc = parse_diag_messages(a.slots[slot].data(), n, a.sink);
    {
      std::lock_guard<std::mutex> lock(a.mu);
      a.tail++;
      if (rc != kDiagMore) {
        a.rc = rc;
        a.stopped = true;
      }
    }
    a.emptied.notify_one();
    if (rc != kDiagMore) return nullptr;
  }
}

// The reply of a dump already asked for, received on this thread and parsed on another
// (DumpRequest.parse_aside): the kernel fills the next batch of records inside recv(), which then
// overlaps the parse of the one before instead of waiting for it. The same answers as the serial
// loop of run_dump(); kAsideUnavailable when the thread could not be made (nothing received yet).
std::atomic<uint64_t> g_aside_dumps{0};

int receive_aside(int fd, DiagSink* sink) {
  Aside a;
  a.sink = sink;
  for (auto& slot : a.slots) slot.resize(kRecvBuffer);
  pthread_t parser;
  if (create_quiet_thread(&parser, parse_aside_main, &a) != 0) return kAsideUnavailable;
  g_aside_dumps.fetch_add(1, std::memory_order_relaxed);
  int err = 0;
  for (;;) {
    size_t slot;
    {
      std::unique_lock<std::mutex> lock(a.mu);
      a.emptied.wait(lock, [&] { return a.head - a.tail < kAsideSlots || a.stopped; });
      if (a.stopped) break;
      slot = a.head % kAsideSlots;
    }
    give_way();
    const ssize_t n = recv(fd, a.slots[slot].data(), kRecvBuffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n == 0 ? EBADMSG : errno;  // 0: the dump ended without NLMSG_DONE
      break;
    }
    const bool last = ends_dump(a.slots[slot].data(), static_cast<size_t>(n), sink->seq);
    {
      std::lock_guard<std::mutex> lock(a.mu);
      a.len[slot] = static_cast<size_t>(n);
      a.head++;
    }
    a.filled.notify_one();
    if (last) break;
  }
  {
    std::lock_guard<std::mutex> lock(a.mu);
    a.closed = true;
  }
  a.filled.notify_one();
  pthread_join(parser, nullptr);
  // The first failure in the order of the bytes: the parser's, of what was received before.
  if (a.stopped && a.rc < 0) return -a.rc;
  if (a.stopped) return 0;  // kDiagDone
  return err != 0 ? err : EBADMSG;
}

// One dump request on `fd` (with the bytecode when `bytecode_len` > 0) and its reply into sink->table.
// Returns 0 or an errno; sink->kernel_error and sink->records tell a refusal of the request (an
// NLMSG_ERROR before any record) from a dump that failed on the way.
int run_dump(int fd, const DumpRequest& request, const uint8_t* bytecode, size_t bytecode_len, std::vector<uint8_t>& buf,
             DiagSink* sink) {
  struct {
    nlmsghdr h;
    inet_diag_req_raw r;  // inet_diag_req_v2 plus sdiag_raw_protocol in its padding byte
  } req;
  static_assert(sizeof(inet_diag_req_raw) == sizeof(inet_diag_req_v2), "raw_diag request layout");
  static_assert(sizeof req == NLMSG_HDRLEN + sizeof(inet_diag_req_v2), "no padding before the attributes");
  // Both families: the older request (inet_diag_rcv_msg_compat), which the kernel serves as a dump
  // of sdiag_family AF_UNSPEC with the same walk, fill and bytecode; its records come back as its
  // type. TCP only (the kernel maps TCPDIAG_GETSOCK to IPPROTO_TCP).
  struct {
    nlmsghdr h;
    inet_diag_req r;
  } both;
  static_assert(sizeof both == NLMSG_HDRLEN + sizeof(inet_diag_req), "no padding before the attributes");
  std::memset(&req, 0, sizeof req);
  std::memset(&both, 0, sizeof both);
  const bool tcp = request.protocol == IPPROTO_TCP;
  const bool raw = request.protocol == IPPROTO_RAW;
  const bool pair = tcp && request.both_families;
  nlmsghdr* head = pair ? &both.h : &req.h;
  head->nlmsg_len = pair ? sizeof both : sizeof req;
  head->nlmsg_type = pair ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
  head->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  head->nlmsg_seq = sink->seq;
  req.r.sdiag_family = static_cast<uint8_t>(request.family);
  req.r.sdiag_protocol = static_cast<uint8_t>(request.protocol);
  // raw_diag: IPPROTO_RAW as the raw protocol matches raw sockets of every protocol in a dump.
  if (raw) req.r.sdiag_raw_protocol = IPPROTO_RAW;
  req.r.idiag_states = tcp ? request.state_mask : 0xffffffffu;
  both.r.idiag_family = AF_UNSPEC;
  both.r.idiag_states = request.state_mask;
  uint8_t ext = 0;
  if (!tcp || (request.extensions & kExtMemory)) ext |= 1 << (INET_DIAG_SKMEMINFO - 1);
  const bool selected = request.info_fields != nullptr && !request.info_fields->empty();
  if (tcp && (request.extensions & kExtTcpInfo)) ext |= 1 << (INET_DIAG_INFO - 1);
  if (tcp && (request.extensions & kExtTcpInfo) && !selected) ext |= 1 << (INET_DIAG_CONG - 1);
  req.r.idiag_ext = ext;
  both.r.idiag_ext = ext;

  // The bytecode as iproute2's ss sends it: one rtattr INET_DIAG_REQ_BYTECODE right after the
  // request, counted in nlmsg_len (misc/ss.c, inet_show_netlink).
  rtattr bc;
  iovec iov[3];
  if (pair) iov[0] = {&both, sizeof both};
  else iov[0] = {&req, sizeof req};
  size_t iovlen = 1;
  if (bytecode_len > 0) {
    bc.rta_type = INET_DIAG_REQ_BYTECODE;
    bc.rta_len = static_cast<unsigned short>(RTA_LENGTH(bytecode_len));
    iov[1] = {&bc, sizeof bc};
    iov[2] = {const_cast<uint8_t*>(bytecode), bytecode_len};
    iovlen = 3;
    head->nlmsg_len += static_cast<uint32_t>(RTA_LENGTH(bytecode_len));
  }
  sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov;
  msg.msg_iovlen = iovlen;
  ssize_t sent;
  do {
    sent = sendmsg(fd, &msg, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;

  sink->raw = raw;
  sink->drops = !tcp;
  sink->record_type = pair ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
  sink->extensions = request.extensions;
  sink->filter = request.filter;
  if (request.parse_aside && sink->feed == nullptr) {
    const int rc = receive_aside(fd, sink);
    if (rc != kAsideUnavailable) return rc;
  }
  for (;;) {
    give_way();
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EBADMSG;  // the dump ended without NLMSG_DONE
    const int rc = parse_diag_messages(buf.data(), static_cast<size_t>(n), sink);
    if (sink->feed != nullptr) {
      sink->feed->publish(sink->table->count, sink->table6 != nullptr ? sink->table6->count : 0);
      sink->feed->wait_in_lockstep();
    }
    if (rc == kDiagDone) return 0;
    if (rc < 0) return -rc;
  }
}

}  // namespace

namespace {

// The table a dump appends to: `reuse`'s memory when it fits, else a small fresh one; its ext
// columns with `scratch` for the raw tcp_info. False when it cannot be allocated.
bool open_table(const DumpRequest& request, const Reuse* reuse, Column<uint8_t>* scratch, Table* t, size_t expect) {
  const bool expected = expect > kFirstCapacity && inet_capacity_fits(expect);
  if (reuse != nullptr && reuse->present && inet_capacity_fits(reuse->capacity) &&
      inet_layout(reuse->capacity).byte_length <= reuse->length && reuse->data != nullptr &&
      reuse->capacity > 0) {
    t->buffer = reuse->data;
    t->buffer_reused = true;
    t->capacity = reuse->capacity;
    t->byte_length = inet_layout(reuse->capacity).byte_length;
  } else if (!(expected && grow_table(t, expect)) && !grow_table(t, kFirstCapacity)) {
    return false;
  }
  t->has_backlog = true;
  t->has_ids = true;
  t->has_ext = request.extensions != 0;
  if (t->has_ext) {
    t->ext.use_scratch(scratch);
    static const std::vector<uint8_t> kAll;
    t->ext.select(request.info_fields != nullptr ? *request.info_fields : kAll, (request.extensions & kExtMemory) != 0);
  }
  // A sampler's earlier table, or the count expected, says how many rows to expect: the columns are
  // taken at that size.
  if (t->buffer_reused || t->capacity > kFirstCapacity) {
    t->backlog.reserve(t->capacity);
    t->cookie.reserve(t->capacity);
    t->cgroup_id.reserve(t->capacity);
    t->ifindex.reserve(t->capacity);
    if (t->has_ext) t->ext.reserve(t->capacity, t->buffer_reused);
  }
  return true;
}

}  // namespace

bool append_inet_tables(Table* into, std::vector<Table>* parts) {
  size_t total = into->count;
  for (const Table& t : *parts) total += t.count;
  const bool ok = total <= into->capacity || grow_table(into, total);
  for (size_t k = 0; ok && k < parts->size(); k++) {
    Table& from = (*parts)[k];
    if (from.count > 0) {
      const auto src = inet_columns(inet_layout(from.capacity));
      const auto dst = inet_columns(inet_layout(into->capacity));
      for (size_t c = 0; c < src.size(); c++) {
        std::memcpy(into->buffer + dst[c].offset + dst[c].width * into->count, from.buffer + src[c].offset,
                    src[c].width * from.count);
      }
      into->count += from.count;
    }
    into->problems.insert(into->problems.end(), from.problems.begin(), from.problems.end());
    into->backlog.insert(into->backlog.end(), from.backlog.begin(), from.backlog.end());
    into->cookie.insert(into->cookie.end(), from.cookie.begin(), from.cookie.end());
    into->cgroup_id.insert(into->cgroup_id.end(), from.cgroup_id.begin(), from.cgroup_id.end());
    into->ifindex.insert(into->ifindex.end(), from.ifindex.begin(), from.ifindex.end());
    into->ext.append(from.ext);
  }
  parts->clear();
  return ok;
}

int dump_inet(const DumpRequest& request, Table* out, const Reuse* reuse, DumpFilterOutcome* filter) {
  const bool with_bytecode = request.bytecode != nullptr && request.bytecode_len > 0;
  if (with_bytecode && request.bytecode_len > kMaxBytecode) return EMSGSIZE;
  // Per thread: the main thread or a libuv pool thread; kept between dumps.
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < kRecvBuffer) buf.resize(kRecvBuffer);
  // Per thread, like `buf`: the raw tcp_info of the rows until TcpExtensions::finish().
  thread_local Column<uint8_t> info_scratch;
  Table t;
  if (!open_table(request, reuse, &info_scratch, &t, request.family == AF_INET6 ? request.expect6 : request.expect4)) {
    return kAllocFailed;
  }

  const bool own_socket = request.socket < 0;
  const int fd = own_socket ? socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG) : request.socket;
  if (fd < 0) return errno;

  // A socket the dump lists twice is taken once (see CookieBits, drop_duplicates).
  thread_local CookieBits bits;
  thread_local std::vector<DiagSink::MaybeTwice> maybe_twice;
  bits.reset(t.capacity);
  maybe_twice.clear();
  DumpFilterOutcome outcome;
  DiagSink sink;
  sink.table = &t;
  sink.seq = 1;
  sink.bits = &bits;
  sink.maybe_twice = &maybe_twice;
  int err = run_dump(fd, request, with_bytecode ? request.bytecode : nullptr, with_bytecode ? request.bytecode_len : 0,
                     buf, &sink);
  if (with_bytecode) {
    // Refused before any record: the kernel's audit of the bytecode (or anything else about the
    // request, which the dump without it then meets again). Nothing was appended to the table.
    const bool refused = err != 0 && sink.kernel_error && sink.records == 0 && t.count == 0;
    if (err == 0) {
      outcome.in_kernel = true;
      drop_duplicates(&sink);
    } else if (refused && !request.bytecode_required) {
      const int rejected = err;
      DiagSink again;
      again.table = &t;
      again.seq = 2;
      bits.reset(t.capacity);
      maybe_twice.clear();
      again.bits = &bits;
      again.maybe_twice = &maybe_twice;
      err = run_dump(fd, request, nullptr, 0, buf, &again);
      if (err == 0) {
        outcome.rejected = rejected;
        drop_duplicates(&again);
      }
      if (again.out_of_memory) err = kAllocFailed;
    }
  }
  if (own_socket) close(fd);
  if (sink.out_of_memory) err = kAllocFailed;
  if (err != 0) return err;
  if (!with_bytecode) drop_duplicates(&sink);
  t.ext.finish();
  if (filter != nullptr) *filter = outcome;
  *out = std::move(t);
  return 0;
}

int dump_inet_pair(const DumpRequest& request, Table* out4, Table* out6, const Reuse* reuse4, const Reuse* reuse6,
                   DumpFilterOutcome* filter) {
  Table t4;
  Table t6;
  // Declared after the tables, so the feed is closed on every way out, before they are freed.
  struct Closer {
    RowFeed* feed;
    ~Closer() {
      if (feed != nullptr) feed->close();
    }
  } closer{request.feed};
  if (request.protocol != IPPROTO_TCP) return EINVAL;
  const bool with_bytecode = request.bytecode != nullptr && request.bytecode_len > 0;
  if (with_bytecode && request.bytecode_len > kMaxBytecode) return EMSGSIZE;
  DumpRequest both = request;
  both.both_families = true;
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < kRecvBuffer) buf.resize(kRecvBuffer);
  thread_local Column<uint8_t> info_scratch4;
  thread_local Column<uint8_t> info_scratch6;
  if (!open_table(both, reuse4, &info_scratch4, &t4, both.expect4) ||
      !open_table(both, reuse6, &info_scratch6, &t6, both.expect6)) {
    return kAllocFailed;
  }
  if (request.feed != nullptr) {
    std::lock_guard<std::mutex> g(request.feed->lock);
    request.feed->set_table(0, t4.buffer, t4.capacity);
    request.feed->set_table(1, t6.buffer, t6.capacity);
  }
  const bool own_socket = both.socket < 0;
  const int fd = own_socket ? socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG) : both.socket;
  if (fd < 0) return errno;
  thread_local CookieBits bits;
  thread_local std::vector<DiagSink::MaybeTwice> maybe_twice;
  bits.reset(t4.capacity + t6.capacity);
  maybe_twice.clear();
  DiagSink sink;
  sink.table = &t4;
  sink.table6 = &t6;
  sink.seq = 1;
  sink.bits = &bits;
  sink.maybe_twice = &maybe_twice;
  sink.feed = request.feed;
  int err = run_dump(fd, both, with_bytecode ? both.bytecode : nullptr, with_bytecode ? both.bytecode_len : 0, buf,
                     &sink);
  if (own_socket) close(fd);
  // Nothing reads the tables from here on: rows may go (drop_duplicates), the tables move on.
  if (request.feed != nullptr) request.feed->close();
  if (sink.out_of_memory) err = kAllocFailed;
  if (err != 0) return err;
  drop_duplicates(&sink);
  if (request.feed != nullptr) request.feed->intact = sink.duplicates == 0;
  t4.ext.finish();
  t6.ext.finish();
  if (filter != nullptr) {
    *filter = DumpFilterOutcome();
    filter->in_kernel = with_bytecode;
  }
  *out4 = std::move(t4);
  *out6 = std::move(t6);
  return 0;
}

namespace {

struct NetnsJob {
  const char* path;
  size_t n;
  int* fds;
  int err;
};

// Runs on its own thread, which ends right after: its namespace change dies with it.
void* make_sockets_in_netns(void* arg) {
  NetnsJob* job = static_cast<NetnsJob*>(arg);
  const int ns = open(job->path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    job->err = errno;
    return nullptr;
  }
  if (setns(ns, CLONE_NEWNET) != 0) {
    job->err = errno;
    close(ns);
    return nullptr;
  }
  close(ns);
  for (size_t i = 0; i < job->n; i++) {
    const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
      job->err = errno;
      for (size_t k = 0; k < i; k++) close(job->fds[k]);
      return nullptr;
    }
    job->fds[i] = fd;
  }
  return nullptr;
}

}  // namespace

int diag_sockets_in_netns(const char* netns_path, size_t n, int* fds) {
  NetnsJob job{netns_path, n, fds, 0};
  pthread_t id;
  const int rc = create_quiet_thread(&id, make_sockets_in_netns, &job);
  if (rc != 0) return rc;
  pthread_join(id, nullptr);
  return job.err;
}

uint64_t parse_aside_dumps() { return g_aside_dumps.load(std::memory_order_relaxed); }

}  // namespace netsnap
