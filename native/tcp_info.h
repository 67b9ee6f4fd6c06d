// struct tcp_info (INET_DIAG_INFO), INET_DIAG_CONG and INET_DIAG_SKMEMINFO payloads into the
// extension columns of a netlink inet table (RawTcpExtensions of src/model/tcp_info.ts). Pure C++
// (no Node-API): the dump runs on the libuv pool, and the fuzz harness calls it directly.
//
// The offsets are the project's own table, twin of TCP_INFO_FIELDS in src/model/tcp_info.ts (a test
// compares the two through the addon's tcpInfoFields()): the build machine's <linux/tcp.h> is older
// than the kernels netsnap runs on, and glibc's <netinet/tcp.h> is a different, shorter struct.
// Every payload is read only as far as its length: a field whose offset + size exceeds the
// attribute's payload stays 0 (and is absent by infoLen); of a longer payload than we know, the
// known prefix is read.
#ifndef NETSNAP_TCP_INFO_H_
#define NETSNAP_TCP_INFO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "recycle.h"

namespace netsnap {

struct TcpInfoField {
  uint16_t offset;
  uint8_t size;  // 1, 2 or 4 bytes: a u32 column; 8: an f64 column
};

// In struct order, exactly TCP_INFO_FIELDS (names there).
constexpr TcpInfoField kTcpInfoFields[] = {
    {1, 1},   {2, 1},   {3, 1},   {4, 1},   {5, 1},   {6, 1},   {7, 1},    // caState .. flagsByte
    {8, 4},   {12, 4},  {16, 4},  {20, 4},  {24, 4},  {28, 4},  {32, 4},   // rtoUs .. lost
    {36, 4},  {44, 4},  {52, 4},  {56, 4},  {60, 4},  {64, 4},  {68, 4},   // retrans .. rttUs
    {72, 4},  {76, 4},  {80, 4},  {84, 4},  {88, 4},  {92, 4},  {96, 4},   // rttVarUs .. rcvSpace
    {100, 4}, {104, 8}, {112, 8}, {120, 8}, {128, 8},                      // totalRetrans .. bytesReceived
    {136, 4}, {140, 4}, {144, 4}, {148, 4}, {152, 4}, {156, 4},            // segsOut .. dataSegsOut
    {160, 8}, {168, 8}, {176, 8}, {184, 8},                                // deliveryRate .. sndbufLimitedUs
    {192, 4}, {196, 4}, {200, 8}, {208, 8},                                // delivered .. bytesRetrans
    {216, 4}, {220, 4}, {224, 4}, {228, 4}, {232, 4}, {236, 4},            // dsackDups .. rehash
    {240, 2}, {242, 2}, {244, 4},                                          // totalRto .. totalRtoTimeMs
};

constexpr size_t kTcpInfoFieldCount = sizeof kTcpInfoFields / sizeof kTcpInfoFields[0];

constexpr size_t count_wide(bool wide) {
  size_t n = 0;
  for (const TcpInfoField& f : kTcpInfoFields) n += (f.size == 8) == wide ? 1 : 0;
  return n;
}

// Field k's column among the fields of its width: info_u32's for 1, 2 and 4 bytes, info_f64's for 8
// (TCP_INFO_COLUMN). A loop: callers that need it per row take it at compile time.
constexpr size_t tcp_info_column(size_t k) {
  size_t c = 0;
  for (size_t j = 0; j < k; j++) c += (kTcpInfoFields[j].size == 8) == (kTcpInfoFields[k].size == 8) ? 1 : 0;
  return c;
}

// TCP_INFO_U32_COLUMNS and TCP_INFO_F64_COLUMNS.
constexpr size_t kTcpInfoU32Columns = count_wide(false);
constexpr size_t kTcpInfoF64Columns = count_wide(true);
// TCP_INFO_DECODED_BYTES: nothing past this is read.
constexpr size_t kTcpInfoDecodedBytes = 248;

// SK_MEMINFO_VARS of <linux/sock_diag.h> (SKMEM_FIELDS): values read from INET_DIAG_SKMEMINFO.
constexpr size_t kSkMemFields = 9;
// TCP_CA_NAME_MAX - 1: the longest congestion control name the kernel has.
constexpr size_t kCongNameMax = 15;
// cong is a u8 column with 0 for "none": at most this many distinct names per table.
constexpr size_t kCongNamesMax = 255;

// The SK_MEMINFO values within the first `len` bytes of `mem` into out[kSkMemFields] (the rest 0).
// Returns how many were read: min(kSkMemFields, len / 4).
size_t decode_skmeminfo(const uint8_t* mem, size_t len, uint32_t* out);

// A congestion control name as we keep it: the payload up to its first NUL, at most kCongNameMax
// bytes, cut at the first byte that is not printable ASCII (0x21..0x7e). Writes it to
// out[kCongNameMax] and returns its length (0: nothing usable).
size_t sanitize_cong_name(const uint8_t* name, size_t len, char* out);

// Which extension columns a dump fills (SampleRequest.extensions).
constexpr uint32_t kExtTcpInfo = 1;  // INET_DIAG_INFO and INET_DIAG_CONG
constexpr uint32_t kExtMemory = 2;   // INET_DIAG_SKMEMINFO
constexpr uint32_t kExtAll = kExtTcpInfo | kExtMemory;

// The extension columns of one table. Rows are appended during the dump (every tcp_info field
// decoded at once into its column, or with a selection the raw bytes of the selected fields; socket
// memory row-major); finish() lays them out column-major, field k of row i at [k * rows + i], as
// RawTcpExtensions wants them: the fields of kTcpInfoFields that lie within a row's INET_DIAG_INFO
// payload, u8/u16/u32 into info_u32 and u64 into info_f64 (as double: exact below 2^53), the others 0.
struct TcpExtensions {
  Column<uint16_t> info_len;
  Column<uint32_t> info_u32;  // after finish()
  Column<double> info_f64;    // after finish()
  Column<uint8_t> cong;
  std::vector<std::string> cong_names;
  Column<uint8_t> mem_count;
  Column<uint32_t> mem;
  bool column_major = false;

  size_t rows() const { return info_len.size(); }

  // Before the first add_row(): where a selection's raw bytes wait for finish(), such as a
  // thread's buffer kept between dumps (cleared here, left grown but for a big table's); without
  // one, memory of this object's own.
  void use_scratch(Column<uint8_t>* scratch);

  // Room for `rows` rows before the first add_row(), when the caller expects about that many (the
  // previous table of a sampler): no regrowth, the columns (or a selection's raw bytes) taken at
  // their final size. With `keep_room` (a table filled into a lent one: a sampler's), finish() takes
  // the tcp_info columns at that size too, so that they can be lent back later for as many rows.
  void reserve(size_t rows, bool keep_room = false);

  // One row from the last INET_DIAG_INFO, INET_DIAG_CONG and INET_DIAG_SKMEMINFO payloads of a
  // record (null / 0 when the record had none). Before finish() only.
  void add_row(const uint8_t* info, size_t info_len, const uint8_t* cong, size_t cong_len, const uint8_t* mem,
               size_t mem_len);
  void finish();
  // Before finish(), both: appends `other`'s rows after this one's (the same selection and memory
  // setting: the same request's; `other` keeps its rows, its tile emptied into its columns). Its
  // congestion names join this one's, its rows' indexes renumbered (a name past the 255 the column
  // holds reads as none, as in add_row()).
  void append(TcpExtensions& other);
  // Before finish(): removes the rows at `rows` (increasing, each below rows()).
  void remove_rows(const std::vector<size_t>& rows);

  // Before the first add_row(): decode only these fields of kTcpInfoFields (indexes, increasing;
  // SampleRequest.info_fields), into info_u32 / info_f64 in that order, the others not at all
  // (RawTcpExtensions.fields says which). Without socket memory (`memory` false) the mem columns
  // stay empty: every row's mem_count is 0, as for a payload the kernel did not send.
  void select(const std::vector<uint8_t>& fields, bool memory);
  // The fields decoded (empty: all of kTcpInfoFields).
  const std::vector<uint8_t>& fields() const { return fields_; }

 private:
  uint8_t cong_index(const uint8_t* name, size_t len);
  Column<uint8_t>& raw() { return scratch_ != nullptr ? *scratch_ : own_raw_; }
  // A selection (select()), before finish(): row_bytes_ per row, the selected fields' bytes one after
  // the other in the selection's order (picks_), each zero unless the payload holds all of its bytes:
  // a few bytes a row, which a poller writes for every socket of every tick.
  struct Pick {
    size_t offset;  // in struct tcp_info
    size_t size;
    size_t at;  // in the row
  };
  std::vector<Pick> picks_;
  size_t row_bytes_ = 0;
  // All fields (no selection, direct()): add_row() decodes each row into a tile of kTileRows rows
  // (row-major, small enough for the cache), and each full tile goes into info_u32 / info_f64 column
  // by column, a run of rows per column. The columns have stride_ rows of room each (grown by
  // doubling; reserve() sets it), and finish() closes them up to rows(). The raw bytes are for a
  // selection only, which finish() decodes a tile of kTileRows rows at a time.
  static constexpr size_t kTileRows = 64;
  bool direct() const { return picks_.empty(); }
  size_t stride_ = 0;
  std::vector<uint32_t> tile_u32_;  // kTileRows x kTcpInfoU32Columns, once used
  std::vector<double> tile_f64_;    // kTileRows x kTcpInfoF64Columns
  size_t tile_rows_ = 0;            // rows in the tile, the last of rows()
  void set_stride(size_t stride);
  void flush_tile();
  Column<uint8_t>* scratch_ = nullptr;
  Column<uint8_t> own_raw_;
  size_t last_cong_ = 0;  // index + 1 into cong_names of the last name seen: most rows share it
  std::vector<uint8_t> fields_;
  bool memory_ = true;
  size_t room_rows_ = 0;  // reserve()'s rows with keep_room: finish() takes the tcp_info columns at that size
};

}  // namespace netsnap

#endif  // NETSNAP_TCP_INFO_H_
