#include "tcp_info.h"

#include <cstring>

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

}  // namespace

void decode_tcp_info(const uint8_t* info, size_t len, uint32_t* u32_out, double* f64_out) {
  // The known prefix in a zeroed block, so no read below can leave the payload; a field the
  // payload holds only in part is 0 too, never a value made of some of its bytes.
  uint8_t raw[kTcpInfoDecodedBytes] = {0};
  if (len > 0) std::memcpy(raw, info, len < sizeof raw ? len : sizeof raw);
  size_t narrow = 0, wide = 0;
  for (const TcpInfoField& f : kTcpInfoFields) {
    const uint8_t* p = raw + f.offset;
    const bool present = f.offset + f.size <= len;
    switch (f.size) {
      case 1: u32_out[narrow++] = present ? p[0] : 0; break;
      case 2: {
        uint16_t v = 0;
        if (present) std::memcpy(&v, p, 2);
        u32_out[narrow++] = v;
        break;
      }
      case 4: {
        uint32_t v = 0;
        if (present) std::memcpy(&v, p, 4);
        u32_out[narrow++] = v;
        break;
      }
      default: {
        uint64_t v = 0;
        if (present) std::memcpy(&v, p, 8);
        f64_out[wide++] = static_cast<double>(v);
        break;
      }
    }
  }
}

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

void TcpExtensions::add_row(const uint8_t* info, size_t info_bytes, const uint8_t* cong_name, size_t cong_bytes,
                            const uint8_t* mem_values, size_t mem_bytes) {
  // An attribute payload is at most 0xffff - 4 bytes (rta_len is 16 bits), so it fits the u16.
  info_len.push_back(static_cast<uint16_t>(info_bytes > 0xffff ? 0xffff : info_bytes));
  const size_t r = info_len.size() - 1;
  info_u32.resize((r + 1) * kTcpInfoU32Columns);
  info_f64.resize((r + 1) * kTcpInfoF64Columns);
  decode_tcp_info(info, info_bytes, &info_u32[r * kTcpInfoU32Columns], &info_f64[r * kTcpInfoF64Columns]);
  cong.push_back(cong_bytes > 0 ? cong_index(cong_name, cong_bytes) : 0);
  mem.resize((r + 1) * kSkMemFields);
  mem_count.push_back(static_cast<uint8_t>(decode_skmeminfo(mem_values, mem_bytes, &mem[r * kSkMemFields])));
}

namespace {

// Row-major (rows x width) to column-major (width x rows).
template <typename T>
void transpose(std::vector<T>& v, size_t rows, size_t width) {
  if (rows <= 1) return;  // one row reads the same both ways
  std::vector<T> out(rows * width);
  for (size_t r = 0; r < rows; r++) {
    const T* in = &v[r * width];
    for (size_t k = 0; k < width; k++) out[k * rows + r] = in[k];
  }
  v.swap(out);
}

}  // namespace

void TcpExtensions::finish() {
  if (column_major) return;
  const size_t n = rows();
  transpose(info_u32, n, kTcpInfoU32Columns);
  transpose(info_f64, n, kTcpInfoF64Columns);
  transpose(mem, n, kSkMemFields);
  column_major = true;
}

}  // namespace netsnap
