// Fuzz harness for parse_diag_messages() (native/netlink_diag.h) and the extension decoding of
// native/tcp_info.h: the `netlink` harness of scripts/fuzz.sh (libFuzzer, clang++
// -fsanitize=fuzzer,address,undefined). The first input byte picks a RAW dump (bit 0: remote port
// forced to 0), no extension columns (bit 1), no drops column (bit 2) and a raw tcp_info buffer
// kept between inputs (bit 3, as dump_inet keeps one per thread); real replies start with a
// 4-aligned length, so captured seeds decode everything.
// Checks: no memory error; count <= capacity; one backlog, cookie and cgroup id per row; every row
// has family 4 or 6; the ext columns have count rows each, a tcp_info field beyond infoLen is 0, a
// skmem value beyond memCount is 0, congestion names are 1..15 printable bytes, distinct.
// Reference: an independent walk of the same bytes (plain little-endian byte reads, written from
// the kernel's struct layouts, not from netlink_diag.cc) finds the records and the last INFO, CONG,
// SKMEMINFO and CGROUP_ID of each, and every decoded value is compared with it.
// Every input also goes through the destroy events' multicast path (run_events(): DestroyRows of
// destroy_events.h, records of any sequence number, a row cap, one or two reads), against the same
// reference walked by the multicast rules.
//   Without libFuzzer (-DNETSNAP_STANDALONE_FUZZ, g++ -fsanitize=address,undefined): with file or
//   directory arguments, each file is run once (standalone_driver.h); with a number N (or nothing),
//   a built-in driver builds replies with truncated, oversized and repeated INFO, CONG, SKMEMINFO
//   and CGROUP_ID attributes (tcp_info of every length 0..300), then mutates them (bytes flipped,
//   cut short) for N rounds.
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
#include <set>
#include <string>
#include <set>
#include <vector>

#include "layout.h"
#include "filter.h"
#include "filter_reference.h"
#include "destroy_events.h"
#include "netlink_diag.h"
#include "problems.h"
#include "reference.h"
#include "tcp_info.h"
#define NETSNAP_FUZZ_OWN_MAIN
#include "standalone_driver.h"

namespace {

// --- the reference: byte reads at the kernel's offsets -------------------------------------------

uint64_t le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool little_endian_host() {
  const uint16_t one = 1;
  uint8_t b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

struct Span {
  const uint8_t* p = nullptr;
  size_t n = 0;
};

struct RefRow {
  uint8_t family;
  uint64_t cookie;
  uint32_t inode;
  // inet_diag_msg as sent: state, ports (network order in the message), addresses, bound device,
  // queues, uid.
  uint8_t state;
  uint16_t sport, dport;
  uint8_t src[16], dst[16];
  uint32_t ifindex, rqueue, wqueue, uid;
  Span info, cong, mem, cgroup;
};

// The records parse_diag_messages() must have taken, by the rules of netlink(7) and inet_diag:
// messages of 16-byte headers, 4-aligned; sequence 1 only; DONE or an ERROR other than an ack ends
// the walk; a SOCK_DIAG_BY_FAMILY payload is a 72-byte inet_diag_msg followed by 4-aligned
// attributes (2-byte length including the 4-byte header, 2-byte type). A malformed message or
// attribute chain ends the walk too. `multicast` (the destroy events' datagrams): every sequence
// number, and DONE and ERROR are passed over, not ends.
std::vector<RefRow> reference_rows(const uint8_t* d, size_t len, bool multicast = false) {
  std::vector<RefRow> rows;
  size_t off = 0;
  while (off < len) {
    if (len - off < 16) break;
    const uint64_t mlen = le(d + off, 4);
    const uint64_t type = le(d + off + 4, 2);
    const uint64_t seq = le(d + off + 8, 4);
    if (mlen < 16 || mlen > len - off) break;
    const uint8_t* pl = d + off + 16;
    const size_t plen = static_cast<size_t>(mlen) - 16;
    if (multicast || seq == 1) {
      if (type == 3 && !multicast) break;  // NLMSG_DONE
      if (type == 2 && !multicast) {       // NLMSG_ERROR
        if (plen < 4 || le(pl, 4) != 0) break;
      } else if (type == 20) {  // SOCK_DIAG_BY_FAMILY
        if (plen < 72) break;
        const uint8_t fam = pl[0];
        if (fam == 2 || fam == 10) {
          RefRow r{};
          r.family = fam == 2 ? 4 : 6;
          r.cookie = le(pl + 44, 4) | (le(pl + 48, 4) << 32);
          r.inode = static_cast<uint32_t>(le(pl + 68, 4));
          r.state = pl[1];
          r.sport = static_cast<uint16_t>(pl[4] << 8 | pl[5]);
          r.dport = static_cast<uint16_t>(pl[6] << 8 | pl[7]);
          const size_t alen = r.family == 4 ? 4 : 16;
          for (size_t b = 0; b < 16; b++) {
            r.src[b] = b < alen ? pl[8 + b] : 0;
            r.dst[b] = b < alen ? pl[24 + b] : 0;
          }
          // idiag_if is in host order (a plain __u32 of inet_diag_sockid); the reference reads
          // little-endian hosts only.
          r.ifindex = static_cast<uint32_t>(le(pl + 40, 4));
          r.rqueue = static_cast<uint32_t>(le(pl + 56, 4));
          r.wqueue = static_cast<uint32_t>(le(pl + 60, 4));
          r.uid = static_cast<uint32_t>(le(pl + 64, 4));
          bool bad = false;
          size_t a = 72;
          while (a < plen && plen - a >= 4) {
            const size_t alen = static_cast<size_t>(le(pl + a, 2));
            const uint64_t atype = le(pl + a + 2, 2);
            if (alen < 4 || alen > plen - a) {
              bad = true;
              break;
            }
            const Span s{pl + a + 4, alen - 4};
            if (atype == 2) r.info = s;
            else if (atype == 4) r.cong = s;
            else if (atype == 7) r.mem = s;
            else if (atype == 21) r.cgroup = s;
            const size_t step = (alen + 3) & ~static_cast<size_t>(3);
            if (step >= plen - a) break;
            a += step;
          }
          if (bad) break;
          rows.push_back(r);
        }
      }
    }
    const size_t step = (static_cast<size_t>(mlen) + 3) & ~static_cast<size_t>(3);
    if (step >= len - off) break;
    off += step;
  }
  return rows;
}

// The congestion control name as tcp_info.h promises to keep it.
std::string reference_cong(Span s) {
  std::string out;
  for (size_t i = 0; i < s.n && out.size() < 15; i++) {
    if (s.p[i] < 0x21 || s.p[i] > 0x7e) break;
    out.push_back(static_cast<char>(s.p[i]));
  }
  return out;
}

// Column of the field at `offset` in kTcpInfoFields (u32 or f64 numbering), or -1.
long column_at(size_t offset, size_t size, bool* wide) {
  size_t narrow = 0, w = 0;
  for (const netsnap::TcpInfoField& f : netsnap::kTcpInfoFields) {
    const bool is_wide = f.size == 8;
    if (f.offset == offset) {
      if (f.size != size) return -1;
      *wide = is_wide;
      return static_cast<long>(is_wide ? w : narrow);
    }
    (is_wide ? w : narrow)++;
  }
  return -1;
}

void check_table_shape() {
  // A few fields by the offsets of the kernel's struct tcp_info (include/uapi/linux/tcp.h), so a
  // slip in the table itself shows: rtt, bytes_acked, total_rto, total_rto_time.
  static bool checked = false;
  if (checked) return;
  checked = true;
  bool wide = false;
  REF_CHECK(column_at(68, 4, &wide) >= 0 && !wide, "tcpi_rtt at 68, u32");
  REF_CHECK(column_at(120, 8, &wide) >= 0 && wide, "tcpi_bytes_acked at 120, u64");
  REF_CHECK(column_at(240, 2, &wide) >= 0 && !wide, "tcpi_total_rto at 240, u16");
  REF_CHECK(column_at(244, 4, &wide) >= 0 && !wide, "tcpi_total_rto_time at 244, u32");
  REF_CHECK(column_at(0, 1, &wide) < 0, "tcpi_state is not a column (the row has its state)");
}

// The row as the filter must see it, by the rules of netlink_diag.h: NEW_SYN_RECV (12) as SYN_RECV,
// a LISTEN row's send queue 0 (its idiag_wqueue is the backlog), a RAW row's remote port 0, the
// tcp_info only when the dump asked for it.
filter_ref::Row filter_row(const RefRow& r, bool raw, bool with_ext) {
  filter_ref::Row f;
  f.family = r.family;
  f.state = r.state == 12 ? 3 : r.state;
  std::memcpy(f.local, r.src, 16);
  std::memcpy(f.remote, r.dst, 16);
  f.lport = r.sport;
  f.rport = raw ? 0 : r.dport;
  f.uid = r.uid;
  f.rx = r.rqueue;
  f.tx = f.state == 10 && !raw ? 0 : r.wqueue;
  f.netlink = true;
  f.ifindex = r.ifindex;
  f.cgroup = r.cgroup.n >= 8 ? le(r.cgroup.p, 8) : 0;
  if (with_ext) {
    f.info = r.info.p;
    f.info_len = r.info.n;
  }
  return f;
}

void push(std::vector<double>& p, std::initializer_list<double> words) { p.insert(p.end(), words); }

void push_host(std::vector<double>& p, int side, int family, int prefix, int port, const uint8_t* addr) {
  push(p, {2, static_cast<double>(side), static_cast<double>(family), static_cast<double>(prefix), static_cast<double>(port)});
  for (int b = 0; b < 16; b++) p.push_back(addr[b]);
}

// Program `shape` (1..15) with operands from row `r` (as the filter sees it) and the byte `x`, so
// that it keeps some rows and drops others.
std::vector<double> program_for(int shape, const filter_ref::Row& r, uint8_t x) {
  std::vector<double> p;
  const int fields = static_cast<int>(netsnap::kTcpInfoFieldCount);
  const uint8_t mapped_tail[16] = {r.remote[12], r.remote[13], r.remote[14], r.remote[15]};
  switch (shape) {
    case 1: push_host(p, 0, r.family == 6 ? 6 : 4, r.family == 6 ? 128 : 32, -1, r.local); break;
    case 2: push_host(p, 1, 4, 24, -1, r.family == 6 ? mapped_tail : r.remote); break;
    case 3: push(p, {3, 0, 0, static_cast<double>(r.lport), 3, 1, 5, static_cast<double>(r.rport), 21}); break;
    case 4: push(p, {1, r.state < 32 ? static_cast<double>(1ull << r.state) : 0, 22}); break;
    case 5: push(p, {4, 3, static_cast<double>(r.uid), 5, 0, 4, 0, 20}); break;
    case 6: push(p, {6, static_cast<double>(r.ifindex)}); break;
    case 7: push(p, {7, static_cast<double>(r.cgroup & 0xffffffffu), static_cast<double>(r.cgroup >> 32)}); break;
    case 8: {
      const int k = x % fields;
      double v = 0;
      filter_ref::field(r, k, &v);
      push(p, {9, static_cast<double>(k), static_cast<double>(x % 6), v > 9007199254740992.0 ? 0 : v});
      break;
    }
    case 9: push(p, {10, static_cast<double>(x % fields), static_cast<double>((x / 3) % fields), static_cast<double>(x % 6), static_cast<double>(x) * 10000}); break;
    case 10: push(p, {8, 11, 1, 22, 21}); break;
    case 11:
      push(p, {6, static_cast<double>(r.ifindex), 22});
      push_host(p, 0, 0, 0, r.lport, r.local);
      p.push_back(20);
      break;
    case 12: push(p, {5, 1, 0, static_cast<double>(r.tx)}); break;
    case 13: push(p, {1, 1u << 3}); break;
    case 14: push_host(p, 0, 6, 64, -1, r.local); break;
    default:
      push(p, {9, 20, 4, 0, 3, 0, 2, 1024, 21, 7, static_cast<double>(r.cgroup & 0xffffffffu), static_cast<double>(r.cgroup >> 32), 22, 20});
      break;
  }
  return p;
}

// What every table must look like, whatever the input: count within capacity, one entry per row in
// every side vector, the ext columns count rows long (none without extensions), congestion names
// 1..15 printable bytes, distinct, at most 255.
void check_shape(const netsnap::Table& t, bool with_ext) {
  const size_t n = t.count;
  REF_CHECK(n <= t.capacity, "count %zu capacity %zu", n, t.capacity);
  REF_CHECK(t.backlog.size() == n && t.cookie.size() == n && t.cgroup_id.size() == n && t.ifindex.size() == n,
            "per-row vectors");
  const netsnap::TcpExtensions& e = t.ext;
  if (with_ext) {
    REF_CHECK(e.rows() == n && e.cong.size() == n && e.mem_count.size() == n, "ext rows %zu of %zu", e.rows(), n);
    REF_CHECK(e.info_u32.size() == n * netsnap::kTcpInfoU32Columns, "infoU32 size");
    REF_CHECK(e.info_f64.size() == n * netsnap::kTcpInfoF64Columns, "infoF64 size");
    REF_CHECK(e.mem.size() == n * netsnap::kSkMemFields, "mem size");
    REF_CHECK(e.cong_names.size() <= netsnap::kCongNamesMax, "at most 255 names");
    for (size_t k = 0; k < e.cong_names.size(); k++) {
      const std::string& s = e.cong_names[k];
      REF_CHECK(!s.empty() && s.size() <= netsnap::kCongNameMax, "name length %zu", s.size());
      for (char c : s) REF_CHECK(c >= 0x21 && c <= 0x7e, "printable name");
      for (size_t j = 0; j < k; j++) REF_CHECK(e.cong_names[j] != s, "distinct names");
    }
  } else {
    REF_CHECK(e.rows() == 0 && e.mem.empty() && e.cong_names.empty(), "no ext rows unless asked");
  }
  const netsnap::InetLayout L = netsnap::inet_layout(t.capacity);
  if (n > 0) {
    // Touch the last row written, so ASan sees any bad write/offset.
    volatile uint8_t last = t.buffer[L.timer_kind + n - 1];
    (void)last;
  }
}

// The first t.count rows of `ref` against the table: every column, and the ext columns the mask
// asked for (with kExtTcpInfo alone, no socket memory is decoded).
void check_rows(const netsnap::Table& t, const std::vector<RefRow>& ref, bool raw, uint32_t ext_mask, bool drops) {
  const size_t n = t.count;
  const bool with_ext = ext_mask != 0;
  const bool with_mem = (ext_mask & netsnap::kExtMemory) != 0;
  const netsnap::TcpExtensions& e = t.ext;
  const netsnap::InetLayout L = netsnap::inet_layout(t.capacity);
  REF_CHECK(ref.size() >= n, "rows the reference does not find");
  for (size_t i = 0; i < n; i++) {
    const RefRow& r = ref[i];
    REF_CHECK(t.buffer[L.family + i] == r.family, "row %zu family", i);
    double inode;
    std::memcpy(&inode, t.buffer + L.inode + i * 8, 8);
    REF_CHECK(inode == static_cast<double>(r.inode), "row %zu inode", i);
    REF_CHECK(t.cookie[i] == r.cookie, "row %zu cookie", i);
    REF_CHECK(t.cgroup_id[i] == (r.cgroup.n >= 8 ? le(r.cgroup.p, 8) : 0), "row %zu cgroup id", i);
    REF_CHECK(t.ifindex[i] == r.ifindex, "row %zu ifindex", i);
    // The columns the filter reads, as it must have read them.
    const filter_ref::Row fr = filter_row(r, raw, with_ext);
    uint16_t lp, rp;
    uint32_t uid, rx, tx;
    std::memcpy(&lp, t.buffer + L.local_port + i * 2, 2);
    std::memcpy(&rp, t.buffer + L.remote_port + i * 2, 2);
    std::memcpy(&uid, t.buffer + L.uid + i * 4, 4);
    std::memcpy(&rx, t.buffer + L.rx_queue + i * 4, 4);
    std::memcpy(&tx, t.buffer + L.tx_queue + i * 4, 4);
    REF_CHECK(t.buffer[L.state + i] == fr.state && lp == fr.lport && rp == fr.rport && uid == fr.uid && rx == fr.rx &&
                  tx == fr.tx,
              "row %zu state, ports, uid or queues", i);
    REF_CHECK(std::memcmp(t.buffer + L.local_addr + i * 16, fr.local, 16) == 0 &&
                  std::memcmp(t.buffer + L.remote_addr + i * 16, fr.remote, 16) == 0,
              "row %zu addresses", i);
    uint32_t drop_col;
    std::memcpy(&drop_col, t.buffer + L.drops + i * 4, 4);
    REF_CHECK(drop_col == (drops && r.mem.n >= 36 ? le(r.mem.p + 32, 4) : 0), "row %zu drops", i);
    if (!with_ext) continue;
    REF_CHECK(e.info_len[i] == r.info.n, "row %zu infoLen %u, attribute %zu", i, e.info_len[i], r.info.n);
    size_t narrow = 0, wide = 0;
    for (const netsnap::TcpInfoField& f : netsnap::kTcpInfoFields) {
      const uint64_t want = f.offset + f.size <= r.info.n ? le(r.info.p + f.offset, f.size) : 0;
      if (f.size == 8) {
        REF_CHECK(e.info_f64[wide++ * n + i] == static_cast<double>(want), "row %zu tcp_info u64 at %u", i, f.offset);
      } else {
        REF_CHECK(e.info_u32[narrow++ * n + i] == want, "row %zu tcp_info at %u", i, f.offset);
      }
    }
    const std::string name = reference_cong(r.cong);
    if (name.empty()) {
      REF_CHECK(e.cong[i] == 0, "row %zu: no usable name, cong %u", i, e.cong[i]);
    } else if (e.cong[i] == 0) {
      REF_CHECK(e.cong_names.size() == netsnap::kCongNamesMax, "row %zu: name '%s' dropped", i, name.c_str());
    } else {
      REF_CHECK(e.cong[i] <= e.cong_names.size() && e.cong_names[e.cong[i] - 1] == name, "row %zu cong '%s'", i,
                name.c_str());
    }
    const size_t count = !with_mem ? 0 : r.mem.n / 4 < 9 ? r.mem.n / 4 : 9;
    REF_CHECK(e.mem_count[i] == count, "row %zu memCount %u, want %zu", i, e.mem_count[i], count);
    for (size_t k = 0; k < 9; k++) {
      const uint64_t want = k < count ? le(r.mem.p + 4 * k, 4) : 0;
      REF_CHECK(e.mem[k * n + i] == want, "row %zu skmem %zu", i, k);
    }
  }
}

void run_one(const uint8_t* data, size_t size, bool raw, bool with_ext, bool drops, bool scratch, int shape) {
  check_table_shape();
  netsnap::Table t;
  // The dump keeps the raw tcp_info of its rows in a thread's buffer between tables: so does this.
  static netsnap::Column<uint8_t> kept;
  // A sink into `table` as dump_inet() makes one for these flags.
  const auto sink_into = [&](netsnap::Table* table) {
    if (with_ext && scratch) table->ext.use_scratch(&kept);
    netsnap::DiagSink k;
    k.table = table;
    k.raw = raw;
    k.drops = drops;
    k.extensions = with_ext ? netsnap::kExtAll : 0;
    k.seq = 1;
    return k;
  };
  netsnap::DiagSink sink = sink_into(&t);
  // A filter while parsing (shape 1..15): a program made from one of the rows the reference walk
  // finds. The rows it rejects must leave nothing behind.
  const bool le_host = little_endian_host();
  std::vector<RefRow> ref = le_host ? reference_rows(data, size) : std::vector<RefRow>();
  netsnap::FilterProgram filter;
  if (shape != 0 && !ref.empty()) {
    const uint8_t x = size > 1 ? data[1] : 0;
    filter.words = program_for(shape, filter_row(ref[x % ref.size()], raw, with_ext), size > 2 ? data[2] : 0);
    const std::string problem = netsnap::filter_program_problem(filter.words.data(), filter.words.size());
    REF_CHECK(problem.empty(), "shape %d: %s", shape, problem.c_str());
    filter.classify();
    sink.filter = &filter;
  }
  const int rc = netsnap::parse_diag_messages(data, size, &sink);
  t.ext.finish();
  const size_t n = t.count;
  check_shape(t, with_ext);

  if (!le_host) return;  // the reference reads little-endian
  // An out-of-memory stop is the only way to see fewer records than the walk finds.
  if (rc != -ENOMEM) REF_CHECK(ref.size() == sink.records, "reference rows %zu, records %zu (rc %d)", ref.size(), sink.records, rc);
  // The rows the program keeps, by the reference evaluator on the reference's reading of each row.
  if (sink.filter != nullptr) {
    std::vector<RefRow> pass;
    const size_t seen = rc == -ENOMEM ? sink.records : ref.size();
    for (size_t i = 0; i < seen && i < ref.size(); i++) {
      if (filter_ref::eval(filter.words.data(), filter.words.size(), filter_row(ref[i], raw, with_ext)) != 0) pass.push_back(ref[i]);
    }
    ref.swap(pass);
  }
  if (rc != -ENOMEM) REF_CHECK(ref.size() == n, "reference rows %zu, kept %zu (rc %d)", ref.size(), n, rc);
  REF_CHECK(ref.size() >= n, "parsed rows the reference does not find");
  check_rows(t, ref, raw, with_ext ? netsnap::kExtAll : 0, drops);

  // The same reply as a dump takes it (dump_inet): with the dump's cookie set, a record whose nonzero
  // cookie an earlier record had is dropped and noted as problem 16 at its record number. The set is
  // sized for fewer rows than the reply holds, so it grows on the way.
  if (sink.filter != nullptr || rc == -ENOMEM) return;
  netsnap::Table d;
  netsnap::CookieSet seen;
  seen.reset(ref.size() / 4);
  netsnap::DiagSink dedupe = sink_into(&d);
  dedupe.seen = &seen;
  const int rc2 = netsnap::parse_diag_messages(data, size, &dedupe);
  d.ext.finish();
  check_shape(d, with_ext);
  REF_CHECK(rc2 == rc, "with the cookie set: rc %d, without %d", rc2, rc);
  std::vector<RefRow> unique;
  std::vector<uint32_t> problems;
  std::set<uint64_t> cookies;
  for (size_t i = 0; i < ref.size(); i++) {
    const uint64_t c = ref[i].cookie;
    if (c != 0 && cookies.count(c) != 0) {
      problems.push_back(static_cast<uint32_t>(i + 1));
      problems.push_back(netsnap::problem::kNetlinkDuplicate);
      continue;
    }
    if (c != 0) cookies.insert(c);
    unique.push_back(ref[i]);
  }
  REF_CHECK(dedupe.records == ref.size(), "records %zu with the cookie set, reference %zu", dedupe.records, ref.size());
  REF_CHECK(d.count == unique.size(), "rows %zu with the cookie set, %zu distinct", d.count, unique.size());
  REF_CHECK(dedupe.duplicates == ref.size() - unique.size(), "duplicates %zu, reference %zu", dedupe.duplicates,
            ref.size() - unique.size());
  REF_CHECK(d.problems == problems, "problems with the cookie set differ from the reference's");
  check_rows(d, unique, raw, with_ext ? netsnap::kExtAll : 0, drops);

  // As dump_inet takes it: the cookies as bits (64 at first, so that they grow on the way), the
  // suspects checked after the parse (drop_duplicates): the same rows, count and problems.
  netsnap::CookieBits bits;
  std::vector<netsnap::DiagSink::MaybeTwice> maybe;
  {
    netsnap::Table b;
    bits.reset(0, 6);
    maybe.clear();
    netsnap::DiagSink s = sink_into(&b);
    s.bits = &bits;
    s.maybe_twice = &maybe;
    const int rc3 = netsnap::parse_diag_messages(data, size, &s);
    netsnap::drop_duplicates(&s);
    b.ext.finish();
    check_shape(b, with_ext);
    REF_CHECK(rc3 == rc, "with the cookie bits: rc %d, without %d", rc3, rc);
    REF_CHECK(s.duplicates == ref.size() - unique.size(), "duplicates %zu with the bits, reference %zu", s.duplicates,
              ref.size() - unique.size());
    REF_CHECK(b.problems == problems, "problems with the cookie bits differ from the reference's");
    check_rows(b, unique, raw, with_ext ? netsnap::kExtAll : 0, drops);
  }
  // As a poller's dump takes it (SampleRequest.infoFields): a selection of the tcp_info fields,
  // chosen by the input, kept as compact rows and decoded alone, with duplicates dropped from them.
  if (with_ext) {
    uint64_t mask = 0x9E3779B97F4A7C15ull;
    for (size_t k = 3; k < 11 && k < size; k++) mask ^= static_cast<uint64_t>(data[k]) << (8 * (k - 3));
    std::vector<uint8_t> fields;
    for (size_t k = 0; k < netsnap::kTcpInfoFieldCount; k++) {
      if ((mask >> (k % 64)) & 1) fields.push_back(static_cast<uint8_t>(k));
    }
    netsnap::Table c;
    bits.reset(0, 6);
    maybe.clear();
    netsnap::DiagSink s = sink_into(&c);
    const bool memory = (mask >> 63) != 0;
    c.ext.select(fields, memory);
    s.extensions = memory ? netsnap::kExtAll : netsnap::kExtTcpInfo;
    s.bits = &bits;
    s.maybe_twice = &maybe;
    const int rc5 = netsnap::parse_diag_messages(data, size, &s);
    netsnap::drop_duplicates(&s);
    c.ext.finish();
    REF_CHECK(rc5 == rc, "selected fields: rc %d, all %d", rc5, rc);
    const size_t n5 = c.count;
    REF_CHECK(n5 == unique.size(), "selected fields: rows %zu, %zu distinct", n5, unique.size());
    const netsnap::TcpExtensions& e = c.ext;
    size_t narrow_cols = 0, wide_cols = 0;
    for (uint8_t k : fields) (netsnap::kTcpInfoFields[k].size == 8 ? wide_cols : narrow_cols)++;
    REF_CHECK(e.rows() == n5 && e.info_u32.size() == n5 * narrow_cols && e.info_f64.size() == n5 * wide_cols,
              "selected fields: column sizes");
    REF_CHECK(e.mem.size() == (memory ? n5 * netsnap::kSkMemFields : 0), "selected fields: mem size");
    for (size_t i = 0; i < n5; i++) {
      const RefRow& r = unique[i];
      REF_CHECK(c.cookie[i] == r.cookie && e.info_len[i] == r.info.n, "selected fields: row %zu", i);
      size_t narrow = 0, wide = 0;
      for (uint8_t k : fields) {
        const netsnap::TcpInfoField& f = netsnap::kTcpInfoFields[k];
        const uint64_t want = f.offset + f.size <= r.info.n ? le(r.info.p + f.offset, f.size) : 0;
        if (f.size == 8) {
          REF_CHECK(e.info_f64[wide++ * n5 + i] == static_cast<double>(want), "selected: row %zu u64 at %u", i, f.offset);
        } else {
          REF_CHECK(e.info_u32[narrow++ * n5 + i] == want, "selected: row %zu at %u", i, f.offset);
        }
      }
    }
  }
  // As dump_inet_pair takes it: IPv6 rows into a second table; each table holds its family's
  // distinct rows in order, and the problems of its own duplicates.
  {
    netsnap::Table b4, b6;
    bits.reset(0, 6);
    maybe.clear();
    netsnap::DiagSink s = sink_into(&b4);
    s.table6 = &b6;
    s.bits = &bits;
    s.maybe_twice = &maybe;
    const int rc4 = netsnap::parse_diag_messages(data, size, &s);
    netsnap::drop_duplicates(&s);
    b4.ext.finish();
    b6.ext.finish();
    check_shape(b4, with_ext);
    check_shape(b6, with_ext);
    REF_CHECK(rc4 == rc, "two tables: rc %d, one %d", rc4, rc);
    std::vector<RefRow> u4, u6;
    for (const RefRow& r : unique) (r.family == 6 ? u6 : u4).push_back(r);
    std::vector<uint32_t> p4, p6;
    for (size_t k = 0; k < problems.size(); k += 2) {
      std::vector<uint32_t>& to = ref[problems[k] - 1].family == 6 ? p6 : p4;
      to.push_back(problems[k]);
      to.push_back(problems[k + 1]);
    }
    REF_CHECK(b4.problems == p4 && b6.problems == p6, "two tables: problems differ from the reference's");
    REF_CHECK(s.duplicates == ref.size() - unique.size(), "two tables: duplicates %zu", s.duplicates);
    check_rows(b4, u4, raw, with_ext ? netsnap::kExtAll : 0, drops);
    check_rows(b6, u6, raw, with_ext ? netsnap::kExtAll : 0, drops);
  }
}

// The multicast path of the TCP destroy events (destroy_events.h: DestroyRows, what the reader
// thread runs on every datagram): the input as two datagrams, cut after as many whole messages as
// the last byte's high nibble says, gathered in one batch or in two (a read between them, bit 3),
// under a row cap the last byte's low bits pick (1, 2, 3, 5, 8, 64, 300 or the default), with 0..3
// overflows counted. Every SOCK_DIAG_BY_FAMILY record of any sequence number is received; the first
// `cap` of a batch are its rows, each the reference's, the others are dropped.
void run_events(const uint8_t* data, size_t size) {
  const uint8_t tail = size > 0 ? data[size - 1] : 0;
  static const size_t kCaps[8] = {0, 1, 2, 3, 5, 8, 64, 300};
  const size_t cap = kCaps[tail & 7];
  const size_t limit = cap == 0 ? netsnap::kDestroyMaxRows : cap;
  const bool read_between = (tail & 8) != 0;
  const unsigned overflows = size > 0 ? data[0] & 3 : 0;
  size_t cut = 0;
  for (int k = 0; k < (tail >> 4) && size - cut >= 16; k++) {
    const uint64_t mlen = le(data + cut, 4);
    if (mlen < 16 || mlen > size - cut) break;
    const size_t step = (static_cast<size_t>(mlen) + 3) & ~static_cast<size_t>(3);
    cut = step >= size - cut ? size : cut + step;
  }
  // Each datagram in an allocation of exactly its size, so ASan sees a read past it.
  const std::vector<uint8_t> a(data, data + cut), b(data + cut, data + size);

  netsnap::DestroyRows rows(cap);
  netsnap::DestroyBatch first, second;
  rows.add_datagram(a.data(), a.size());
  for (unsigned k = 0; k < overflows; k++) rows.add_overflow();
  if (read_between) rows.take(&first);
  rows.add_datagram(b.data(), b.size());
  rows.take(&second);
  for (netsnap::DestroyBatch* batch : {&first, &second}) {
    batch->table.ext.finish();
    check_shape(batch->table, true);
    REF_CHECK(batch->received == batch->table.count + batch->dropped, "received %llu, rows %zu, dropped %llu",
              static_cast<unsigned long long>(batch->received), batch->table.count,
              static_cast<unsigned long long>(batch->dropped));
    REF_CHECK(batch->table.count <= limit, "rows %zu over the cap %zu", batch->table.count, limit);
  }
  REF_CHECK(second.table.has_backlog && second.table.has_ids && second.table.has_ext, "a netlink table's columns");
  REF_CHECK((read_between ? first.overflows : second.overflows) == overflows, "overflows");

  if (!little_endian_host()) return;  // the reference reads little-endian
  std::vector<RefRow> ra = reference_rows(a.data(), a.size(), true);
  const std::vector<RefRow> rb = reference_rows(b.data(), b.size(), true);
  const auto expect_batch = [&](const netsnap::DestroyBatch& got, const std::vector<RefRow>& ref) {
    const size_t keep = ref.size() < limit ? ref.size() : limit;
    REF_CHECK(got.received == ref.size(), "received %llu, reference %zu", static_cast<unsigned long long>(got.received),
              ref.size());
    REF_CHECK(got.table.count == keep, "rows %zu, want %zu", got.table.count, keep);
    check_rows(got.table, ref, false, netsnap::kExtTcpInfo, false);
  };
  if (read_between) {
    expect_batch(first, ra);
    expect_batch(second, rb);
  } else {
    REF_CHECK(first.received == 0 && first.table.count == 0, "nothing in a batch never taken");
    ra.insert(ra.end(), rb.begin(), rb.end());
    expect_batch(second, ra);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t b = size > 0 ? data[0] : 0;
  run_one(data, size, b & 1, !(b & 2), !(b & 4), b & 8, b >> 4);
  run_events(data, size);
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

void put_attr(std::vector<uint8_t>& out, uint16_t type, const std::vector<uint8_t>& payload) {
  rtattr a{};
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(payload.size()));
  a.rta_type = type;
  const size_t at = out.size();
  out.resize(at + RTA_SPACE(payload.size()));
  std::memcpy(&out[at], &a, sizeof a);
  if (!payload.empty()) std::memcpy(&out[at + RTA_LENGTH(0)], payload.data(), payload.size());
}

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rnd());
  return v;
}

// One record's attributes: the kinds the dump asks for, with lengths short, exact and too long,
// sometimes repeated, between attributes we do not read (SHUTDOWN, PAD, MARK, SOCKOPT).
std::vector<uint8_t> attributes(size_t info_len) {
  static const char* const kNames[] = {"bbr", "cubic", "reno", "dctcp", "a-name-longer-than-fifteen", "", "b\x01r", "\xff"};
  std::vector<uint8_t> out;
  const int n = static_cast<int>(rnd() % 9);
  for (int i = 0; i < n; i++) {
    switch (rnd() % 8) {
      case 0:
      case 1: put_attr(out, INET_DIAG_INFO, random_bytes(i == 0 ? info_len : rnd() % 301)); break;
      case 2: {
        const char* name = kNames[rnd() % (sizeof kNames / sizeof kNames[0])];
        std::vector<uint8_t> p(name, name + std::strlen(name));
        if (rnd() % 4 != 0) p.push_back(0);  // the kernel counts the NUL; sometimes missing
        if (rnd() % 8 == 0) p = random_bytes(rnd() % 40);
        put_attr(out, INET_DIAG_CONG, p);
        break;
      }
      case 3: put_attr(out, INET_DIAG_SKMEMINFO, random_bytes(rnd() % 3 == 0 ? rnd() % 49 : 36)); break;
      case 4: put_attr(out, INET_DIAG_CGROUP_ID, random_bytes(rnd() % 3 == 0 ? rnd() % 13 : 8)); break;
      case 5: put_attr(out, INET_DIAG_PAD, {}); break;
      case 6: put_attr(out, INET_DIAG_SHUTDOWN, random_bytes(1)); break;
      default: put_attr(out, static_cast<uint16_t>(rnd() % 32), random_bytes(rnd() % 12)); break;
    }
  }
  return out;
}

void append_record(std::vector<uint8_t>& out, uint16_t type, size_t info_len, uint32_t seq = 1) {
  const std::vector<uint8_t> attrs = type == SOCK_DIAG_BY_FAMILY ? attributes(info_len) : std::vector<uint8_t>();
  const size_t len = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(inet_diag_msg)) + attrs.size());
  const size_t at = out.size();
  out.resize(at + NLMSG_ALIGN(len));
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(len);
  h.nlmsg_type = type;
  h.nlmsg_seq = seq;
  std::memcpy(&out[at], &h, sizeof h);
  inet_diag_msg m{};
  m.idiag_family = (rnd() & 1) ? AF_INET : AF_INET6;
  m.idiag_state = static_cast<uint8_t>(rnd() % 13);
  m.idiag_timer = static_cast<uint8_t>(rnd() % 5);
  m.idiag_inode = rnd();
  m.id.idiag_cookie[0] = rnd();
  m.id.idiag_cookie[1] = rnd() % 4 == 0 ? rnd() : 0;
  std::memcpy(&out[at + NLMSG_HDRLEN], &m, sizeof m);
  if (!attrs.empty()) std::memcpy(&out[at + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m)], attrs.data(), attrs.size());
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
  size_t info_len = 0;
  for (long i = 0; i < rounds; i++) {
    std::vector<uint8_t> buf;
    // Mostly small replies (the attributes are what is tested); now and then past 256 rows, where
    // the table grows.
    const int n = static_cast<int>(rnd() % 16 == 0 ? rnd() % 600 : rnd() % 12);
    // Now and then the destroy events' sequence number 0, which only the multicast path takes.
    const uint32_t seq = rnd() % 4 == 0 ? 0 : 1;
    for (int r = 0; r < n; r++) {
      append_record(buf, SOCK_DIAG_BY_FAMILY, info_len, seq);
      // A DONE or an ERROR between records: the end of a dump, passed over by the multicast path.
      if (rnd() % 32 == 0) append_record(buf, (rnd() & 1) ? NLMSG_DONE : NLMSG_ERROR, 0, seq);
      info_len = (info_len + 1) % 301;  // every tcp_info length 0..300 in turn
    }
    if (rnd() & 1) append_record(buf, NLMSG_DONE, 0);
    const int flips = static_cast<int>(rnd() % 4 == 0 ? rnd() % 8 : 0);
    for (int f = 0; f < flips && !buf.empty(); f++) buf[rnd() % buf.size()] = static_cast<uint8_t>(rnd());
    size_t size = buf.size();
    if (size > 0 && (rnd() & 7) == 0) size = rnd() % size;
    // A copy of exactly `size` bytes, so ASan catches any read past the end.
    std::vector<uint8_t> exact(buf.begin(), buf.begin() + static_cast<long>(size));
    const uint32_t mode = rnd();
    run_one(exact.data(), exact.size(), mode & 1, (mode & 6) != 6, !(mode & 8), mode & 16, static_cast<int>((mode >> 5) % 16));
    run_events(exact.data(), exact.size());
  }
  std::printf("netlink_diag fuzz: %ld rounds ok\n", rounds);
  return 0;
}
#endif
