// netstat's numeric Internet rows (format.h). Each function mirrors the one of src/format/netstat.ts,
// src/model/address.ts or src/bytes/writer.ts named beside it; test/parity/format-rows.test.ts holds
// them to the same bytes.
#include "format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "layout.h"
#include "tcp_info.h"

namespace netsnap {

namespace {

// The row writers below are inlined into format_inet_rows(), so that its Out stays a local whose
// address never leaves it: then the compiler keeps Out::p in a register, where a call taking &out
// would have it reload p after every byte stored (a char may alias anything, Out::p included).
#define ROW_WRITER inline __attribute__((always_inline))

// Where a row goes: the caller made room for kRowMax bytes beyond the label (format.h).
struct Out {
  char* base;
  char* p;
  size_t size() const { return static_cast<size_t>(p - base); }
  void push_back(char c) { *p++ = c; }
  void append(const char* s, size_t n) {
    if (n == 0) return;  // s may then be null (an empty label or name)
    std::memcpy(p, s, n);
    p += n;
  }
  void append(size_t n, char c) {
    std::memset(p, c, n);
    p += n;
  }
  void resize(size_t n) { p = base + n; }
};

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kStateCell = 11;  // raw's numeric state, left-aligned in 11
constexpr size_t kStateSlot = 16;  // a State cell: its length (at most 15), then its bytes

// decimalLength / writeDecimal: n's digits.
ROW_WRITER size_t decimal_length(uint64_t n) {
  size_t len = 1;
  while (n >= 10) {
    n /= 10;
    len++;
  }
  return len;
}

// "00".."99": two digits per division, the usual way to print decimals.
constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

ROW_WRITER void put_decimal(Out* out, uint64_t n) {
  char digits[20];
  size_t at = sizeof digits;
  while (n >= 100) {
    const size_t two = static_cast<size_t>(n % 100) * 2;
    n /= 100;
    digits[--at] = kPairs[two + 1];
    digits[--at] = kPairs[two];
  }
  if (n >= 10) {
    digits[--at] = kPairs[n * 2 + 1];
    digits[--at] = kPairs[n * 2];
  } else {
    digits[--at] = static_cast<char>('0' + n);
  }
  out->append(digits + at, sizeof digits - at);
}

ROW_WRITER void put_spaces(Out* out, long n) {
  if (n > 0) out->append(static_cast<size_t>(n), ' ');
}

// putDecimalRight: n right-aligned in `width`.
ROW_WRITER void put_decimal_right(Out* out, uint64_t n, long width) {
  put_spaces(out, width - static_cast<long>(decimal_length(n)));
  put_decimal(out, n);
}

// An octet's digits without a division: 1 to 3 of them.
ROW_WRITER void put_octet(Out* out, unsigned v) {
  if (v >= 100) {
    const unsigned two = (v % 100) * 2;
    out->push_back(static_cast<char>('0' + v / 100));
    out->push_back(kPairs[two]);
    out->push_back(kPairs[two + 1]);
  } else if (v >= 10) {
    out->push_back(kPairs[v * 2]);
    out->push_back(kPairs[v * 2 + 1]);
  } else {
    out->push_back(static_cast<char>('0' + v));
  }
}

// ipv4Bytes: dotted quad of a[0..4).
ROW_WRITER void put_ipv4(Out* out, const uint8_t* a) {
  put_octet(out, a[0]);
  for (int k = 1; k < 4; k++) {
    out->push_back('.');
    put_octet(out, a[k]);
  }
}

ROW_WRITER bool is_v4_mapped(const uint8_t* a) {
  for (int i = 0; i < 10; i++)
    if (a[i] != 0) return false;
  return a[10] == 0xff && a[11] == 0xff;
}

ROW_WRITER bool is_unspecified(const uint8_t* a) {
  for (int i = 0; i < 16; i++)
    if (a[i] != 0) return false;
  return true;
}

// ipv6Bytes: glibc's inet_ntop(AF_INET6): the longest run (>= 2) of zero words becomes "::", the
// first run wins a tie; ::a.b.c.d and ::ffff:a.b.c.d end in a dotted quad.
ROW_WRITER void put_ipv6(Out* out, const uint8_t* a) {
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  for (int i = 0; i < 8; i++) {
    if (a[2 * i] == 0 && a[2 * i + 1] == 0) {
      if (cur_base == -1) {
        cur_base = i;
        cur_len = 1;
      } else {
        cur_len++;
      }
    } else if (cur_base != -1) {
      if (best_base == -1 || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
      }
      cur_base = -1;
    }
  }
  if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
    best_base = cur_base;
    best_len = cur_len;
  }
  if (best_base != -1 && best_len < 2) best_base = -1;
  for (int i = 0; i < 8; i++) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) out->push_back(':');
      continue;
    }
    if (i != 0) out->push_back(':');
    if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && a[10] == 0xff && a[11] == 0xff))) {
      put_ipv4(out, a + 12);
      return;
    }
    const unsigned w = (static_cast<unsigned>(a[2 * i]) << 8) | a[2 * i + 1];
    int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;
    for (; shift >= 0; shift -= 4) out->push_back(kHex[(w >> shift) & 15]);
  }
  if (best_base != -1 && best_base + best_len == 8) out->push_back(':');
}

ROW_WRITER void put_port(Out* out, uint16_t port) {
  if (port == 0)
    out->push_back('*');
  else
    put_decimal(out, port);
}

// putEndpoint4: "host:port", never cut, padded to 23.
ROW_WRITER void put_endpoint4(Out* out, const uint8_t* a, uint16_t port) {
  const size_t start = out->size();
  put_ipv4(out, a);
  out->push_back(':');
  put_port(out, port);
  put_spaces(out, 23 - static_cast<long>(out->size() - start));
}

// putEndpoint6: the host (an IPv4-mapped one as its dotted quad) cut as netstat's addr_do_one cuts
// it unless -W (the port is never cut), then ":port", padded to 23.
ROW_WRITER void put_endpoint6(Out* out, const uint8_t* a, uint16_t port, bool wide) {
  const size_t start = out->size();
  if (is_v4_mapped(a))
    put_ipv4(out, a + 12);
  else
    put_ipv6(out, a);
  const size_t host_len = out->size() - start;
  const size_t port_len = port == 0 ? 1 : decimal_length(port);
  if (!wide && host_len + port_len > 22) out->resize(start + std::min(host_len, 22 - port_len));
  out->push_back(':');
  put_port(out, port);
  put_spaces(out, 23 - static_cast<long>(out->size() - start));
}

// OwnerIndex.first and .processIndex: the first index of `v` in the sorted a[lo..hi), or -1.
template <typename T>
long first_index(const T* a, size_t lo, size_t hi, T v) {
  const size_t end = hi;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (a[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < end && a[lo] == v ? static_cast<long>(lo) : -1;
}

// writeProgram: "PID/Program name" (19 bytes at most), padded to 20; '-' without an owner.
ROW_WRITER void put_program(Out* out, const OwnerColumns& o, const OwnerLookup& lookup, double inode) {
  const long k = inode == 0 ? -1 : lookup.find(inode);
  if (k < 0) {
    out->push_back('-');
    put_spaces(out, 19);
    return;
  }
  const int32_t pid = o.pids[k];
  const size_t start = out->size();
  if (pid < 0) out->push_back('-');
  put_decimal(out, pid < 0 ? 0 - static_cast<int64_t>(pid) : pid);
  out->push_back('/');
  const long p = first_index(o.proc_pids, 0, o.processes, pid);
  if (p >= 0) {
    const size_t used = out->size() - start;
    const size_t room = used < 19 ? 19 - used : 0;
    out->append(reinterpret_cast<const char*>(o.strings) + o.name_start[p], std::min<size_t>(o.name_len[p], room));
  }
  put_spaces(out, 20 - static_cast<long>(out->size() - start));
}

// 2^53: every integer up to it is a double.
constexpr double kExact = 9007199254740992.0;

// ---- the detail line (format_detail_line) ----

// Indexes into kTcpInfoFields (TCP_INFO_FIELDS' order) of the fields the line shows.
enum TcpInfoIndex : size_t {
  kOptions = 4, kWscale = 5, kFlags = 6, kRto = 7, kAto = 8, kMss = 9, kRcvMss = 10, kUnacked = 11,
  kSacked = 12, kLost = 13, kRetrans = 14, kLastSend = 15, kLastRecv = 16, kLastAck = 17, kPmtu = 18,
  kRcvSsthresh = 19, kRtt = 20, kRttVar = 21, kSsthresh = 22, kCwnd = 23, kAdvmss = 24, kReordering = 25,
  kRcvRtt = 26, kRcvSpace = 27, kTotalRetrans = 28, kPacing = 29, kMaxPacing = 30, kBytesAcked = 31,
  kBytesReceived = 32, kSegsOut = 33, kSegsIn = 34, kNotsent = 35, kMinRtt = 36, kDataSegsIn = 37,
  kDataSegsOut = 38, kDelivery = 39, kBusy = 40, kRwndLimited = 41, kSndbufLimited = 42, kDelivered = 43,
  kDeliveredCe = 44, kBytesSent = 45, kBytesRetrans = 46, kDsackDups = 47, kReordSeen = 48, kRcvOooPack = 49,
  kSndWnd = 50, kRcvWnd = 51, kBackoff = 3,
};
static_assert(kTcpInfoFields[kRtt].offset == 68 && kTcpInfoFields[kBytesSent].offset == 200 &&
                  kTcpInfoFields[kRcvWnd].offset == 232 && kTcpInfoFields[kBackoff].offset == 4,
              "TcpInfoIndex follows kTcpInfoFields");

// Each field's column among those of its width (the u32 or the f64 columns), and where it ends in
// struct tcp_info: worked out once, at compile time.
struct FieldPlace {
  size_t column[kTcpInfoFieldCount];
  uint32_t end[kTcpInfoFieldCount];
};
constexpr FieldPlace field_places() {
  FieldPlace p{};
  for (size_t k = 0; k < kTcpInfoFieldCount; k++) {
    p.column[k] = tcp_info_column(k);
    p.end[k] = kTcpInfoFields[k].offset + kTcpInfoFields[k].size;
  }
  return p;
}
constexpr FieldPlace kPlace = field_places();

// Row r's tcp_info, as ss reads it: a field the kernel did not send is 0 (ss zero-fills a short
// struct).
struct InfoRow {
  const DetailColumns& d;
  size_t r;
  uint32_t len;
  // Field K of a u32 column (1, 2 or 4 bytes) and of an f64 column (8 bytes).
  template <size_t K>
  uint32_t u() const {
    static_assert(kTcpInfoFields[K].size != 8, "a u64 field is in the f64 columns");
    return len >= kPlace.end[K] ? d.info_u32[kPlace.column[K] * d.rows + r] : 0;
  }
  template <size_t K>
  double f() const {
    static_assert(kTcpInfoFields[K].size == 8, "only u64 fields are in the f64 columns");
    return len >= kPlace.end[K] ? d.info_f64[kPlace.column[K] * d.rows + r] : 0;
  }
};

// A u64 kept as a double (exact below 2^53) as %llu prints it; 2^64, where the largest u64s round
// to, as the largest.
uint64_t u64_of(double v) {
  if (!(v > 0)) return 0;
  return v >= 18446744073709551616.0 ? UINT64_MAX : static_cast<uint64_t>(v);
}

void put_text(Out* out, const char* s) { out->append(s, std::strlen(s)); }

void put_signed(Out* out, int64_t v) {
  if (v < 0) {
    out->push_back('-');
    put_decimal(out, 0 - static_cast<uint64_t>(v));
  } else {
    put_decimal(out, static_cast<uint64_t>(v));
  }
}

// ` key:v` for v != 0 (ss prints nothing for 0): %u.
void put_kv(Out* out, const char* key, uint64_t v) {
  if (v == 0) return;
  out->push_back(' ');
  put_text(out, key);
  out->push_back(':');
  put_decimal(out, v);
}

// The same for ss's %d of a u32 field (a value past 2^31 - 1 prints negative, as in ss).
void put_kv_int(Out* out, const char* key, uint32_t v) {
  if (v == 0) return;
  out->push_back(' ');
  put_text(out, key);
  out->push_back(':');
  put_signed(out, static_cast<int32_t>(v));
}

// printf("%g", us / 1000.0): for us < 10^6 the value has at most six significant digits, which %g
// prints exactly (the double's distance from us/1000 is far below its last digit), without the
// trailing zeros; above, printf itself.
void put_ms(Out* out, uint32_t us) {
  if (us >= 1000000) {
    char b[32];
    const int n = std::snprintf(b, sizeof b, "%g", us / 1000.0);
    if (n > 0) out->append(b, std::min<size_t>(static_cast<size_t>(n), sizeof b - 1));
    return;
  }
  put_decimal(out, us / 1000);
  unsigned frac = us % 1000;
  if (frac == 0) return;
  out->push_back('.');
  char digits[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  size_t n = 3;
  while (digits[n - 1] == '0') n--;
  out->append(digits, n);
}

// ss's sprint_bw(): bits/s, %.0f with -n (a whole number below 2^63 rounds as printf rounds: to
// nearest, ties to even), else %.3g with k/M/G/T (and %g below 1000).
void put_bw(Out* out, double bw, bool numeric) {
  char b[64];
  int n;
  if (numeric) {
    if (bw >= 0 && bw < 9223372036854775808.0) {
      put_decimal(out, static_cast<uint64_t>(std::nearbyint(bw)));
      return;
    }
    n = std::snprintf(b, sizeof b, "%.0f", bw);
  } else if (bw >= 1e12) {
    n = std::snprintf(b, sizeof b, "%.3gT", bw / 1e12);
  } else if (bw >= 1e9) {
    n = std::snprintf(b, sizeof b, "%.3gG", bw / 1e9);
  } else if (bw >= 1e6) {
    n = std::snprintf(b, sizeof b, "%.3gM", bw / 1e6);
  } else if (bw >= 1e3) {
    n = std::snprintf(b, sizeof b, "%.3gk", bw / 1e3);
  } else {
    n = std::snprintf(b, sizeof b, "%g", bw);
  }
  if (n > 0) out->append(b, std::min<size_t>(static_cast<size_t>(n), sizeof b - 1));
}

// " rwnd_limited:Nms(P%)" of ss.
void put_limited(Out* out, const char* key, uint64_t limited, uint64_t busy) {
  if (limited == 0) return;
  out->push_back(' ');
  put_text(out, key);
  out->push_back(':');
  put_decimal(out, limited / 1000);
  put_text(out, "ms(");
  char b[48];
  const int n = std::snprintf(b, sizeof b, "%.1f", 100.0 * static_cast<double>(limited) / static_cast<double>(busy));
  if (n > 0) out->append(b, std::min<size_t>(static_cast<size_t>(n), sizeof b - 1));
  put_text(out, "%)");
}

constexpr uint32_t kTcpiOptWscale = 4;
constexpr uint8_t kTcpListen = 10;

// tcp_stats_print() of the fields netsnap decodes, in its order and with its omissions.
void put_tcp_info(Out* out, const DetailColumns& d, size_t r) {
  const uint8_t c = d.cong[r];
  if (c != 0 && c <= d.cong_names) {
    const uint32_t from = c == 1 ? 0 : d.cong_ends[c - 2], to = d.cong_ends[c - 1];
    if (to > from && to - from <= kCongNameMax) {
      out->push_back(' ');
      out->append(reinterpret_cast<const char*>(d.cong_text) + from, to - from);
    }
  }
  const InfoRow v{d, r, d.info_len[r]};
  if (v.len == 0) return;
  if (v.u<kOptions>() & kTcpiOptWscale) {
    put_text(out, " wscale:");
    put_decimal(out, v.u<kWscale>() & 0x0f);
    out->push_back(',');
    put_decimal(out, v.u<kWscale>() >> 4);
  }
  const uint32_t rto = v.u<kRto>();
  if (rto != 0 && rto != 3000000) {
    put_text(out, " rto:");
    put_ms(out, rto);
  }
  put_kv(out, "backoff", v.u<kBackoff>());
  const uint32_t rtt = v.u<kRtt>();
  if (rtt != 0) {
    put_text(out, " rtt:");
    put_ms(out, rtt);
    out->push_back('/');
    put_ms(out, v.u<kRttVar>());
  }
  if (v.u<kAto>() != 0) {
    put_text(out, " ato:");
    put_ms(out, v.u<kAto>());
  }
  const uint32_t mss = v.u<kMss>(), cwnd = v.u<kCwnd>(), ssthresh = v.u<kSsthresh>();
  put_kv_int(out, "mss", mss);
  put_kv(out, "pmtu", v.u<kPmtu>());
  put_kv_int(out, "rcvmss", v.u<kRcvMss>());
  put_kv_int(out, "advmss", v.u<kAdvmss>());
  put_kv(out, "cwnd", cwnd);
  if (ssthresh < 0xffff) put_kv_int(out, "ssthresh", ssthresh);
  put_kv(out, "bytes_sent", u64_of(v.f<kBytesSent>()));
  put_kv(out, "bytes_retrans", u64_of(v.f<kBytesRetrans>()));
  put_kv(out, "bytes_acked", u64_of(v.f<kBytesAcked>()));
  put_kv(out, "bytes_received", u64_of(v.f<kBytesReceived>()));
  put_kv(out, "segs_out", v.u<kSegsOut>());
  put_kv(out, "segs_in", v.u<kSegsIn>());
  put_kv(out, "data_segs_out", v.u<kDataSegsOut>());
  put_kv(out, "data_segs_in", v.u<kDataSegsIn>());
  if (rtt > 0 && mss > 0 && cwnd > 0) {
    put_text(out, " send ");
    put_bw(out, static_cast<double>(cwnd) * static_cast<double>(mss) * 8000000. / static_cast<double>(rtt), d.numeric);
    put_text(out, "bps");
  }
  put_kv(out, "lastsnd", v.u<kLastSend>());
  put_kv(out, "lastrcv", v.u<kLastRecv>());
  put_kv(out, "lastack", v.u<kLastAck>());
  // The kernel's ~0 ("unlimited") reads as 2^64 here.
  const double pacing = v.f<kPacing>(), max_pacing = v.f<kMaxPacing>();
  if (pacing != 0 && pacing < 18446744073709551616.0) {
    put_text(out, " pacing_rate ");
    put_bw(out, pacing * 8., d.numeric);
    put_text(out, "bps");
    if (max_pacing != 0 && max_pacing < 18446744073709551616.0) {
      put_text(out, "/");
      put_bw(out, max_pacing * 8., d.numeric);
      put_text(out, "bps");
    }
  }
  const double delivery = v.f<kDelivery>();
  if (delivery != 0) {
    put_text(out, " delivery_rate ");
    put_bw(out, delivery * 8., d.numeric);
    put_text(out, "bps");
  }
  put_kv(out, "delivered", v.u<kDelivered>());
  put_kv(out, "delivered_ce", v.u<kDeliveredCe>());
  if (v.u<kFlags>() & 1) put_text(out, " app_limited");
  const uint64_t busy = u64_of(v.f<kBusy>());
  if (busy != 0) {
    put_text(out, " busy:");
    put_decimal(out, busy / 1000);
    put_text(out, "ms");
    put_limited(out, "rwnd_limited", u64_of(v.f<kRwndLimited>()), busy);
    put_limited(out, "sndbuf_limited", u64_of(v.f<kSndbufLimited>()), busy);
  }
  put_kv(out, "unacked", v.u<kUnacked>());
  const uint32_t retrans = v.u<kRetrans>(), total = v.u<kTotalRetrans>();
  if (retrans != 0 || total != 0) {
    put_text(out, " retrans:");
    put_decimal(out, retrans);
    out->push_back('/');
    put_decimal(out, total);
  }
  put_kv(out, "lost", v.u<kLost>());
  if (d.state[r] != kTcpListen) put_kv(out, "sacked", v.u<kSacked>());
  put_kv(out, "dsack_dups", v.u<kDsackDups>());
  if (v.u<kReordering>() != 3) {  // 0 included, as ss prints it
    put_text(out, " reordering:");
    put_signed(out, static_cast<int32_t>(v.u<kReordering>()));
  }
  put_kv_int(out, "reord_seen", v.u<kReordSeen>());
  if (v.u<kRcvRtt>() != 0) {
    put_text(out, " rcv_rtt:");
    put_ms(out, v.u<kRcvRtt>());
  }
  put_kv_int(out, "rcv_space", v.u<kRcvSpace>());
  put_kv(out, "rcv_ssthresh", v.u<kRcvSsthresh>());
  put_kv(out, "notsent", v.u<kNotsent>());
  const uint32_t min_rtt = v.u<kMinRtt>();
  if (min_rtt != 0 && min_rtt != UINT32_MAX) {
    put_text(out, " minrtt:");
    put_ms(out, min_rtt);
  }
  put_kv(out, "rcv_ooopack", v.u<kRcvOooPack>());
  put_kv(out, "snd_wnd", v.u<kSndWnd>());
  put_kv(out, "rcv_wnd", v.u<kRcvWnd>());
}

// print_skmeminfo(): the seven values (0 for one not sent), then bl and d where sent.
void put_skmem(Out* out, const DetailColumns& d, size_t r) {
  const size_t m = d.mem_count[r];
  if (m == 0 || d.mem == nullptr) return;
  static const char* const kKeys[] = {" skmem:(r", ",rb", ",t", ",tb", ",f", ",w", ",o", ",bl", ",d"};
  for (size_t k = 0; k < kSkMemFields; k++) {
    if (k >= 7 && k >= m) break;
    put_text(out, kKeys[k]);
    put_decimal(out, k < m ? d.mem[k * d.rows + r] : 0);
  }
  out->push_back(')');
}

void put_cgroup(Out* out, const DetailColumns& d, size_t r) {
  const uint64_t id = d.cgroup_id[r];
  if (id == 0) return;
  put_text(out, " cgroup:");
  const long k = first_index(d.cgroup_ids, 0, d.cgroups, id);
  if (k >= 0) {
    const uint32_t from = k == 0 ? 0 : d.cgroup_ends[k - 1], to = d.cgroup_ends[k];
    if (to > from && to - from <= d.cgroup_text_max) out->append(reinterpret_cast<const char*>(d.cgroup_text) + from, to - from);
    return;
  }
  // An id the caller did not name: what the listing says of a group it cannot find.
  put_text(out, "unreachable:");
  int shift = 60;
  while (shift > 0 && ((id >> shift) & 15) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) out->push_back(kHex[(id >> shift) & 15]);
}

}  // namespace

size_t format_detail_line(const DetailColumns& d, size_t r, char* buffer) {
  Out o{buffer, buffer};
  o.push_back('\t');
  if (d.cgroup && d.cgroup_id != nullptr) put_cgroup(&o, d, r);
  if (d.memory) put_skmem(&o, d, r);
  if (d.info && d.tcp) put_tcp_info(&o, d, r);
  if (o.size() == 1) return 0;
  o.push_back('\n');
  return o.size();
}

bool OwnerLookup::bounds() {
  if (entries_ == 0 || entries_ > UINT32_MAX) return false;  // starts are 32-bit
  const double first = inodes_[0], last = inodes_[entries_ - 1];
  if (!(first >= 0 && last < kExact && first <= last)) return false;
  if (first != static_cast<double>(static_cast<uint64_t>(first)) || last != static_cast<double>(static_cast<uint64_t>(last))) {
    return false;
  }
  lo_ = static_cast<uint64_t>(first);
  hi_ = static_cast<uint64_t>(last);
  return true;
}

OwnerLookup::OwnerLookup(const double* inodes, size_t entries, bool indexed) : inodes_(inodes), entries_(entries) {
  if (indexed && bounds()) build();
}

OwnerLookup::OwnerLookup(const double* inodes, size_t entries, const uint32_t* starts, size_t n_starts, uint64_t lo,
                         unsigned shift)
    : inodes_(inodes), entries_(entries) {
  if (!bounds()) return;
  if (starts != nullptr && lo == lo_ && shift < 64 && n_starts == static_cast<size_t>((hi_ - lo_) >> shift) + 2) {
    shift_ = shift;
    starts_ = starts;
    n_starts_ = n_starts;
    return;
  }
  build();
}

void OwnerLookup::build() {
  // About two entries per range: 2^b ranges at most, 2^(b+1) >= entries.
  unsigned b = 0;
  while ((size_t{2} << b) < entries_) b++;
  shift_ = 0;
  while (((hi_ - lo_) >> shift_) >= (uint64_t{1} << b)) shift_++;
  const size_t ranges = static_cast<size_t>((hi_ - lo_) >> shift_) + 1;
  own_.resize(ranges + 1);
  // One pass: each range's first entry, while checking that the inodes are sorted integers (not,
  // and the table is dropped: find() then searches them as they are).
  size_t k = 0;
  uint64_t prev = lo_;
  for (size_t i = 0; i < entries_; i++) {
    const double v = inodes_[i];
    const uint64_t u = v >= 0 && v < kExact ? static_cast<uint64_t>(v) : 0;
    if (static_cast<double>(u) != v || u < prev || u > hi_) {
      std::vector<uint32_t>().swap(own_);
      return;
    }
    prev = u;
    const size_t r = static_cast<size_t>((u - lo_) >> shift_);
    while (k <= r) own_[k++] = static_cast<uint32_t>(i);
  }
  while (k <= ranges) own_[k++] = static_cast<uint32_t>(entries_);
  starts_ = own_.data();
  n_starts_ = own_.size();
}

long OwnerLookup::find(double inode) const {
  if (starts_ == nullptr) return first_index(inodes_, 0, entries_, inode);
  if (!in_table(inode)) return -1;
  const size_t r = range(inode);
  const size_t from = std::min<size_t>(starts_[r], entries_), to = std::min<size_t>(starts_[r + 1], entries_);
  return first_index(inodes_, from, to < from ? from : to, inode);
}

bool owner_names_fit(const OwnerColumns& o) {
  for (size_t p = 0; p < o.processes; p++) {
    if (o.name_start[p] > o.strings_len || o.name_len[p] > o.strings_len - o.name_start[p]) return false;
  }
  return true;
}

size_t format_inet_rows(const InetColumns& c, const RowFormat& f, char* buffer, const OwnerLookup* given) {
  // The table pays for itself from a few lookups per entry (a pass over the inodes, then about two
  // probes per row instead of log2(entries)).
  const OwnerLookup own = given != nullptr || f.owners == nullptr
                              ? OwnerLookup(nullptr, 0, false)
                              : OwnerLookup(f.owners->inodes, f.owners->entries, owner_lookup_pays(f.owners->entries, c.count));
  const OwnerLookup& lookup = given != nullptr ? *given : own;
  Out o{buffer, buffer};
  Out* out = &o;
  for (size_t i = 0; i < c.count; i++) {
    if (f.show != RowShow::kAll) {
      // inetRowShown: TCP servers are told by the remote port, UDP/RAW servers by an all-zero remote address.
      const bool server = f.proto == RowProto::kTcp ? c.remote_port[i] == 0 : is_unspecified(c.remote_addr + 16 * i);
      if (server != (f.show == RowShow::kServers)) continue;
    }
    if (lookup.indexed()) {
      // The owner lookups' cache misses, started rows ahead (the rows' inodes are in no order).
      constexpr size_t kAhead = 8;
      if (i + 2 * kAhead < c.count) lookup.prefetch_range(c.inode[i + 2 * kAhead]);
      if (i + kAhead < c.count) lookup.prefetch_entry(c.inode[i + kAhead], f.owners->pids);
    }
    out->append(reinterpret_cast<const char*>(f.label), f.label_len);
    put_decimal_right(out, c.rx_queue[i], 6);
    out->push_back(' ');
    put_decimal_right(out, c.tx_queue[i], 6);
    out->push_back(' ');
    if (c.family[i] == 4) {
      put_endpoint4(out, c.local_addr + 16 * i, c.local_port[i]);
      out->push_back(' ');
      put_endpoint4(out, c.remote_addr + 16 * i, c.remote_port[i]);
    } else {
      put_endpoint6(out, c.local_addr + 16 * i, c.local_port[i], f.wide);
      out->push_back(' ');
      put_endpoint6(out, c.remote_addr + 16 * i, c.remote_port[i], f.wide);
    }
    out->push_back(' ');
    const uint8_t st = c.state[i];
    if (f.proto == RowProto::kRaw) {
      // putDecimalLeft(state, 11)
      const size_t at = out->size();
      put_decimal(out, st);
      put_spaces(out, static_cast<long>(kStateCell) - static_cast<long>(out->size() - at));
    } else {
      const uint8_t* slot = f.state_cells + kStateSlot * st;
      out->append(reinterpret_cast<const char*>(slot) + 1, std::min<size_t>(slot[0], kStateSlot - 1));
    }
    if (f.owners) {
      out->push_back(' ');
      put_program(out, *f.owners, lookup, c.inode[i]);
    }
    out->push_back('\n');
    if (f.details != nullptr) out->p += format_detail_line(*f.details, f.detail_first + i, out->p);
  }
  return o.size();
}

InetColumns inet_columns_of(const uint8_t* buffer, size_t capacity, size_t first, size_t count) {
  const InetLayout l = inet_layout(capacity);
  InetColumns c;
  c.count = count;
  c.family = buffer + l.family + first;
  c.state = buffer + l.state + first;
  c.local_addr = buffer + l.local_addr + 16 * first;
  c.remote_addr = buffer + l.remote_addr + 16 * first;
  c.local_port = reinterpret_cast<const uint16_t*>(buffer + l.local_port) + first;
  c.remote_port = reinterpret_cast<const uint16_t*>(buffer + l.remote_port) + first;
  c.tx_queue = reinterpret_cast<const uint32_t*>(buffer + l.tx_queue) + first;
  c.rx_queue = reinterpret_cast<const uint32_t*>(buffer + l.rx_queue) + first;
  c.inode = reinterpret_cast<const double*>(buffer + l.inode) + first;
  return c;
}

bool RowText::grow(size_t need) {
  if (failed_) return false;
  if (need <= room_) return true;
  size_t room = room_ < 65536 ? 65536 : room_;
  while (room < need) {
    if (room > SIZE_MAX / 2) {
      failed_ = true;
      return false;
    }
    room *= 2;
  }
  char* d = static_cast<char*>(std::realloc(data_, room));
  if (d == nullptr) {
    failed_ = true;
    return false;
  }
  data_ = d;
  room_ = room;
  return true;
}

bool RowText::reserve(size_t rows, const RowFormat& f) {
  const size_t per_row = f.label_len + kRowMax;
  if (rows > (SIZE_MAX - size_) / per_row) {
    failed_ = true;
    return false;
  }
  return grow(size_ + rows * per_row);
}

bool RowText::append(const uint8_t* buffer, size_t capacity, size_t first, size_t count, const RowFormat& f,
                     const OwnerLookup* lookup) {
  if (count == 0) return !failed_;
  if (!reserve(count, f)) return false;
  size_ += format_inet_rows(inet_columns_of(buffer, capacity, first, count), f, data_ + size_, lookup);
  rows_ += count;
  return true;
}

char* RowText::release() {
  char* d = data_;
  data_ = nullptr;
  size_ = room_ = rows_ = 0;
  return d;
}

}  // namespace netsnap
