// The CUDA caching allocator (tensor/cuda_allocator.cpp): block reuse, splitting and merging in
// the small and large pools, exact statistics, peak reset, streams kept apart, caching off,
// poisoning, out-of-memory messages and concurrent use. Most tests use their own allocator, so
// their numbers are exact whatever the process allocator holds; the rest go through tensors.
#include "tensor/cuda_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cuda/device_api.h"
#include "tensor/factory.h"
#include "tensor/storage.h"
#include "tests/cuda_test_util.h"
#include "tests/test_util.h"

#if defined(EMBER_CUDA_BACKEND)

namespace ember {
namespace {

using namespace ::ember::testing;  // NOLINT: the shared CUDA test helpers
using CudaAllocator = CudaTest;
using CudaAllocatorChild = CudaTest;

constexpr size_t kKiB = size_t{1} << 10;
constexpr size_t kMiB = size_t{1} << 20;

char* at(void* p, size_t offset) { return static_cast<char*>(p) + offset; }

// The bytes of device memory [p, p + n) as seen by the host.
std::vector<unsigned char> read_back(const void* p, size_t n) {
  std::vector<unsigned char> out(n);
  cuda::memcpy_d2h(out.data(), p, n);
  return out;
}

bool all_bytes_are(const std::vector<unsigned char>& bytes, unsigned char value) {
  return std::all_of(bytes.begin(), bytes.end(), [&](unsigned char b) { return b == value; });
}

TEST_F(CudaAllocator, ReusesAFreedBlockWithoutANewSegment) {
  CudaCachingAllocator a;
  void* p = a.allocate(4000, 0);  // rounds to 4096, cut from a 2 MiB small segment
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u);
  CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.allocated, 4096);
  EXPECT_EQ(s.reserved, int64_t(2 * kMiB));
  EXPECT_EQ(s.segments, 1);
  EXPECT_EQ(s.allocations, 1);
  EXPECT_EQ(s.cache_hits, 0);
  a.release(p);
  s = a.stats();
  EXPECT_EQ(s.allocated, 0);
  EXPECT_EQ(s.reserved, int64_t(2 * kMiB));  // kept for reuse
  void* q = a.allocate(3585, 0);             // also 4096
  EXPECT_EQ(q, p);
  s = a.stats();
  EXPECT_EQ(s.allocated, 4096);
  EXPECT_EQ(s.reserved, int64_t(2 * kMiB));
  EXPECT_EQ(s.segments, 1);
  EXPECT_EQ(s.allocations, 2);
  EXPECT_EQ(s.cache_hits, 1);
  a.release(q);
  EXPECT_EQ(a.allocate(0, 0), nullptr);
  a.release(nullptr);
  EXPECT_EQ(a.stats().allocations, 2);
}

TEST_F(CudaAllocator, SmallPoolSplitsASegmentAndMergesItBack) {
  CudaCachingAllocator a;
  void* x = a.allocate(1 * kMiB, 0);  // the largest small request: half a segment
  void* y = a.allocate(1 * kMiB, 0);  // the other half
  EXPECT_EQ(at(x, kMiB), y);
  EXPECT_EQ(a.stats().segments, 1);
  EXPECT_EQ(a.stats().reserved, int64_t(2 * kMiB));
  EXPECT_EQ(a.stats().allocated, int64_t(2 * kMiB));
  a.release(x);
  a.release(y);  // merges with its free neighbour before it
  // Whole again: a request takes the segment's start, and emptying the cache returns it.
  void* z = a.allocate(512 * kKiB, 0);
  EXPECT_EQ(z, x);
  EXPECT_EQ(a.stats().segments, 1);
  a.release(z);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  EXPECT_EQ(a.stats().segments, 0);

  // Three blocks and the rest; the middle one, freed last, merges both ways.
  void* b0 = a.allocate(512 * kKiB, 0);
  void* b1 = a.allocate(512 * kKiB, 0);
  void* b2 = a.allocate(512 * kKiB, 0);
  EXPECT_EQ(at(b0, 512 * kKiB), b1);
  EXPECT_EQ(at(b1, 512 * kKiB), b2);
  EXPECT_EQ(a.stats().segments, 1);
  a.release(b0);
  a.release(b2);
  a.empty_cache();  // the segment still holds b1: nothing goes back
  EXPECT_EQ(a.stats().reserved, int64_t(2 * kMiB));
  a.release(b1);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  EXPECT_EQ(a.stats().segments, 0);
}

TEST_F(CudaAllocator, LargePoolSplitsAndAFullSizeRequestReusesTheMergedSegment) {
  CudaCachingAllocator a;
  void* whole = a.allocate(8 * kMiB, 0);
  EXPECT_EQ(a.stats().reserved, int64_t(8 * kMiB));
  a.release(whole);
  void* lo = a.allocate(4 * kMiB, 0);  // the cached 8 MiB block, split: 4 MiB left over
  void* hi = a.allocate(4 * kMiB, 0);  // the left-over half
  EXPECT_EQ(lo, whole);
  EXPECT_EQ(hi, at(whole, 4 * kMiB));
  EXPECT_EQ(a.stats().reserved, int64_t(8 * kMiB));
  EXPECT_EQ(a.stats().segments, 1);
  EXPECT_EQ(a.stats().allocated, int64_t(8 * kMiB));
  a.release(hi);
  a.release(lo);  // merges with its free neighbour after it
  void* again = a.allocate(8 * kMiB, 0);
  EXPECT_EQ(again, whole);
  const CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.reserved, int64_t(8 * kMiB));  // no new device allocation
  EXPECT_EQ(s.segments, 1);
  EXPECT_EQ(s.allocations, 4);
  EXPECT_EQ(s.cache_hits, 3);
  a.release(again);
}

TEST_F(CudaAllocator, SmallAndLargeRequestsUseSeparatePools) {
  CudaCachingAllocator a;
  void* small = a.allocate(1 * kMiB, 0);      // small pool: a 2 MiB segment, 1 MiB left free
  void* large = a.allocate(1 * kMiB + 1, 0);  // large pool: 1 MiB + 512 in a 2 MiB segment
  CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.segments, 2);
  EXPECT_EQ(s.reserved, int64_t(4 * kMiB));
  // The large block's rest (under 1 MiB) is not worth a block of its own: it stays allocated.
  EXPECT_EQ(s.allocated, int64_t(3 * kMiB));
  a.release(large);
  // A small request takes the small segment's free half, not the cached large block.
  void* tiny = a.allocate(512, 0);
  EXPECT_EQ(tiny, at(small, kMiB));
  EXPECT_EQ(a.stats().reserved, int64_t(4 * kMiB));
  // Large segments are the request rounded up to 2 MiB.
  void* big = a.allocate(11 * kMiB, 0);
  EXPECT_EQ(a.stats().reserved, int64_t(16 * kMiB));
  a.release(big);
  // 3 MiB fits only the 12 MiB block: split, 9 MiB stays cached.
  void* three = a.allocate(3 * kMiB, 0);
  EXPECT_EQ(three, big);
  EXPECT_EQ(a.stats().allocated, int64_t(1 * kMiB + 512 + 3 * kMiB));
  a.release(three);
  // 11 MiB + 1 byte takes the merged 12 MiB block whole: the rest is under 1 MiB.
  const int64_t before = a.stats().allocated;
  void* nearly = a.allocate(11 * kMiB + 1, 0);
  EXPECT_EQ(nearly, big);
  EXPECT_EQ(a.stats().allocated - before, int64_t(12 * kMiB));
  EXPECT_EQ(a.stats().reserved, int64_t(16 * kMiB));
  a.release(nearly);
  a.release(small);
  a.release(tiny);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  EXPECT_EQ(a.stats().segments, 0);
}

TEST_F(CudaAllocator, StatsCountEveryStepExactly) {
  CudaCachingAllocator a;
  void* p1 = a.allocate(100, 0);         // 512
  void* p2 = a.allocate(3 * kMiB, 0);    // 4 MiB segment, 1 MiB rest not split: 4 MiB
  void* p3 = a.allocate(200 * kKiB, 0);  // 200 KiB, same small segment as p1
  CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.allocated, int64_t(512 + 4 * kMiB + 200 * kKiB));
  EXPECT_EQ(s.peak, s.allocated);
  EXPECT_EQ(s.reserved, int64_t(2 * kMiB + 4 * kMiB));
  EXPECT_EQ(s.segments, 2);
  EXPECT_EQ(s.allocations, 3);
  EXPECT_EQ(s.cache_hits, 1);  // p3 came from the small segment's free rest
  a.release(p2);
  s = a.stats();
  EXPECT_EQ(s.allocated, int64_t(512 + 200 * kKiB));
  EXPECT_EQ(s.peak, int64_t(512 + 4 * kMiB + 200 * kKiB));
  EXPECT_EQ(s.reserved, int64_t(6 * kMiB));
  a.empty_cache();  // returns p2's segment, keeps the one p1 and p3 live in
  s = a.stats();
  EXPECT_EQ(s.reserved, int64_t(2 * kMiB));
  EXPECT_EQ(s.segments, 1);
  a.release(p1);
  a.release(p3);
  s = a.stats();
  EXPECT_EQ(s.allocated, 0);
  EXPECT_EQ(s.allocations, 3);
}

TEST_F(CudaAllocator, PeakResetsToWhatIsAllocated) {
  CudaCachingAllocator a;
  void* big = a.allocate(1 * kMiB, 0);
  void* keep = a.allocate(1000, 0);  // 1024
  a.release(big);
  EXPECT_EQ(a.stats().peak, int64_t(1 * kMiB + 1024));
  a.reset_peak();
  EXPECT_EQ(a.stats().peak, 1024);
  void* more = a.allocate(2048, 0);
  EXPECT_EQ(a.stats().peak, 1024 + 2048);
  a.release(more);
  a.release(keep);
  EXPECT_EQ(a.stats().peak, 1024 + 2048);
  a.reset_peak();
  EXPECT_EQ(a.stats().peak, 0);
}

TEST_F(CudaAllocator, BlocksFreedOnOneStreamAreNotHandedToAnother) {
  CudaCachingAllocator a;
  cuda::Stream s = cuda::stream_create();
  void* on_default = a.allocate(4096, 0);
  a.release(on_default);
  void* on_s = a.allocate(4096, 0, s);  // not the cached default-stream segment
  EXPECT_NE(on_s, on_default);
  EXPECT_EQ(a.stats().segments, 2);
  EXPECT_EQ(a.stats().cache_hits, 0);
  a.release(on_s);
  EXPECT_EQ(a.allocate(4096, 0, s), on_s);  // same stream: reused
  EXPECT_EQ(a.allocate(4096, 0), on_default);
  EXPECT_EQ(a.stats().segments, 2);
  // The large pool keeps streams apart too.
  void* large = a.allocate(4 * kMiB, 0, s);
  a.release(large);
  void* other = a.allocate(4 * kMiB, 0);
  EXPECT_NE(other, large);
  EXPECT_EQ(a.stats().segments, 4);
  EXPECT_EQ(a.allocate(4 * kMiB, 0, s), large);
  a.release(large);
  a.release(other);
  a.release(on_s);
  a.release(on_default);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  cuda::stream_destroy(s);
}

TEST_F(CudaAllocator, CachingOffFreesEveryBlockAtOnce) {
  CudaAllocatorOptions off;
  off.caching = false;
  CudaCachingAllocator a(off);
  EXPECT_FALSE(a.caching());
  void* p = a.allocate(1000, 0);  // exactly the request: no rounding, no segment
  CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.allocated, 1000);
  EXPECT_EQ(s.reserved, 1000);
  EXPECT_EQ(s.segments, 1);
  a.release(p);
  s = a.stats();
  EXPECT_EQ(s.allocated, 0);
  EXPECT_EQ(s.reserved, 0);
  EXPECT_EQ(s.segments, 0);
  void* q = a.allocate(1000, 0);
  void* r = a.allocate(1000, 0);
  EXPECT_EQ(a.stats().reserved, 2000);
  EXPECT_EQ(a.stats().cache_hits, 0);
  EXPECT_EQ(a.stats().allocations, 3);
  EXPECT_EQ(a.stats().peak, 2000);
  a.release(q);
  a.release(r);
  EXPECT_EQ(a.stats().reserved, 0);
}

TEST_F(CudaAllocator, CachingOffFromTheEnvironment) {
  if (std::getenv("EMBER_CUDA_CACHING") != nullptr) GTEST_SKIP() << "EMBER_CUDA_CACHING is set";
  EXPECT_TRUE(cuda_caching_allocator().caching());
  // The setting is read once per process, so a child process of this binary runs the check.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string cmd = "EMBER_CUDA_CACHING=0 '" + self + "'" +
                          " --gtest_filter=CudaAllocatorChild.* --gtest_also_run_disabled_tests"
                          " > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// Run only by CachingOffFromTheEnvironment, in a child with EMBER_CUDA_CACHING=0.
TEST_F(CudaAllocatorChild, DISABLED_NothingIsCached) {
  ASSERT_STREQ(std::getenv("EMBER_CUDA_CACHING"), "0");
  EXPECT_FALSE(cuda_caching_allocator().caching());
  const CudaMemoryStats before = cuda_caching_allocator().stats();
  {
    Tensor t = empty(Shape{1000}, DType::f32, kCuda);
    EXPECT_EQ(cuda_memory_stats().reserved - before.reserved, 4000);
  }
  { Tensor t = empty(Shape{1000}, DType::f32, kCuda); }
  const CudaMemoryStats after = cuda_caching_allocator().stats();
  EXPECT_EQ(after.reserved, before.reserved);
  EXPECT_EQ(after.segments, before.segments);
  EXPECT_EQ(after.allocations - before.allocations, 2);
  EXPECT_EQ(after.cache_hits, before.cache_hits);
}

TEST_F(CudaAllocator, PoisonFillsNewAndReusedBlocks) {
  CudaAllocatorOptions poison;
  poison.poison = true;
  CudaCachingAllocator a(poison);
  void* p = a.allocate(3000, 0);
  EXPECT_TRUE(all_bytes_are(read_back(p, 3000), 0xFF));
  cuda::device_memset(p, 0, 3000);
  a.release(p);
  void* q = a.allocate(2000, 0);  // the same block, poisoned again
  ASSERT_EQ(q, p);
  EXPECT_TRUE(all_bytes_are(read_back(q, 2000), 0xFF));
  a.release(q);
}

TEST_F(CudaAllocator, TensorsPoisonedUnderTheEnvironment) {
  if (std::getenv("EMBER_DEBUG_POISON") == nullptr) GTEST_SKIP() << "EMBER_DEBUG_POISON unset";
  const Tensor t = empty(Shape{64}, DType::f32, kCuda);
  for (float v : t.to_vector<float>()) EXPECT_TRUE(std::isnan(v));
}

TEST_F(CudaAllocator, TensorsGoThroughTheProcessAllocator) {
  if (!cuda_caching_allocator().caching()) GTEST_SKIP() << "EMBER_CUDA_CACHING=0: no reuse";
  empty_cuda_cache();
  reset_cuda_peak();
  const CudaMemoryStats before = cuda_caching_allocator().stats();
  const void* first = nullptr;
  {
    Tensor t = empty(Shape{1000}, DType::f32, kCuda);  // 4000 bytes -> a 4096-byte block
    first = t.data_ptr();
    const MemoryStats s = cuda_memory_stats();
    EXPECT_EQ(s.allocated - before.allocated, 4096);
    EXPECT_EQ(s.allocations - before.allocations, 1);
    EXPECT_GE(s.reserved, s.allocated);
    EXPECT_EQ(s.peak, s.allocated);
  }
  const CudaMemoryStats freed = cuda_caching_allocator().stats();
  EXPECT_EQ(freed.allocated, before.allocated);
  EXPECT_GE(freed.reserved, before.reserved);            // cached, not returned
  Tensor again = empty(Shape{1010}, DType::f32, kCuda);  // rounds to 4096 too: the same block
  EXPECT_EQ(again.data_ptr(), first);
  const CudaMemoryStats now = cuda_caching_allocator().stats();
  EXPECT_EQ(now.reserved, freed.reserved);
  EXPECT_EQ(now.cache_hits - freed.cache_hits, 1);
  const MemoryStats sliced = cuda_memory_stats();
  EXPECT_EQ(sliced.allocated, now.allocated);
  EXPECT_EQ(sliced.reserved, now.reserved);
  EXPECT_EQ(sliced.peak, now.peak);
  EXPECT_EQ(sliced.allocations, now.allocations);
}

TEST_F(CudaAllocator, OutOfMemoryStatesRequestFreeBytesAndPeak) {
  const Tensor held = empty(Shape{1 << 16}, DType::f32, kCuda);
  const MemoryStats s = cuda_memory_stats();
  const int64_t petabyte = int64_t{1} << 50;  // far beyond any device
  const std::string msg =
      message_of<OutOfMemoryError>([&] { empty(Shape{petabyte}, DType::u8, kCuda); });
  EXPECT_NE(msg.find("cuda allocator: out of memory allocating 1125899906842624 bytes on cuda:0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("; the device has "), std::string::npos) << msg;
  EXPECT_NE(msg.find(" bytes free"), std::string::npos) << msg;
  EXPECT_NE(msg.find(str(s.allocated, " bytes allocated")), std::string::npos) << msg;
  EXPECT_NE(msg.find(str("(peak ", s.peak, " bytes allocated)")), std::string::npos) << msg;
  // The allocator is usable afterwards.
  EXPECT_EQ(full(Shape{3}, 1.0, DType::f32, kCuda).to_vector<float>(), std::vector<float>(3, 1.0f));
}

TEST_F(CudaAllocator, OutOfMemoryReturnsTheCacheBeforeGivingUp) {
  CudaCachingAllocator a;
  void* live = a.allocate(4096, 0);
  void* cached = a.allocate(6 * kMiB, 0);
  a.release(cached);
  EXPECT_EQ(a.stats().reserved, int64_t(8 * kMiB));
  const std::string msg = message_of<OutOfMemoryError>([&] { a.allocate(size_t{1} << 50, 0); });
  EXPECT_NE(msg.find("out of memory allocating 1125899906842624 bytes on cuda:0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("4096 bytes allocated and 2097152 bytes reserved (peak 6295552 bytes "
                     "allocated) after returning its cache"),
            std::string::npos)
      << msg;
  // The unused 6 MiB segment went back; the one holding `live` stays.
  EXPECT_EQ(a.stats().reserved, int64_t(2 * kMiB));
  EXPECT_EQ(a.stats().segments, 1);
  // A request no size arithmetic could hold fails the same way.
  EXPECT_THROW(a.allocate(SIZE_MAX, 0), OutOfMemoryError);
  EXPECT_EQ(a.stats().allocations, 2);
  a.release(live);
}

TEST_F(CudaAllocator, RejectsBadDevicesAndPointers) {
  CudaCachingAllocator a;
  EXPECT_THROW_MSG(a.allocate(16, 5), DeviceError, "cannot allocate on cuda:5");
  EXPECT_THROW_MSG(a.allocate(0, -1), DeviceError, "cannot allocate on cuda:-1");
  int host = 0;
  EXPECT_THROW_MSG(a.release(&host), ValueError, "not an allocated block");
  void* p = a.allocate(16, 0);
  a.release(p);
  EXPECT_THROW_MSG(a.release(p), ValueError, "not an allocated block");
  EXPECT_EQ(a.stats().allocated, 0);
}

// Random sizes in both pools on two streams: live blocks never overlap, and once everything is
// released every segment has merged back whole (empty_cache returns all of them).
TEST_F(CudaAllocator, RandomTrafficKeepsBlocksApartAndMergesEverything) {
  CudaCachingAllocator a;
  cuda::Stream other = cuda::stream_create();
  std::mt19937_64 rng(7);
  struct Live {
    size_t size;
    unsigned char tag;
  };
  std::map<char*, Live> live;
  for (int step = 0; step < 2000; ++step) {
    if (!live.empty() && rng() % 2 == 0) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      // Its bytes are still its own: no later block overlapped it.
      EXPECT_TRUE(all_bytes_are(read_back(it->first, it->second.size), it->second.tag)) << step;
      a.release(it->first);
      live.erase(it);
      continue;
    }
    const size_t size = rng() % 4 == 0 ? 1 + rng() % (6 * kMiB) : 1 + rng() % (96 * kKiB);
    const cuda::Stream stream = rng() % 2 == 0 ? nullptr : other;
    char* p = static_cast<char*>(a.allocate(size, 0, stream));
    auto next = live.lower_bound(p);
    if (next != live.end()) {
      EXPECT_LE(p + size, next->first) << step;
    }
    if (next != live.begin()) {
      auto prev = std::prev(next);
      EXPECT_LE(prev->first + prev->second.size, p) << step;
    }
    const auto tag = static_cast<unsigned char>(step);
    cuda::device_memset(p, tag, size);
    live.emplace(p, Live{size, tag});
  }
  for (auto& [p, block] : live) a.release(p);
  const CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.allocated, 0);
  EXPECT_GT(s.cache_hits, 0);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  EXPECT_EQ(a.stats().segments, 0);
  cuda::stream_destroy(other);
}

TEST_F(CudaAllocator, ConcurrentUseKeepsStatsExact) {
  CudaCachingAllocator a;
  constexpr int kThreads = 4, kSteps = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&a, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<void*> mine;
      for (int i = 0; i < kSteps; ++i) {
        mine.push_back(a.allocate(1 + rng() % (3 * kMiB), 0));
        if (mine.size() > 8) {
          a.release(mine.front());
          mine.erase(mine.begin());
        }
      }
      for (void* p : mine) a.release(p);
    });
  }
  for (std::thread& th : threads) th.join();
  const CudaMemoryStats s = a.stats();
  EXPECT_EQ(s.allocated, 0);
  EXPECT_EQ(s.allocations, kThreads * kSteps);
  EXPECT_LE(s.peak, s.reserved);
  a.empty_cache();
  EXPECT_EQ(a.stats().reserved, 0);
  EXPECT_EQ(a.stats().segments, 0);
}

}  // namespace
}  // namespace ember

#endif
