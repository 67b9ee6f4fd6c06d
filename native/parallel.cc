#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include "give_way.h"

namespace netsnap {
namespace {

std::atomic<unsigned> g_override{0};

std::mutex g_scratch_mutex;
std::vector<std::vector<uint8_t>>* g_scratch_pool = nullptr;  // never destroyed: no exit-order issues

struct Start {
  void (*body)(void*, unsigned);
  void* ctx;
  unsigned worker;
  const LoopThread* loop;  // the creating thread's give_way_loop()
};

void* thread_main(void* arg) {
  const Start* s = static_cast<const Start*>(arg);
  const GiveWayScope give_way_to(s->loop);
  pthread_setname_np(pthread_self(), kWorkerThreadName);
  s->body(s->ctx, s->worker);
  return nullptr;
}

}  // namespace

unsigned hardware_threads() {
  unsigned n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = static_cast<unsigned>(CPU_COUNT(&set));
  if (n == 0) n = std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  return n < kMaxThreads ? n : kMaxThreads;
}

ThreadNameScope::ThreadNameScope(const char* name) {
  saved_[0] = '\0';
  named_ = pthread_getname_np(pthread_self(), saved_, sizeof saved_) == 0 && pthread_setname_np(pthread_self(), name) == 0;
}

ThreadNameScope::~ThreadNameScope() {
  if (named_) pthread_setname_np(pthread_self(), saved_);
}

void set_thread_override(unsigned n) { g_override.store(n, std::memory_order_relaxed); }
unsigned thread_override() { return g_override.load(std::memory_order_relaxed); }

int create_quiet_thread(pthread_t* id, void* (*main)(void*), void* arg) {
  sigset_t all, old;
  sigfillset(&all);
  const bool masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
  const int rc = pthread_create(id, nullptr, main, arg);
  if (masked) pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return rc;
}

unsigned run_workers(unsigned threads, void (*body)(void* ctx, unsigned worker), void* ctx) {
  if (threads <= 1) {
    body(ctx, 0);
    return 1;
  }
  std::vector<pthread_t> ids(threads - 1);
  std::vector<Start> starts(threads - 1);
  std::vector<bool> created(threads - 1, false);
  unsigned ran = 1;
  for (unsigned i = 0; i + 1 < threads; i++) {
    starts[i] = Start{body, ctx, i + 1, give_way_loop()};
    if (create_quiet_thread(&ids[i], thread_main, &starts[i]) == 0) {
      created[i] = true;
      ran++;
    }
  }
  body(ctx, 0);
  for (unsigned i = 0; i + 1 < threads; i++) {
    if (created[i]) pthread_join(ids[i], nullptr);
  }
  return ran;
}

std::vector<uint8_t> take_scratch() {
  std::lock_guard<std::mutex> lock(g_scratch_mutex);
  if (g_scratch_pool == nullptr || g_scratch_pool->empty()) return std::vector<uint8_t>();
  std::vector<uint8_t> s = std::move(g_scratch_pool->back());
  g_scratch_pool->pop_back();
  return s;
}

void give_scratch(std::vector<uint8_t>&& scratch) {
  std::lock_guard<std::mutex> lock(g_scratch_mutex);
  if (g_scratch_pool == nullptr) g_scratch_pool = new std::vector<std::vector<uint8_t>>();
  if (g_scratch_pool->size() < kMaxThreads) g_scratch_pool->push_back(std::move(scratch));
  // Otherwise `scratch` is freed by its owner when it goes out of scope.
}

bool run_tasks(unsigned threads, size_t task_count, std::vector<uint8_t>& scratch,
               bool (*task)(void* ctx, size_t i, unsigned worker, std::vector<uint8_t>& buf),
               void (*done)(void* ctx, unsigned worker), void* ctx) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stopped{false};
  auto body = [&](unsigned w) {
    std::vector<uint8_t> own;
    if (w != 0) own = take_scratch();
    std::vector<uint8_t>& buf = w == 0 ? scratch : own;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < task_count;) {
      if (stopped.load(std::memory_order_relaxed)) break;
      give_way();
      if (!task(ctx, i, w, buf)) stopped.store(true, std::memory_order_relaxed);
    }
    done(ctx, w);
    if (w != 0) give_scratch(std::move(own));
  };
  run_workers(threads, body);
  return !stopped.load(std::memory_order_relaxed);
}

}  // namespace netsnap
