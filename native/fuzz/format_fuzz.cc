// Fuzz harness for the numeric netstat rows: format_inet_rows() and owner_names_fit() (native/format.h).
//
// The input decides everything the JavaScript caller could hand over after js_api.cc's checks:
// byte 0 the protocol (tcp, udp, raw), the rows shown (all, servers, others), -W and -p; byte 1 the
// label's length (0..64) and then its bytes; byte 2 how many owner entries and byte 3 how many
// process records (0..63 each), then the state cells (256 slots of 16 bytes: a length byte of any
// value, then the cell), then the owner index (inodes as doubles of any bits, pids of any value,
// name ranges of any value; owner_names_fit() must refuse exactly those outside the strings), then
// the rows, 54 bytes each (family, state, both addresses, both ports, both queues, the inode).
//
// Bit 6 of byte 0 makes the owner inodes sorted integers (bit 7: small ones), as the owner scan
// gives them; OwnerLookup's table must then find what the binary search finds.
//
// Checked: the rows fit the room the caller makes (kRowMax beyond the label: the buffer is exactly
// that big, so ASan sees a byte more); one line per row kept, as inetRowShown keeps them; each line
// starts with the label and is no longer than the room of a row. The label, the cells and the names
// carry no '\n' here (so lines can be counted); any other byte goes through as it is.
//
// The same rows laid out in a table buffer (layout.h's inet layout, with room for a few more) and
// formatted a chunk at a time into a RowText (inet_columns_of, as sample.cc formats a dump's rows as
// they come) give the same bytes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "format.h"
#include "layout.h"
#include "reference.h"
#include "standalone_driver.h"

namespace {

using netsnap_ref::Reader;

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::fprintf(stderr, "format_fuzz: check failed: %s\n", #cond); \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

constexpr size_t kRowBytes = 1 + 1 + 16 + 16 + 2 + 2 + 4 + 4 + 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netsnap;
  Reader r{data, size};
  const uint8_t mode = r.byte();
  RowFormat f;
  f.proto = static_cast<RowProto>((mode & 3) % 3);
  f.show = static_cast<RowShow>(((mode >> 2) & 3) % 3);
  f.wide = (mode & 16) != 0;
  const bool programs = (mode & 32) != 0;
  std::vector<uint8_t> label(r.byte() % 65);
  r.bytes(label.data(), label.size());
  f.label = label.data();
  f.label_len = label.size();
  const size_t entries = r.byte() % 64;
  const size_t processes = r.byte() % 64;
  std::vector<uint8_t> cells(256 * 16);
  for (size_t i = 0; i < cells.size(); i++) cells[i] = r.left() ? r.byte() : static_cast<uint8_t>(i * 7);
  f.state_cells = cells.data();
  // Lines are counted by '\n': none comes from the label, the cells or the names (their bytes are
  // copied as they are, whatever they are).
  const auto no_newline = [](std::vector<uint8_t>& v) {
    for (auto& b : v)
      if (b == '\n') b = ' ';
  };
  no_newline(label);
  no_newline(cells);

  std::vector<double> inodes(entries);
  std::vector<int32_t> pids(entries);
  for (size_t i = 0; i < entries; i++) {
    r.bytes(&inodes[i], 8);
    r.bytes(&pids[i], 4);
    if (i % 2 == 1) inodes[i] = inodes[i - 1];  // an inode several processes hold
  }
  if (mode & 64) {
    // As the owner scan hands them over: sorted integers, so that OwnerLookup builds its table.
    for (double& v : inodes) {
      uint64_t bits;
      std::memcpy(&bits, &v, 8);
      v = static_cast<double>(bits >> ((mode & 128) ? 40 : 11));
    }
    std::sort(inodes.begin(), inodes.end());
  }
  std::vector<int32_t> proc_pids(processes);
  std::vector<uint32_t> name_start(processes), name_len(processes);
  std::vector<uint8_t> strings(r.byte());
  r.bytes(strings.data(), strings.size());
  no_newline(strings);
  bool fits = true;
  for (size_t p = 0; p < processes; p++) {
    r.bytes(&proc_pids[p], 4);
    name_start[p] = r.byte();
    name_len[p] = r.byte();
    if (name_start[p] > strings.size() || name_len[p] > strings.size() - name_start[p]) fits = false;
  }
  OwnerColumns owners;
  owners.entries = entries;
  owners.inodes = inodes.data();
  owners.pids = pids.data();
  owners.processes = processes;
  owners.proc_pids = proc_pids.data();
  owners.name_start = name_start.data();
  owners.name_len = name_len.data();
  owners.strings = strings.data();
  owners.strings_len = strings.size();
  CHECK(owner_names_fit(owners) == fits);
  if (programs && fits) f.owners = &owners;

  const size_t n = r.left() / kRowBytes;
  std::vector<uint8_t> family(n), state(n), local(16 * n), remote(16 * n);
  std::vector<uint16_t> lport(n), rport(n);
  std::vector<uint32_t> txq(n), rxq(n);
  std::vector<double> inode(n);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    family[i] = r.byte();
    if (family[i] < 128) family[i] = family[i] < 64 ? 4 : 6;
    state[i] = r.byte();
    r.bytes(&local[16 * i], 16);
    r.bytes(&remote[16 * i], 16);
    r.bytes(&lport[i], 2);
    r.bytes(&rport[i], 2);
    r.bytes(&txq[i], 4);
    r.bytes(&rxq[i], 4);
    r.bytes(&inode[i], 8);
    if (i % 3 == 0 && entries > 0) inode[i] = inodes[i % entries];
    bool zero = true;
    for (int k = 0; k < 16; k++) zero = zero && remote[16 * i + k] == 0;
    const bool server = f.proto == RowProto::kTcp ? rport[i] == 0 : zero;
    if (f.show == RowShow::kAll || server == (f.show == RowShow::kServers)) kept++;
  }
  // The table's lookups are the binary search's, for every row's inode and every entry's neighbours.
  {
    const OwnerLookup searched(inodes.data(), entries, false), indexed(inodes.data(), entries, true);
    CHECK(!searched.indexed());
    // The table kept and handed back (ownerLookup, then formatInetRows): taken, the same answers.
    const OwnerLookup adopted(inodes.data(), entries, indexed.table(), indexed.table_size(), indexed.lo(), indexed.shift());
    CHECK(adopted.indexed() == indexed.indexed());
    // A table of any starts (one a caller tampered with): any answer, but no read outside the arrays.
    std::vector<uint32_t> wild(indexed.table_size());
    for (size_t i = 0; i < wild.size(); i++) wild[i] = static_cast<uint32_t>(r.left() ? r.byte() * 0x01010101u : i * 7u);
    const OwnerLookup tampered(inodes.data(), entries, wild.data(), wild.size(), indexed.lo(), indexed.shift());
    // The prefetches read the table as find() does: ASan sees any read outside it.
    auto same = [&](double v) {
      indexed.prefetch_range(v);
      indexed.prefetch_entry(v, pids.data());
      CHECK(indexed.find(v) == searched.find(v));
      CHECK(adopted.find(v) == searched.find(v));
      tampered.prefetch_range(v);
      tampered.prefetch_entry(v, pids.data());
      const long k = tampered.find(v);
      CHECK(k < 0 || (static_cast<size_t>(k) < entries && inodes[static_cast<size_t>(k)] == v));
    };
    for (size_t i = 0; i < n; i++) same(inode[i]);
    for (size_t i = 0; i < entries; i++) {
      for (const double v : {inodes[i] - 1, inodes[i], inodes[i] + 0.5, inodes[i] + 1}) same(v);
    }
  }
  InetColumns c;
  c.count = n;
  c.family = family.data();
  c.state = state.data();
  c.local_addr = local.data();
  c.remote_addr = remote.data();
  c.local_port = lport.data();
  c.remote_port = rport.data();
  c.tx_queue = txq.data();
  c.rx_queue = rxq.data();
  c.inode = inode.data();

  const size_t room = n * (f.label_len + kRowMax);
  char* out = static_cast<char*>(std::malloc(room + 1));  // + 1: malloc(0) may be null
  CHECK(out != nullptr);
  const size_t used = format_inet_rows(c, f, out);
  CHECK(used <= room);
  size_t lines = 0;
  size_t start = 0;
  for (size_t i = 0; i < used; i++) {
    if (out[i] != '\n') continue;
    CHECK(i - start >= f.label_len && (f.label_len == 0 || std::memcmp(out + start, label.data(), f.label_len) == 0));
    CHECK(i - start <= f.label_len + kRowMax - 1);
    lines++;
    start = i + 1;
  }
  CHECK(start == used);
  CHECK(lines == kept);

  const size_t capacity = n + label.size() % 5;
  const InetLayout l = inet_layout(capacity);
  std::vector<uint8_t> table(l.byte_length + 1);  // + 1: never empty
  if (n > 0) {  // (an empty vector's data() may be null, which memcpy may not be handed)
    std::memcpy(table.data() + l.family, family.data(), n);
    std::memcpy(table.data() + l.state, state.data(), n);
    std::memcpy(table.data() + l.local_addr, local.data(), 16 * n);
    std::memcpy(table.data() + l.remote_addr, remote.data(), 16 * n);
    std::memcpy(table.data() + l.local_port, lport.data(), 2 * n);
    std::memcpy(table.data() + l.remote_port, rport.data(), 2 * n);
    std::memcpy(table.data() + l.tx_queue, txq.data(), 4 * n);
    std::memcpy(table.data() + l.rx_queue, rxq.data(), 4 * n);
    std::memcpy(table.data() + l.inode, inode.data(), 8 * n);
  }
  RowText text;
  const size_t chunk = 1 + processes % 5;
  for (size_t first = 0; first < n; first += chunk) {
    CHECK(text.append(table.data(), capacity, first, std::min(chunk, n - first), f, nullptr));
  }
  CHECK(text.rows() == n && text.size() == used && !text.failed());
  char* joined = text.release();
  CHECK(used == 0 || std::memcmp(joined, out, used) == 0);
  std::free(joined);
  std::free(out);
  return 0;
}

