#include "table.h"

#include "inet_parser.h"
#include "layout.h"
#include "unix_parser.h"

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
    other.byte_length = other.capacity = other.count = other.pool_length = 0;
  }
  return *this;
}

bool build_inet_table(const uint8_t* bytes, size_t len, bool want_drops, bool little_endian, Table* out,
                      const Reuse* reuse, const uint32_t* state_mask) {
  const size_t capacity = row_capacity(bytes, len);
  if (!inet_capacity_fits(capacity)) return false;
  // An empty ArrayBuffer may have no data pointer: it is still reusable for a layout of 0 bytes.
  if (reuse != nullptr && reuse->present && capacity <= reuse->capacity && inet_capacity_fits(reuse->capacity) &&
      inet_layout(reuse->capacity).byte_length <= reuse->length &&
      (reuse->data != nullptr || inet_layout(reuse->capacity).byte_length == 0)) {
    Table t;
    t.buffer = reuse->data;
    t.buffer_reused = true;
    t.byte_length = inet_layout(reuse->capacity).byte_length;
    t.capacity = reuse->capacity;
    t.count = parse_inet(bytes, len, want_drops, little_endian, t.buffer, t.capacity, t.problems, state_mask);
    *out = std::move(t);
    return true;
  }
  const InetLayout L = inet_layout(capacity);
  uint8_t* buffer = nullptr;
  if (L.byte_length > 0) {
    // Zeroed: rows the parser does not fill must read as zero, like a fresh ArrayBuffer.
    buffer = static_cast<uint8_t*>(std::calloc(L.byte_length, 1));
    if (buffer == nullptr) return false;
  }
  Table t;
  t.is_unix = false;
  t.buffer = buffer;
  t.byte_length = L.byte_length;
  t.capacity = capacity;
  t.count = parse_inet(bytes, len, want_drops, little_endian, buffer, capacity, t.problems, state_mask);
  *out = std::move(t);
  return true;
}

bool build_unix_table(const uint8_t* bytes, size_t len, Table* out, const Reuse* reuse) {
  size_t capacity = row_capacity(bytes, len);
  if (!unix_capacity_fits(capacity)) return false;
  Table t;
  t.is_unix = true;
  const bool reuse_rows = reuse != nullptr && reuse->present && capacity <= reuse->capacity &&
                          unix_capacity_fits(reuse->capacity) && unix_layout(reuse->capacity).byte_length <= reuse->length &&
                          (reuse->data != nullptr || unix_layout(reuse->capacity).byte_length == 0);
  if (reuse_rows) {
    capacity = reuse->capacity;
    t.buffer = reuse->data;
    t.buffer_reused = true;
  }
  const UnixLayout L = unix_layout(capacity);
  if (!reuse_rows && L.byte_length > 0) {
    t.buffer = static_cast<uint8_t*>(std::calloc(L.byte_length, 1));
    if (t.buffer == nullptr) return false;
  }
  t.byte_length = L.byte_length;
  t.capacity = capacity;
  // Paths are pieces of distinct lines, so the input length always suffices.
  if (len > 0) {
    t.pool = static_cast<uint8_t*>(std::malloc(len));
    if (t.pool == nullptr) return false;
  }
  size_t rows = 0;
  const size_t used = parse_unix(bytes, len, t.buffer, capacity, t.pool, len, t.problems, &rows);
  t.count = rows;
  t.pool_length = used;
  if (used == 0) {
    std::free(t.pool);
    t.pool = nullptr;
  } else if (used < len) {
    // JavaScript keeps the pool alive as long as the table; give back what paths did not use.
    // Shrinking in place rarely fails, and when it does the bigger block is still valid.
    void* smaller = std::realloc(t.pool, used);
    if (smaller != nullptr) t.pool = static_cast<uint8_t*>(smaller);
  }
  *out = std::move(t);
  return true;
}

}  // namespace netsnap
