// native/recycle.h on its own: which blocks the pool keeps and hands out again, its cap, expiry,
// and many threads allocating and freeing at once with the contents checked. Built and run by
// test/unit/recycle-pool.test.ts; prints one "name value" line per check, then "ok".
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "recycle.h"

using netsnap::Column;
using netsnap::RecyclePool;

static int failures = 0;
#define CHECK(name, cond)                                  \
  do {                                                     \
    const bool ok_ = (cond);                               \
    std::printf("%s %s\n", name, ok_ ? "pass" : "FAIL");   \
    if (!ok_) failures++;                                  \
  } while (0)

int main() {
  RecyclePool& pool = RecyclePool::instance();
  const size_t MB = 1u << 20;

  // A freed big block comes back for a request it fits (the same size, or up to 1.5 times smaller).
  void* a = pool.allocate(4 * MB);
  std::memset(a, 0xab, 4 * MB);
  pool.release(a, 4 * MB);
  CHECK("kept", pool.stats().blocks == 1 && pool.stats().pooled_bytes == 4 * MB);
  void* b = pool.allocate(3 * MB);
  CHECK("reused-when-it-fits", b == a && pool.stats().reused == 1 && pool.stats().blocks == 0);
  pool.release(b, 3 * MB);  // kept as the size asked for
  CHECK("kept-as-asked", pool.stats().pooled_bytes == 3 * MB);
  void* c = pool.allocate(1 * MB);  // 3 MB is more than 1.5 x 1 MB: not this one
  CHECK("not-reused-when-too-big", c != a && pool.stats().blocks == 1);
  void* d = pool.allocate(4 * MB);  // bigger than the block: not it either
  CHECK("not-reused-when-too-small", d != a);
  pool.release(c, 1 * MB);
  pool.release(d, 4 * MB);
  pool.drain();
  CHECK("drained", pool.stats().blocks == 0 && pool.stats().pooled_bytes == 0);

  // Small blocks are malloc's business.
  void* s = pool.allocate(1000);
  pool.release(s, 1000);
  CHECK("small-not-kept", pool.stats().blocks == 0);

  // The cap: never more than kRecycleCap bytes kept; the oldest leave first.
  std::vector<void*> big;
  for (int k = 0; k < 20; k++) big.push_back(pool.allocate(16 * MB));
  for (void* p : big) pool.release(p, 16 * MB);
  CHECK("capped", pool.stats().pooled_bytes <= netsnap::kRecycleCap && pool.stats().pooled_bytes >= netsnap::kRecycleCap - 16 * MB);
  pool.drain();

  // Expiry (built with NETSNAP_RECYCLE_SECONDS=1): a block freed over a second ago is not kept.
  void* e = pool.allocate(2 * MB);
  pool.release(e, 2 * MB);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100 * NETSNAP_RECYCLE_SECONDS));
  void* f = pool.allocate(512 * 1024);  // any call expires old blocks
  CHECK("expired", pool.stats().blocks == 0);
  pool.release(f, 512 * 1024);
  pool.drain();

  // Columns: a vector that grows through the pool keeps its contents.
  {
    Column<uint32_t> v;
    for (uint32_t k = 0; k < 3'000'000; k++) v.push_back(k * 7u);
    bool same = true;
    for (uint32_t k = 0; k < v.size(); k++) same = same && v[k] == k * 7u;
    CHECK("column-contents", same && v.size() == 3'000'000);
  }

  // Threads: each fills its blocks with its own pattern and checks them before freeing.
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([t, &bad] {
      RecyclePool& p = RecyclePool::instance();
      for (int k = 0; k < 400; k++) {
        const size_t bytes = (256u << 10) * (1 + (k + t) % 5);
        auto* m = static_cast<uint8_t*>(p.allocate(bytes));
        std::memset(m, t + 1, bytes);
        for (size_t i = 0; i < bytes; i += 4093) bad[t] += m[i] != t + 1;
        p.release(m, bytes);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK("threads", bad[0] + bad[1] + bad[2] + bad[3] == 0 && pool.stats().reused > 100);
  pool.drain();
  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
