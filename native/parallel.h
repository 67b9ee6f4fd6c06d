// A bounded set of short-lived worker threads for one sample: the calling thread is worker 0,
// the others are pthreads created for the call and joined before it returns. Pure C++ (no
// Node-API): it runs on the main thread (sample, scanOwners) and on a libuv pool thread
// (sampleAsync). run_tasks() shares the work out through an atomic next-task index; nothing here
// locks on the hot path.
#ifndef NETSNAP_PARALLEL_H_
#define NETSNAP_PARALLEL_H_

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace netsnap {

// Upper bound on the threads of one sample (the work is kernel time in /proc, which stops
// scaling long before this).
constexpr unsigned kMaxThreads = 8;

// The CPUs this process may run on (sched_getaffinity; hardware_concurrency() when that fails),
// capped at kMaxThreads, at least 1.
unsigned hardware_threads();

// Test and benchmark hook: 0 (the default) lets the addon choose; n > 0 makes every sample and
// scanOwners use exactly n workers (1 = the serial path, all work on the calling thread).
void set_thread_override(unsigned n);
unsigned thread_override();

// Runs body(ctx, w) for w = 0 .. threads-1 concurrently: w = 0 on the calling thread, the others
// on new threads (all signals blocked in them, so signals still reach Node's threads). Returns
// when every body has returned. A thread that cannot be created is skipped (its body never
// runs), so bodies must take their work dynamically; worker 0 always runs. Returns how many
// workers ran.
unsigned run_workers(unsigned threads, void (*body)(void* ctx, unsigned worker), void* ctx);

template <typename Fn>
unsigned run_workers(unsigned threads, Fn& fn) {
  return run_workers(
      threads, [](void* ctx, unsigned worker) { (*static_cast<Fn*>(ctx))(worker); }, &fn);
}

// pthread_create() with every signal blocked in the new thread (its mask is inherited), so that
// signals keep going to Node's threads. Returns pthread_create()'s answer.
int create_quiet_thread(pthread_t* id, void* (*main)(void*), void* arg);

// The names the sample's threads carry while they work (what `top -H`, perf and /proc/PID/task/*/comm
// show): the threads run_workers() creates, and the libuv pool thread that runs sampleAsync.
constexpr const char* kWorkerThreadName = "netsnap-worker";
constexpr const char* kSampleThreadName = "netsnap-sample";

// Names the calling thread `name` (at most 15 bytes) until the scope ends, then gives it back the
// name it had: a pool thread that is not ours keeps its own name outside our work.
class ThreadNameScope {
 public:
  explicit ThreadNameScope(const char* name);
  ~ThreadNameScope();
  ThreadNameScope(const ThreadNameScope&) = delete;
  ThreadNameScope& operator=(const ThreadNameScope&) = delete;

 private:
  char saved_[16];
  bool named_ = false;
};

// Read buffers for the helper threads, kept between samples so steady polling reads into
// memory it already has (the calling thread keeps its own thread_local buffer). Taking and
// giving back lock a mutex once per worker per sample; at most kMaxThreads buffers are kept.
std::vector<uint8_t> take_scratch();
void give_scratch(std::vector<uint8_t>&& scratch);

// Runs task(i, worker, buf) once for every i < task_count on `threads` workers (run_workers).
// Workers take the next index from one shared counter, so tasks start in index order: callers
// number them biggest first, and the run ends balanced. Each worker reads into its own buffer:
// worker 0 (the calling thread) into `scratch`, the caller's; the others into one from
// take_scratch(), given back after their last task. A task returns false to stop the run: no
// worker starts another (those under way finish). Then every worker calls done(worker) on its
// own thread. Returns false when a task stopped the run. A task touches only its own output or
// its worker's own state, so nothing here locks.
bool run_tasks(unsigned threads, size_t task_count, std::vector<uint8_t>& scratch,
               bool (*task)(void* ctx, size_t i, unsigned worker, std::vector<uint8_t>& buf),
               void (*done)(void* ctx, unsigned worker), void* ctx);

template <typename Task, typename Done>
bool run_tasks(unsigned threads, size_t task_count, std::vector<uint8_t>& scratch, Task& task, Done& done) {
  struct Fns {
    Task* task;
    Done* done;
  } fns{&task, &done};
  return run_tasks(
      threads, task_count, scratch,
      [](void* ctx, size_t i, unsigned worker, std::vector<uint8_t>& buf) {
        return (*static_cast<Fns*>(ctx)->task)(i, worker, buf);
      },
      [](void* ctx, unsigned worker) { (*static_cast<Fns*>(ctx)->done)(worker); }, &fns);
}

}  // namespace netsnap

#endif  // NETSNAP_PARALLEL_H_
