// Fuzz harness for the detail lines of --info, --memory and --cgroup: format_detail_line() and
// format_inet_rows() with details (native/format.h).
//
// The input decides everything the JavaScript caller could hand over after js_api.cc's checks
// (take_details): byte 0 the options (info, memory, cgroup, -n, TCP, whether there are socket
// memory columns, cgroup ids, extension columns at all); byte 1 the rows (0..63); byte 2 how many
// congestion control names (0..7) and byte 3 how many cgroup texts (0..15), each name and text a
// length byte and its bytes (anything but '\n', which neither the kernel's names nor a listing's
// texts hold where lines are counted); then per row
// its state, infoLen (any u16), congestion index (any byte), skmem count (any byte), cgroup id (one
// of the texts' ids, or any), and every tcp_info field, skmem value and cgroup id of any bits (the
// f64 columns of any bits too: NaN, infinities, negatives and 2^64 and beyond included).
//
// Checked: each line fits the room the caller makes (detail_room(): the buffer is exactly that big
// per row, so ASan sees a byte more), is empty or starts with '\t' and ends with its only '\n';
// format_inet_rows() with details gives each row's line right after the row, the same bytes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format.h"
#include "reference.h"
#include "standalone_driver.h"
#include "tcp_info.h"

namespace {

using netsnap_ref::Reader;

// Texts one after the other and where each ends.
struct Texts {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> ends;
};

Texts read_texts(Reader& r, size_t n, bool newline_ok) {
  Texts t;
  for (size_t k = 0; k < n; k++) {
    const size_t len = r.byte() % 40;
    for (size_t i = 0; i < len; i++) {
      const uint8_t b = r.byte();
      t.bytes.push_back(!newline_ok && b == '\n' ? ' ' : b);
    }
    t.ends.push_back(static_cast<uint32_t>(t.bytes.size()));
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netsnap;
  Reader r{data, size};
  const uint8_t mode = r.byte();
  const size_t n = r.byte() % 64;
  const Texts names = read_texts(r, r.byte() % 8, false);
  const size_t groups = r.byte() % 16;
  const Texts texts = read_texts(r, groups, false);
  std::vector<uint64_t> ids(groups);
  for (size_t k = 0; k < groups; k++) ids[k] = (k + 1) * 1000 + (r.byte() % 100);  // increasing, as take_details insists

  std::vector<uint8_t> state(n), cong(n), mem_count(n);
  std::vector<uint16_t> info_len(n);
  std::vector<uint32_t> info_u32(kTcpInfoU32Columns * n), mem(kSkMemFields * n);
  std::vector<double> info_f64(kTcpInfoF64Columns * n);
  std::vector<uint64_t> cgroup_id(n);
  for (size_t i = 0; i < n; i++) {
    state[i] = r.byte();
    info_len[i] = r.load<uint16_t>();
    if (r.byte() & 1) info_len[i] %= 256;  // mostly within struct tcp_info
    cong[i] = r.byte() % 10;
    mem_count[i] = r.byte() % 12;
    const uint8_t g = r.byte();
    cgroup_id[i] = groups > 0 && g < 200 ? ids[g % groups] : r.load<uint64_t>();
    for (size_t c = 0; c < kTcpInfoU32Columns; c++) info_u32[c * n + i] = r.load<uint32_t>();
    for (size_t c = 0; c < kTcpInfoF64Columns; c++) {
      const uint8_t how = r.byte();
      // Whole numbers below 2^53 as the decoder gives them, and now and then any bits at all.
      info_f64[c * n + i] = how < 200 ? static_cast<double>(r.load<uint64_t>() >> (how % 64)) : r.load<double>();
    }
    for (size_t k = 0; k < kSkMemFields; k++) mem[k * n + i] = r.load<uint32_t>();
  }

  DetailColumns d;
  d.rows = n;
  d.state = state.data();
  const bool ext = (mode & 128) == 0;
  if (ext) {
    d.info_len = info_len.data();
    d.info_u32 = info_u32.data();
    d.info_f64 = info_f64.data();
    d.cong = cong.data();
    d.mem_count = mem_count.data();
    d.mem = (mode & 32) ? mem.data() : nullptr;
  }
  d.cong_names = names.ends.size();
  d.cong_text = names.bytes.data();
  d.cong_ends = names.ends.data();
  d.cgroup_id = (mode & 64) ? cgroup_id.data() : nullptr;
  d.cgroups = groups;
  d.cgroup_ids = ids.data();
  d.cgroup_ends = texts.ends.data();
  d.cgroup_text = texts.bytes.data();
  for (size_t k = 0; k < groups; k++) d.cgroup_text_max = std::max<size_t>(d.cgroup_text_max, texts.ends[k] - (k == 0 ? 0 : texts.ends[k - 1]));
  d.info = ext && (mode & 1);
  d.memory = ext && (mode & 2);
  d.cgroup = (mode & 4) != 0;
  d.numeric = (mode & 8) != 0;
  d.tcp = (mode & 16) != 0;

  const size_t room = detail_room(d);
  std::vector<std::string> lines(n);
  for (size_t i = 0; i < n; i++) {
    std::vector<char> out(room);  // exactly the room: a byte more is ASan's
    const size_t len = format_detail_line(d, i, out.data());
    REF_CHECK(len <= room, "row %zu: a line of %zu bytes in a room of %zu", i, len, room);
    if (len > 0) {
      REF_CHECK(out[0] == '\t' && out[len - 1] == '\n', "row %zu: not a tab, fields and a newline", i);
      REF_CHECK(std::count(out.begin(), out.begin() + static_cast<long>(len), '\n') == 1, "row %zu: more than one line", i);
    }
    lines[i].assign(out.data(), len);
  }

  // The rows with their lines: each row's own line right after it.
  std::vector<uint8_t> family(n, 4), zero16(16 * n, 0);
  std::vector<uint16_t> ports(n, 80);
  std::vector<uint32_t> queues(n, 0);
  std::vector<double> inodes(n, 1);
  InetColumns c;
  c.count = n;
  c.family = family.data();
  c.state = state.data();
  c.local_addr = zero16.data();
  c.remote_addr = zero16.data();
  c.local_port = ports.data();
  c.remote_port = ports.data();
  c.tx_queue = queues.data();
  c.rx_queue = queues.data();
  c.inode = inodes.data();
  std::vector<uint8_t> cells(256 * 16, 0);
  const uint8_t label[] = {'t', 'c', 'p', ' ', ' ', ' '};
  RowFormat f;
  f.label = label;
  f.label_len = sizeof label;
  f.state_cells = cells.data();
  f.proto = RowProto::kTcp;
  std::vector<char> plain(n * (f.label_len + kRowMax) + 1);
  const size_t plain_len = format_inet_rows(c, f, plain.data());
  f.details = &d;
  std::vector<char> both(n * (f.label_len + kRowMax + room) + 1);
  const size_t both_len = format_inet_rows(c, f, both.data());
  std::string want;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    const size_t end = static_cast<size_t>(std::find(plain.begin() + static_cast<long>(at), plain.begin() + static_cast<long>(plain_len), '\n') - plain.begin()) + 1;
    want.append(plain.data() + at, end - at);
    want += lines[i];
    at = end;
  }
  REF_CHECK(at == plain_len, "%zu rows end at %zu of %zu bytes", n, at, plain_len);
  REF_CHECK(both_len == want.size() && std::memcmp(both.data(), want.data(), both_len) == 0,
            "rows with details: %zu bytes, the two calls apart %zu", both_len, want.size());
  return 0;
}
