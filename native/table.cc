#include "table.h"

#include <cstring>

#include "filter.h"
#include "layout.h"
#include "lines.h"
#include "net_inet.h"
#include "net_unix.h"
#include "problems.h"

namespace netsnap {

Table& Table::operator=(Table&& other) noexcept {
  if (this != &other) {
    if (!buffer_reused) std::free(buffer);
    std::free(pool);
    is_unix = other.is_unix;
    buffer_reused = other.buffer_reused;
    buffer = other.release_buffer();
    byte_length = other.byte_length;
    capacity = other.capacity;
    count = other.count;
    problems = std::move(other.problems);
    pool = other.release_pool();
    pool_length = other.pool_length;
    has_backlog = other.has_backlog;
    backlog = std::move(other.backlog);
    has_ids = other.has_ids;
    cookie = std::move(other.cookie);
    cgroup_id = std::move(other.cgroup_id);
    ifindex = std::move(other.ifindex);
    has_ext = other.has_ext;
    ext = std::move(other.ext);
    columns_reused = other.columns_reused;
    for (unsigned k = 0; k < kReusableColumns; k++) reused_elements[k] = other.reused_elements[k];
    other.columns_reused = 0;
    other.byte_length = other.capacity = other.count = other.pool_length = 0;
  }
  return *this;
}

namespace {

bool reuse_fits_inet(const Reuse* reuse, size_t capacity) {
  // An empty ArrayBuffer may have no data pointer: it is still reusable for a layout of 0 bytes.
  return reuse != nullptr && reuse->present && capacity <= reuse->capacity && inet_capacity_fits(reuse->capacity) &&
         inet_layout(reuse->capacity).byte_length <= reuse->length &&
         (reuse->data != nullptr || inet_layout(reuse->capacity).byte_length == 0);
}

bool reuse_fits_unix(const Reuse* reuse, size_t capacity) {
  return reuse != nullptr && reuse->present && capacity <= reuse->capacity && unix_capacity_fits(reuse->capacity) &&
         unix_layout(reuse->capacity).byte_length <= reuse->length &&
         (reuse->data != nullptr || unix_layout(reuse->capacity).byte_length == 0);
}

// Gives `t` `capacity` rows: the reused memory, or a zeroed block (rows the parser does not fill
// read as zero, like a fresh ArrayBuffer).
template <typename Layout>
bool attach(Table& t, size_t capacity, size_t byte_length, const Reuse* reuse, bool use_reuse) {
  t.capacity = capacity;
  t.byte_length = byte_length;
  if (use_reuse) {
    t.buffer = reuse->data;
    t.buffer_reused = true;
    return true;
  }
  if (byte_length > 0) {
    t.buffer = static_cast<uint8_t*>(std::calloc(byte_length, 1));
    if (t.buffer == nullptr) return false;
  }
  return true;
}

// Moves the first `count` rows of each column (`widths`, in layout order) from the layout of
// `from_cap` rows in `src` to that of `to_cap` rows in `dst`; returns the end of the last column in
// dst. dst may be src when to_cap <= from_cap: every column's new offset is then at or below its
// old one, so taking them in layout order never overwrites a column not yet moved.
template <size_t N>
size_t move_columns(const uint8_t* src, uint8_t* dst, size_t count, size_t from_cap, size_t to_cap,
                    const size_t (&widths)[N]) {
  size_t from = 0, to = 0;
  for (size_t i = 0; i < N; i++) {
    if (count > 0 && (src != dst || from != to)) std::memmove(dst + to, src + from, count * widths[i]);
    from += widths[i] * from_cap;
    to += widths[i] * to_cap;
  }
  return to;
}

// Doubles t's capacity into fresh memory, moving the first t.count rows of each column (`widths`,
// in layout order) to the new layout's offsets. The reused memory, if any, is left to its owner.
template <typename LayoutFn, size_t N>
bool grow(Table& t, LayoutFn layout_of, const size_t (&widths)[N], bool (*fits)(size_t)) {
  const size_t capacity = grown_capacity(t.capacity);
  if (capacity <= t.capacity || !fits(capacity)) return false;
  const size_t new_len = layout_of(capacity);
  uint8_t* buffer = static_cast<uint8_t*>(std::calloc(new_len, 1));
  if (buffer == nullptr) return false;
  move_columns(t.buffer, buffer, t.count, t.capacity, capacity, widths);
  if (!t.buffer_reused) std::free(t.buffer);
  t.buffer = buffer;
  t.buffer_reused = false;
  t.capacity = capacity;
  t.byte_length = new_len;
  return true;
}

constexpr size_t kInetWidths[] = {8, 4, 4, 4, 4, 4, 4, 4, 2, 2, 16, 16, 1, 1, 1};
constexpr size_t kUnixWidths[] = {8, 4, 4, 4, 4, 4, 2, 1};
size_t inet_bytes(size_t capacity) { return inet_layout(capacity).byte_length; }
size_t unix_bytes(size_t capacity) { return unix_layout(capacity).byte_length; }

// Builds an inet table from lines (lines.h), growing it as rows come (net_inet.ts InetBuilder).
struct InetBuilder {
  bool want_drops, little_endian;
  const Reuse* reuse;
  const uint32_t* state_mask;
  const FilterProgram* filter;
  Table t;

  bool begin(const uint8_t* first, size_t n) {
    size_t capacity = row_capacity(first, n);
    if (!inet_capacity_fits(capacity)) return false;
    const bool use = reuse_fits_inet(reuse, capacity);
    if (use) capacity = reuse->capacity;
    return attach<InetLayout>(t, capacity, inet_layout(capacity).byte_length, reuse, use);
  }
  void too_long(size_t line_no) {
    if (line_no == 1) return;
    t.problems.push_back(static_cast<uint32_t>(line_no));
    t.problems.push_back(problem::kInetTooLong);
  }
  bool line(const uint8_t* bytes, size_t start, size_t eol, size_t line_no, bool terminated) {
    if (line_no == 1) return true;  // header
    InetRow row;
    const uint32_t code = parse_inet_line(bytes, start, eol, terminated, want_drops, little_endian, state_mask, &row);
    if (code == kLineIgnored) return true;
    if (code != kLineRow) {
      // Line numbers wrap like the JS side's Uint32Array.from() would.
      t.problems.push_back(static_cast<uint32_t>(line_no));
      t.problems.push_back(code);
      return true;
    }
    if (filter != nullptr) {
      FilterRow f;
      f.inet = &row;
      if (!filter->keeps(f)) return true;  // filtered out: not a problem, nothing stored
    }
    if (t.count == t.capacity && !grow(t, inet_bytes, kInetWidths, inet_capacity_fits)) return false;
    store_inet_row(t.buffer, inet_layout(t.capacity), t.count++, row);
    return true;
  }
};

struct UnixBuilder {
  const Reuse* reuse;
  Table t;
  size_t pool_capacity = 0;

  bool begin(const uint8_t* first, size_t n) {
    t.is_unix = true;
    size_t capacity = row_capacity(first, n);
    if (!unix_capacity_fits(capacity)) return false;
    const bool use = reuse_fits_unix(reuse, capacity);
    if (use) capacity = reuse->capacity;
    if (!attach<UnixLayout>(t, capacity, unix_layout(capacity).byte_length, reuse, use)) return false;
    if (n > 0) {
      t.pool = static_cast<uint8_t*>(std::malloc(n));
      if (t.pool == nullptr) return false;
      pool_capacity = n;
    }
    return true;
  }
  void too_long(size_t line_no) {
    if (line_no == 1) return;
    t.problems.push_back(static_cast<uint32_t>(line_no));
    t.problems.push_back(problem::kUnixTooLong);
  }
  bool line(const uint8_t* bytes, size_t start, size_t eol, size_t line_no, bool terminated) {
    if (line_no == 1) return true;
    UnixRow row;
    const uint32_t code = parse_unix_line(bytes, start, eol, terminated, &row);
    if (code == kUnixLineIgnored) return true;
    if (code != kUnixLineRow) {
      t.problems.push_back(static_cast<uint32_t>(line_no));
      t.problems.push_back(code);
      return true;
    }
    if (t.count == t.capacity && !grow(t, unix_bytes, kUnixWidths, unix_capacity_fits)) return false;
    const UnixLayout L = unix_layout(t.capacity);
    const size_t r = t.count++;
    store_unix_row(t.buffer, L, r, row);
    if (row.path_len > 0) {
      if (row.path_len > pool_capacity - t.pool_length) {
        size_t want = pool_capacity * 2;
        if (want < t.pool_length + row.path_len) want = t.pool_length + row.path_len;
        void* bigger = std::realloc(t.pool, want);
        if (bigger == nullptr) return false;
        t.pool = static_cast<uint8_t*>(bigger);
        pool_capacity = want;
      }
      std::memcpy(t.pool + t.pool_length, bytes + row.path_start, row.path_len);
      // pathStart/pathLen are Uint32 columns; offsets wrap like the JS typed-array stores.
      store<uint32_t>(t.buffer, L.path_start, r, static_cast<uint32_t>(t.pool_length));
      store<uint32_t>(t.buffer, L.path_len, r, static_cast<uint32_t>(row.path_len));
      t.pool_length += row.path_len;
    }
    return true;
  }
  // JavaScript keeps the pool alive as long as the table; give back what paths did not use.
  void finish() {
    if (t.pool_length == 0) {
      std::free(t.pool);
      t.pool = nullptr;
    } else if (t.pool_length < pool_capacity) {
      // Shrinking in place rarely fails, and when it does the bigger block is still valid.
      void* smaller = std::realloc(t.pool, t.pool_length);
      if (smaller != nullptr) t.pool = static_cast<uint8_t*>(smaller);
    }
  }
};

}  // namespace

bool build_inet_table(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, Table* out,
                      const Reuse* reuse, const uint32_t* state_mask, const FilterProgram* filter) {
  InetBuilder b{want_drops, little_endian, reuse, state_mask, filter, Table()};
  if (!memory_lines(bytes, len, kInetLineMax, b)) return false;
  *out = std::move(b.t);
  return true;
}

bool build_unix_table(const uint8_t* bytes, size_t len, Table* out, const Reuse* reuse) {
  UnixBuilder b{reuse, Table()};
  if (!memory_lines(bytes, len, kUnixLineMax, b)) return false;
  b.finish();
  *out = std::move(b.t);
  return true;
}

int stream_inet_table(int dir_fd, const char* path, std::vector<uint8_t>& scratch, bool want_drops,
                      bool little_endian, Table* out, const Reuse* reuse, const uint32_t* state_mask,
                      const FilterProgram* filter) {
  InetBuilder b{want_drops, little_endian, reuse, state_mask, filter, Table()};
  const int err = stream_lines(dir_fd, path, kInetLineMax, scratch, b);
  if (err != 0) return err;
  *out = std::move(b.t);
  return 0;
}

int stream_unix_table(int dir_fd, const char* path, std::vector<uint8_t>& scratch, Table* out, const Reuse* reuse) {
  UnixBuilder b{reuse, Table()};
  const int err = stream_lines(dir_fd, path, kUnixLineMax, scratch, b);
  if (err != 0) return err;
  b.finish();
  *out = std::move(b.t);
  return 0;
}

void trim_table(Table& t) {
  if (t.buffer_reused || t.buffer == nullptr || t.count >= t.capacity) return;
  // In place, down to the layout of count rows.
  const size_t length = t.is_unix ? move_columns(t.buffer, t.buffer, t.count, t.capacity, t.count, kUnixWidths)
                                  : move_columns(t.buffer, t.buffer, t.count, t.capacity, t.count, kInetWidths);
  if (length == 0) {
    std::free(t.buffer);
    t.buffer = nullptr;
  } else if (void* shrunk = std::realloc(t.buffer, length)) {
    t.buffer = static_cast<uint8_t*>(shrunk);
  }
  t.capacity = t.count;
  t.byte_length = length;
}

namespace {

bool overlaps(const uint8_t* a, size_t an, const uint8_t* b, size_t bn) {
  if (a == nullptr || b == nullptr || an == 0 || bn == 0) return false;
  const auto x = reinterpret_cast<uintptr_t>(a);
  const auto y = reinterpret_cast<uintptr_t>(b);
  return x < y + bn && y < x + an;
}

// True when `span` shares no byte with any other span lent by the request (its column buffers and
// their other columns), itself excepted.
bool lent_once(const ReuseSpan& span, const Reuse& own, const std::vector<const Reuse*>& others) {
  auto clear_of = [&](const Reuse& r) {
    if (overlaps(span.data, span.bytes, r.data, r.length)) return false;
    for (const ReuseSpan& o : r.columns) {
      if (&o != &span && overlaps(span.data, span.bytes, o.data, o.bytes)) return false;
    }
    return true;
  };
  if (!clear_of(own)) return false;
  for (const Reuse* r : others) {
    if (r != nullptr && r != &own && r->present && !clear_of(*r)) return false;
  }
  return true;
}

template <typename V>
void refill(Table& t, V& column, unsigned k, const Reuse& reuse, const std::vector<const Reuse*>& others) {
  const ReuseSpan& to = reuse.columns[k];
  const size_t bytes = column.size() * sizeof(typename V::value_type);
  if (to.data == nullptr || bytes == 0 || bytes > to.bytes || !lent_once(to, reuse, others)) return;
  std::memcpy(to.data, column.data(), bytes);
  t.reused_elements[k] = column.size();
  t.columns_reused |= 1u << k;
  V().swap(column);  // its memory back to the pool now, on this thread
}

}  // namespace

void fill_reused_columns(Table& t, const Reuse& reuse, const std::vector<const Reuse*>& others) {
  if (!reuse.present || t.is_unix) return;
  if (t.has_backlog) refill(t, t.backlog, kReuseBacklog, reuse, others);
  if (t.has_ids) {
    refill(t, t.cookie, kReuseCookie, reuse, others);
    refill(t, t.cgroup_id, kReuseCgroupId, reuse, others);
    refill(t, t.ifindex, kReuseIfindex, reuse, others);
  }
  if (t.has_ext) {
    refill(t, t.ext.info_len, kReuseInfoLen, reuse, others);
    refill(t, t.ext.info_u32, kReuseInfoU32, reuse, others);
    refill(t, t.ext.info_f64, kReuseInfoF64, reuse, others);
    refill(t, t.ext.cong, kReuseCong, reuse, others);
    refill(t, t.ext.mem_count, kReuseMemCount, reuse, others);
    refill(t, t.ext.mem, kReuseMem, reuse, others);
  }
}

}  // namespace netsnap
