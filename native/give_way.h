// The threads of a sampleAsync give their CPU to the event loop when they see it waiting for one.
//
// sampleAsync leaves a CPU to the event loop (SampleBaton::leave_a_cpu), but another process can take
// that CPU: a task of higher priority preempts the loop, or the loop wakes on a CPU such a task holds.
// The loop then waits in that CPU's queue while the sample's thread holds the other one, and the
// kernel's periodic balance, which would move it, runs on a busy CPU only every few tens of
// milliseconds. A CPU that goes idle balances at once (the scheduler's new-idle balance) and pulls a
// task that waits elsewhere. So at its loops' steps (a netlink batch, a read of the BPF iterator or
// of a /proc file, an owner task) a thread of the sample looks, at most once a millisecond, at the
// loop's thread: no CPU time since the last look and runnable (state R) means it waits for a CPU.
// Then the sample's thread sleeps, a short pause at a time, until the loop has run or a few
// milliseconds have passed.
//
// Header-only: the dump and reader code that calls give_way() is also built into the fuzz targets,
// which link no sample; there it is a test of a null thread-local pointer.
#ifndef NETSNAP_GIVE_WAY_H_
#define NETSNAP_GIVE_WAY_H_

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace netsnap {

// How often a thread of the sample looks at the loop, the pause it then sleeps at a time, and the
// most it sleeps for one wait.
constexpr int64_t kGiveWayLookNs = 1000 * 1000;
constexpr long kGiveWayPauseNs = 200 * 1000;
constexpr int kGiveWayMostPauses = 20;
// A loop that pausing did not let run (one bound to a CPU another task holds, say) is looked at
// less often, down to once in this long, so that the sample's pauses stay a small part of its time.
constexpr int64_t kGiveWayMostBackOffNs = 64 * kGiveWayLookNs;

inline int64_t give_way_now_ns(clockid_t clock) {
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The thread that runs an event loop (the one constructing this): its CPU-time clock, which
// another thread can read to the nanosecond, and its /proc stat, for its state.
class LoopThread {
 public:
  LoopThread() {
    if (pthread_getcpuclockid(pthread_self(), &clock_) != 0) return;
    stat_fd_ = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
  }
  ~LoopThread() {
    if (stat_fd_ >= 0) close(stat_fd_);
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  bool valid() const { return stat_fd_ >= 0; }
  // Nanoseconds of CPU time the thread has had, or -1.
  int64_t cpu_ns() const { return give_way_now_ns(clock_); }
  // State R: on a CPU or waiting for one. False when the stat cannot be read (the thread ended).
  bool runnable() const {
    char buf[512];
    const ssize_t n = pread(stat_fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    // "pid (comm) S ...": the comm may hold ')' and spaces, so the state follows the last ')'.
    const void* close_paren = memrchr(buf, ')', static_cast<size_t>(n));
    if (close_paren == nullptr) return false;
    const char* p = static_cast<const char*>(close_paren);
    return p + 2 < buf + n && p[1] == ' ' && p[2] == 'R';
  }

 private:
  clockid_t clock_{};
  int stat_fd_ = -1;
};

// What give_way() did, in all samples of the process: looks at a loop that had had no CPU time
// (waits seen), and the pauses slept for them. Read by the test hook giveWayCounts().
struct GiveWayTally {
  std::atomic<uint64_t> waits{0};
  std::atomic<uint64_t> pauses{0};
};
inline GiveWayTally g_give_way_counts;

// This thread's loop to give way to (null: none) and its last look.
struct GiveWayState {
  const LoopThread* loop = nullptr;
  int64_t next_look_ns = 0;
  int64_t loop_cpu_ns = -1;
  int64_t back_off_ns = kGiveWayLookNs;  // doubles while pausing does not let the loop run
};
inline thread_local GiveWayState tl_give_way;

// The loop this thread gives way to (null: none), e.g. to hand to a new worker thread.
inline const LoopThread* give_way_loop() { return tl_give_way.loop; }

// Gives way to `loop` on this thread while in scope (null or invalid: to none).
class GiveWayScope {
 public:
  explicit GiveWayScope(const LoopThread* loop) : saved_(tl_give_way) {
    tl_give_way = GiveWayState();
    if (loop != nullptr && loop->valid()) tl_give_way.loop = loop;
  }
  ~GiveWayScope() { tl_give_way = saved_; }
  GiveWayScope(const GiveWayScope&) = delete;
  GiveWayScope& operator=(const GiveWayScope&) = delete;

 private:
  GiveWayState saved_;
};

inline void give_way_look(GiveWayState& s, int64_t now) {
  s.next_look_ns = now + s.back_off_ns;
  const int64_t cpu = s.loop->cpu_ns();
  if (cpu < 0) {
    s.loop = nullptr;  // the clock is gone with its thread: nothing to give way to
    return;
  }
  const int64_t before = s.loop_cpu_ns;
  s.loop_cpu_ns = cpu;
  if (cpu != before || !s.loop->runnable()) return;
  g_give_way_counts.waits.fetch_add(1, std::memory_order_relaxed);
  const timespec pause{0, kGiveWayPauseNs};
  bool ran = false;
  for (int i = 0; i < kGiveWayMostPauses && !ran; i++) {
    nanosleep(&pause, nullptr);
    g_give_way_counts.pauses.fetch_add(1, std::memory_order_relaxed);
    const int64_t after = s.loop->cpu_ns();
    ran = after != cpu;
    s.loop_cpu_ns = after;
  }
  s.back_off_ns = ran ? kGiveWayLookNs : std::min(2 * s.back_off_ns, kGiveWayMostBackOffNs);
  s.next_look_ns = give_way_now_ns(CLOCK_MONOTONIC) + s.back_off_ns;
}

// At a step of a sample's loop: gives the CPU to the event loop if it waits for one (see above).
inline void give_way() {
  GiveWayState& s = tl_give_way;
  if (s.loop == nullptr) return;
  const int64_t now = give_way_now_ns(CLOCK_MONOTONIC);
  if (now < s.next_look_ns) return;
  give_way_look(s, now);
}

}  // namespace netsnap

#endif  // NETSNAP_GIVE_WAY_H_
