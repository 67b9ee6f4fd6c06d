// Big column memory, recycled. A sampler's tick at 100,000 sockets with tcp_info allocates tens of
// megabytes of columns (the tcp_info fields, cookies, ...) that JavaScript frees a tick or two later;
// from malloc that is fresh mmap'd memory every tick, whose pages the kernel must fault in and clear
// again (in a profile of a sampler at that size, the biggest single cost after the dump). Blocks
// of at least kRecycleMin bytes are therefore kept when freed (up to kRecycleCap bytes in all, none
// older than kRecycleSeconds) and handed out again to a request they fit well (between the size
// asked and 1.5 times it). Pure C++ (no Node-API); thread-safe; header-only so that every
// harness that builds a table gets it without a build change.
//
// Under AddressSanitizer the pool is off (every block goes back to malloc), so that a use after
// free of a column stays visible to it.
#ifndef NETSNAP_RECYCLE_H_
#define NETSNAP_RECYCLE_H_

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace netsnap {

constexpr size_t kRecycleMin = 256u << 10;
constexpr size_t kRecycleCap = 192u << 20;
#ifndef NETSNAP_RECYCLE_SECONDS
#define NETSNAP_RECYCLE_SECONDS 10
#endif
constexpr int kRecycleSeconds = NETSNAP_RECYCLE_SECONDS;

#if defined(__SANITIZE_ADDRESS__)
#define NETSNAP_RECYCLE_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETSNAP_RECYCLE_ENABLED 0
#endif
#endif
#ifndef NETSNAP_RECYCLE_ENABLED
#define NETSNAP_RECYCLE_ENABLED 1
#endif

struct RecycleStats {
  size_t pooled_bytes = 0;
  size_t blocks = 0;
  size_t reused = 0;  // allocations served from the pool since the start
};

class RecyclePool {
 public:
  static RecyclePool& instance() {
    // Never destroyed: finalizers of JavaScript buffers may run during the process's exit.
    static RecyclePool* pool = new RecyclePool();
    return *pool;
  }

  void* allocate(size_t bytes) {
    if (NETSNAP_RECYCLE_ENABLED && bytes >= kRecycleMin) {
      std::lock_guard<std::mutex> lock(mu_);
      expire();
      size_t best = blocks_.size();
      for (size_t k = 0; k < blocks_.size(); k++) {
        const size_t have = blocks_[k].bytes;
        if (have >= bytes && have <= bytes + bytes / 2 && (best == blocks_.size() || have < blocks_[best].bytes)) best = k;
      }
      if (best < blocks_.size()) {
        void* p = blocks_[best].p;
        pooled_ -= blocks_[best].bytes;
        // Erased in place: blocks_ stays in freeing order, which expire() and the cap rely on.
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(best));
        reused_++;
        return p;
      }
    }
    return std::malloc(bytes == 0 ? 1 : bytes);
  }

  // `bytes` is what was asked for the block (a reused block may be bigger: it is kept as this size).
  void release(void* p, size_t bytes) {
    if (p == nullptr) return;
    if (NETSNAP_RECYCLE_ENABLED && bytes >= kRecycleMin) {
      std::lock_guard<std::mutex> lock(mu_);
      expire();
      // Make room: the oldest blocks go first.
      while (!blocks_.empty() && pooled_ + bytes > kRecycleCap) {
        std::free(blocks_.front().p);
        pooled_ -= blocks_.front().bytes;
        blocks_.erase(blocks_.begin());
      }
      if (pooled_ + bytes <= kRecycleCap && blocks_.size() < kMaxBlocks) {
        blocks_.push_back(Block{p, bytes, now()});
        pooled_ += bytes;
        return;
      }
    }
    std::free(p);
  }

  RecycleStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return RecycleStats{pooled_, blocks_.size(), reused_};
  }

  // Frees every pooled block (tests; and a process that is done sampling may call it).
  void drain() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Block& b : blocks_) std::free(b.p);
    blocks_.clear();
    pooled_ = 0;
  }

 private:
  struct Block {
    void* p;
    size_t bytes;
    std::chrono::steady_clock::time_point freed;
  };
  static constexpr size_t kMaxBlocks = 256;

  static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

  // Blocks freed more than kRecycleSeconds ago go back to the system (blocks_ is in freeing order).
  void expire() {
    const auto limit = now() - std::chrono::seconds(kRecycleSeconds);
    size_t k = 0;
    while (k < blocks_.size() && blocks_[k].freed < limit) {
      std::free(blocks_[k].p);
      pooled_ -= blocks_[k].bytes;
      k++;
    }
    if (k > 0) blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(k));
  }

  std::mutex mu_;
  std::vector<Block> blocks_;
  size_t pooled_ = 0;
  size_t reused_ = 0;
};

// A std::allocator that takes big blocks from the pool. The addon is built without exceptions: a
// failed allocation ends the process as std::vector's would (std::bad_alloc is not thrown).
template <typename T>
struct RecycledAllocator {
  using value_type = T;
  RecycledAllocator() = default;
  template <typename U>
  RecycledAllocator(const RecycledAllocator<U>&) {}  // NOLINT(runtime/explicit)
  T* allocate(size_t n) {
    void* p = RecyclePool::instance().allocate(n * sizeof(T));
    if (p == nullptr) std::abort();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) { RecyclePool::instance().release(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const RecycledAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const RecycledAllocator<U>&) const {
    return false;
  }
};

// The per-row columns of a table that go to JavaScript.
template <typename T>
using Column = std::vector<T, RecycledAllocator<T>>;

}  // namespace netsnap

#endif  // NETSNAP_RECYCLE_H_
