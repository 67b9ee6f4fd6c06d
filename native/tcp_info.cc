#include "tcp_info.h"

#include <algorithm>
#include <cstring>

#include "layout.h"

namespace netsnap {

static_assert(kTcpInfoFieldCount == kTcpInfoU32Columns + kTcpInfoF64Columns, "every field has a column");

namespace {

constexpr bool fields_within_decoded_bytes() {
  for (const TcpInfoField& f : kTcpInfoFields) {
    if (f.offset + f.size > kTcpInfoDecodedBytes) return false;
    if (f.size != 1 && f.size != 2 && f.size != 4 && f.size != 8) return false;
  }
  return true;
}
static_assert(fields_within_decoded_bytes(), "kTcpInfoFields ends within kTcpInfoDecodedBytes");

// Fields K.. of one row's payload (`len` bytes) into their columns: `u` and `f` point at the row in
// the first u32 and f64 column, each column `stride` further. A field the payload does not hold
// whole is 0, never a value made of some of its bytes. Unrolled at compile time.
template <size_t K>
inline void decode_fields(const uint8_t* info, size_t len, uint32_t* u, double* f, size_t stride) {
  if constexpr (K < kTcpInfoFieldCount) {
    constexpr TcpInfoField field = kTcpInfoFields[K];
    constexpr size_t column = tcp_info_column(K);
    const bool whole = field.offset + field.size <= len;
    if constexpr (field.size == 8) {
      uint64_t v = 0;
      if (whole) std::memcpy(&v, info + field.offset, 8);
      f[column * stride] = static_cast<double>(v);
    } else if constexpr (field.size == 4) {
      uint32_t v = 0;
      if (whole) std::memcpy(&v, info + field.offset, 4);
      u[column * stride] = v;
    } else if constexpr (field.size == 2) {
      uint16_t v = 0;
      if (whole) std::memcpy(&v, info + field.offset, 2);
      u[column * stride] = v;
    } else {
      u[column * stride] = whole ? info[field.offset] : 0;
    }
    decode_fields<K + 1>(info, len, u, f, stride);
  }
}

}  // namespace

size_t decode_skmeminfo(const uint8_t* mem, size_t len, uint32_t* out) {
  size_t n = len / sizeof(uint32_t);
  if (n > kSkMemFields) n = kSkMemFields;
  for (size_t k = 0; k < kSkMemFields; k++) {
    uint32_t v = 0;
    if (k < n) std::memcpy(&v, mem + k * sizeof v, sizeof v);
    out[k] = v;
  }
  return n;
}

size_t sanitize_cong_name(const uint8_t* name, size_t len, char* out) {
  size_t n = 0;
  while (n < len && n < kCongNameMax && name[n] >= 0x21 && name[n] <= 0x7e) {
    out[n] = static_cast<char>(name[n]);
    n++;
  }
  return n;
}

uint8_t TcpExtensions::cong_index(const uint8_t* name, size_t len) {
  // Most rows name the row before's algorithm: the same bytes, ended by the payload or by a byte
  // sanitize_cong_name() stops at.
  if (last_cong_ > 0) {
    const std::string& last = cong_names[last_cong_ - 1];
    const size_t n = last.size();
    if (len >= n && std::memcmp(name, last.data(), n) == 0 &&
        (len == n || n == kCongNameMax || name[n] < 0x21 || name[n] > 0x7e)) {
      return static_cast<uint8_t>(last_cong_);
    }
  }
  char clean[kCongNameMax];
  const size_t n = sanitize_cong_name(name, len, clean);
  if (n == 0) return 0;
  const auto same = [&](const std::string& s) { return s.size() == n && std::memcmp(s.data(), clean, n) == 0; };
  if (last_cong_ > 0 && same(cong_names[last_cong_ - 1])) return static_cast<uint8_t>(last_cong_);
  for (size_t k = 0; k < cong_names.size(); k++) {
    if (same(cong_names[k])) {
      last_cong_ = k + 1;
      return static_cast<uint8_t>(last_cong_);
    }
  }
  // A real kernel has a handful of congestion controls; a table naming more than the u8 column
  // holds is not from one, and the names past that read as none.
  if (cong_names.size() >= kCongNamesMax) return 0;
  cong_names.emplace_back(clean, n);
  last_cong_ = cong_names.size();
  return static_cast<uint8_t>(last_cong_);
}

void TcpExtensions::select(const std::vector<uint8_t>& fields, bool memory) {
  fields_.clear();
  for (uint8_t k : fields) {
    // Increasing and known, as read_request checked: anything else is left out.
    if (k < kTcpInfoFieldCount && (fields_.empty() || k > fields_.back())) fields_.push_back(k);
  }
  memory_ = memory;
  picks_.clear();
  size_t at = 0;
  for (uint8_t k : fields_) {
    picks_.push_back(Pick{kTcpInfoFields[k].offset, kTcpInfoFields[k].size, at});
    at += kTcpInfoFields[k].size;
  }
  row_bytes_ = at;
}

void TcpExtensions::flush_tile() {
  if (tile_rows_ == 0) return;
  const size_t first = rows() - tile_rows_;
  if (first + tile_rows_ > stride_) set_stride(std::max<size_t>({1024, 2 * stride_, first + tile_rows_}));
  for (size_t c = 0; c < kTcpInfoU32Columns; c++) {
    uint32_t* to = info_u32.data() + c * stride_ + first;
    for (size_t t = 0; t < tile_rows_; t++) to[t] = tile_u32_[t * kTcpInfoU32Columns + c];
  }
  for (size_t c = 0; c < kTcpInfoF64Columns; c++) {
    double* to = info_f64.data() + c * stride_ + first;
    for (size_t t = 0; t < tile_rows_; t++) to[t] = tile_f64_[t * kTcpInfoF64Columns + c];
  }
  tile_rows_ = 0;
}

void TcpExtensions::set_stride(size_t stride) {
  // Column c's rows move from c * stride_ to c * stride: up the vector when it grows (the last
  // column first), down when it shrinks (the first first); the room between is left as it was.
  // The rows in the tile are not in the columns yet.
  const size_t n = rows() - tile_rows_;
  auto move_columns = [&](auto& v, size_t columns) {
    if (stride > stride_) {
      v.resize(columns * stride);
      for (size_t c = columns; c-- > 1;) std::memmove(v.data() + c * stride, v.data() + c * stride_, n * sizeof(v[0]));
    } else {
      for (size_t c = 1; c < columns && n > 0; c++) std::memmove(v.data() + c * stride, v.data() + c * stride_, n * sizeof(v[0]));
      v.resize(columns * stride);
    }
  };
  move_columns(info_u32, kTcpInfoU32Columns);
  move_columns(info_f64, kTcpInfoF64Columns);
  stride_ = stride;
}

void TcpExtensions::reserve(size_t rows, bool keep_room) {
  room_rows_ = keep_room ? rows : 0;
  info_len.reserve(rows);
  cong.reserve(rows);
  mem_count.reserve(rows);
  if (memory_) mem.reserve(rows * kSkMemFields);
  if (direct()) {
    if (rows > stride_) set_stride(rows);  // the tile is empty: reserve() comes before add_row()
  } else {
    raw().reserve(rows * row_bytes_);
  }
}

void TcpExtensions::use_scratch(Column<uint8_t>* scratch) {
  scratch_ = scratch;
  scratch_->clear();
}

void TcpExtensions::add_row(const uint8_t* info, size_t info_bytes, const uint8_t* cong_name, size_t cong_bytes,
                            const uint8_t* mem_values, size_t mem_bytes) {
  // An attribute payload is at most 0xffff - 4 bytes (rta_len is 16 bits), so it fits the u16.
  info_len.push_back(static_cast<uint16_t>(info_bytes > 0xffff ? 0xffff : info_bytes));
  const size_t r = info_len.size() - 1;
  if (direct()) {
    if (tile_u32_.empty()) {
      tile_u32_.resize(kTileRows * kTcpInfoU32Columns);
      tile_f64_.resize(kTileRows * kTcpInfoF64Columns);
    }
    decode_fields<0>(info, info_bytes, &tile_u32_[tile_rows_ * kTcpInfoU32Columns], &tile_f64_[tile_rows_ * kTcpInfoF64Columns], 1);
    if (++tile_rows_ == kTileRows) flush_tile();
  } else {
    // The selected fields' bytes; a field the payload does not hold whole is 0.
    Column<uint8_t>& bytes = raw();
    const size_t at = bytes.size();
    bytes.insert(bytes.end(), row_bytes_, 0);
    uint8_t* row = &bytes[at];
    for (const Pick& p : picks_) {
      if (p.offset + p.size <= info_bytes) std::memcpy(row + p.at, info + p.offset, p.size);
    }
  }
  cong.push_back(cong_bytes > 0 ? cong_index(cong_name, cong_bytes) : 0);
  if (!memory_) {
    mem_count.push_back(0);
    return;
  }
  mem.resize((r + 1) * kSkMemFields);
  mem_count.push_back(static_cast<uint8_t>(decode_skmeminfo(mem_values, mem_bytes, &mem[r * kSkMemFields])));
}

namespace {

// One selected field of every row (`stride` bytes each, the field at `offset`; add_row() left it 0
// where the payload fell short) into its column.
template <typename T, typename Out>
void decode_column(const uint8_t* raw, size_t stride, size_t rows, size_t offset, Out* out) {
  for (size_t i = 0; i < rows; i++) {
    T v;
    std::memcpy(&v, raw + i * stride + offset, sizeof v);
    out[i] = static_cast<Out>(v);
  }
}

// Row-major (rows x width) to column-major (width x rows).
template <typename V>
void transpose(V& v, size_t rows, size_t width) {
  if (rows <= 1) return;  // one row reads the same both ways
  V out;
  out.reserve(v.capacity());  // the room it was taken with (reserve()) stays
  out.resize(rows * width);
  for (size_t r = 0; r < rows; r++) {
    const auto* in = &v[r * width];
    for (size_t k = 0; k < width; k++) out[k * rows + r] = in[k];
  }
  v.swap(out);
}

}  // namespace

namespace {

// Removes the rows at `rows` (increasing) of a row-major vector of `width` elements per row.
template <typename V>
void erase_rows(V& v, size_t width, const std::vector<size_t>& rows) {
  if (width == 0) return;
  const size_t left = compact_rows(reinterpret_cast<uint8_t*>(v.data()), v.size() / width, width * sizeof(v[0]), rows);
  v.resize(left * width);
}

}  // namespace

void TcpExtensions::remove_rows(const std::vector<size_t>& rows) {
  if (column_major || rows.empty()) return;
  const size_t n = info_len.size();
  if (direct()) flush_tile();
  erase_rows(info_len, 1, rows);
  if (direct()) {
    // Each column on its own; the room after its rows stays.
    for (size_t c = 0; c < kTcpInfoU32Columns && n <= stride_; c++) {
      compact_rows(reinterpret_cast<uint8_t*>(&info_u32[c * stride_]), n, sizeof(uint32_t), rows);
    }
    for (size_t c = 0; c < kTcpInfoF64Columns && n <= stride_; c++) {
      compact_rows(reinterpret_cast<uint8_t*>(&info_f64[c * stride_]), n, sizeof(double), rows);
    }
  }
  Column<uint8_t>& bytes = raw();
  if (!direct() && bytes.size() >= n * row_bytes_) erase_rows(bytes, row_bytes_, rows);
  erase_rows(cong, 1, rows);
  erase_rows(mem_count, 1, rows);
  if (memory_) erase_rows(mem, kSkMemFields, rows);
}

void TcpExtensions::append(TcpExtensions& other) {
  const size_t n = other.rows();
  if (n == 0) return;
  if (direct()) flush_tile();
  const size_t at = rows();
  if (direct()) {
    // The same request's tables (both decode every field), both finish()ed or both not: each column's
    // rows go after this one's.
    other.flush_tile();
    if (at + n > stride_) set_stride(std::max(at + n, 2 * stride_));
    // Columns `other` does not have (a selection's table: never the same request's) read as 0.
    const bool has = other.direct() && other.stride_ >= n && other.info_u32.size() >= kTcpInfoU32Columns * other.stride_ &&
                     other.info_f64.size() >= kTcpInfoF64Columns * other.stride_;
    for (size_t c = 0; c < kTcpInfoU32Columns; c++) {
      uint32_t* to = info_u32.data() + c * stride_ + at;
      if (has) std::memcpy(to, other.info_u32.data() + c * other.stride_, n * sizeof(uint32_t));
      else std::fill(to, to + n, 0u);
    }
    for (size_t c = 0; c < kTcpInfoF64Columns; c++) {
      double* to = info_f64.data() + c * stride_ + at;
      if (has) std::memcpy(to, other.info_f64.data() + c * other.stride_, n * sizeof(double));
      else std::fill(to, to + n, 0.0);
    }
  } else {
    const Column<uint8_t>& from = other.scratch_ != nullptr ? *other.scratch_ : other.own_raw_;
    Column<uint8_t>& bytes = raw();
    bytes.insert(bytes.end(), from.begin(), from.end());
  }
  info_len.insert(info_len.end(), other.info_len.begin(), other.info_len.end());
  uint8_t renumber[kCongNamesMax + 1] = {};
  for (size_t k = 0; k < other.cong_names.size() && k < kCongNamesMax; k++) {
    const std::string& name = other.cong_names[k];
    renumber[k + 1] = cong_index(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  }
  for (size_t r = 0; r < n; r++) cong.push_back(renumber[other.cong[r]]);
  mem_count.insert(mem_count.end(), other.mem_count.begin(), other.mem_count.end());
  mem.insert(mem.end(), other.mem.begin(), other.mem.end());
}

void TcpExtensions::finish() {
  if (column_major) return;
  column_major = true;
  const size_t n = rows();
  if (direct()) {
    // The columns closed up to the rows; what was reserved stays their capacity (keep_room).
    flush_tile();
    set_stride(n);
    if (memory_) transpose(mem, n, kSkMemFields);
    return;
  }
  // A selection: its fields' bytes at their place in each row.
  size_t n_narrow = 0, n_wide = 0;
  for (const Pick& p : picks_) (p.size == 8 ? n_wide : n_narrow)++;
  // Room for the rows expected (a sampler's table), as the other columns have: a table that lends them
  // back later (fill_reused_columns) holds that many rows.
  const size_t room = std::max(n, room_rows_);
  info_u32.reserve(room * n_narrow);
  info_f64.reserve(room * n_wide);
  info_u32.assign(n * n_narrow, 0);
  info_f64.assign(n * n_wide, 0.0);
  Column<uint8_t>& bytes = raw();
  // A tile of rows at a time, so the rows' bytes stay in cache while every field is taken from them
  // (column after column over the whole table would fetch each row's bytes once per field).
  for (size_t b = 0; b < n; b += kTileRows) {
    const size_t m = n - b < kTileRows ? n - b : kTileRows;
    const uint8_t* raw = &bytes[b * row_bytes_];
    size_t narrow = 0, wide = 0;
    for (const Pick& p : picks_) {
      switch (p.size) {
        case 1: decode_column<uint8_t>(raw, row_bytes_, m, p.at, &info_u32[narrow++ * n + b]); break;
        case 2: decode_column<uint16_t>(raw, row_bytes_, m, p.at, &info_u32[narrow++ * n + b]); break;
        case 4: decode_column<uint32_t>(raw, row_bytes_, m, p.at, &info_u32[narrow++ * n + b]); break;
        default: decode_column<uint64_t>(raw, row_bytes_, m, p.at, &info_f64[wide++ * n + b]); break;
      }
    }
  }
  // JavaScript gets the columns; the bytes can go, or wait in the scratch for the next table when
  // they are few.
  constexpr size_t kKeepScratch = 4u << 20;
  if (scratch_ == nullptr || bytes.capacity() > kKeepScratch) Column<uint8_t>().swap(bytes);
  else bytes.clear();
  scratch_ = nullptr;
  if (memory_) transpose(mem, n, kSkMemFields);
}

}  // namespace netsnap
