// The memory-bandwidth yardstick: memcpy/<bytes> copies the same number of bytes the
// memory-bound ember benchmarks move, so their ratio to it reads as a fraction of peak.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace {

// Sizes in f32 elements, matching add_f32 / sum_f32 (past the 1 MiB L2 from 1<<20).
void memcpy_bytes(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<float> src(n, 1.0f), dst(n, 0.0f);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 2 * n * sizeof(float));
}
BENCHMARK(memcpy_bytes)->Name("memcpy")->RangeMultiplier(8)->Range(1 << 12, 1 << 24)->UseRealTime();

}  // namespace
