// The tables of a dump of both TCP families (dump_inet_pair) as another thread reads them while
// the dump still fills them: the rows of `netsnap -tanp`, formatted on the CPU the owner scan has
// finished with, while the kernel walks its hash tables on the other (sample.cc).
//
// The dump never waits for the reader, except while its table's buffer moves: after each batch of
// records it stores how many rows each table holds (an atomic store), moves a buffer only under
// `lock`, and closes the feed (under `lock`) before it changes a published row (drop_duplicates),
// hands its tables on or frees them. The reader reads published rows only under `lock`, and only
// until `closed`.
#ifndef NETSNAP_ROW_FEED_H_
#define NETSNAP_ROW_FEED_H_

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace netsnap {

struct RowFeed {
  std::mutex lock;
  // Under `lock`: the dump is over (or failed); the reader reads no more.
  bool closed = false;
  // Under `lock`: each table's columns (layout.h's inet layout for capacity[k] rows); k = 0 for
  // IPv4, 1 for IPv6.
  const uint8_t* buffer[2] = {nullptr, nullptr};
  size_t capacity[2] = {0, 0};
  // Rows stored in each table, final unless `intact` ends false.
  std::atomic<size_t> published[2] = {{0}, {0}};
  // Set by the dump once closed, read after both threads are joined: the dump succeeded and removed
  // no row it had published (a socket listed twice is removed, see drop_duplicates).
  bool intact = false;
  // Rows the reader has formatted of each table (stored after each chunk).
  std::atomic<size_t> formatted[2] = {{0}, {0}};
  // A test hook (setFeedLockstep): after each publish the dump waits until the reader has formatted
  // everything published, for at most 5 s in all (the reader may never start), so that a test's
  // texts cover every row whatever the scheduler does. Set before the dump starts.
  bool lockstep = false;

  void set_table(unsigned k, const uint8_t* b, size_t cap) {
    buffer[k] = b;
    capacity[k] = cap;
  }
  void publish(size_t rows4, size_t rows6) {
    published[0].store(rows4, std::memory_order_release);
    published[1].store(rows6, std::memory_order_release);
  }
  void close() {
    std::lock_guard<std::mutex> g(lock);
    closed = true;
  }
  // The dump's side of `lockstep`, after publish(): nothing without it.
  void wait_in_lockstep() {
    if (!lockstep) return;
    using Clock = std::chrono::steady_clock;
    if (lockstep_until == Clock::time_point()) lockstep_until = Clock::now() + std::chrono::seconds(5);
    for (unsigned k = 0; k < 2; k++) {
      while (formatted[k].load(std::memory_order_acquire) < published[k].load(std::memory_order_relaxed) &&
             Clock::now() < lockstep_until) {
        const timespec pause{0, 50 * 1000};
        nanosleep(&pause, nullptr);
      }
    }
  }

 private:
  std::chrono::steady_clock::time_point lockstep_until{};  // the dump's thread alone
};

}  // namespace netsnap

#endif  // NETSNAP_ROW_FEED_H_
