// Reduction benchmarks through the public API: full f32 sums, and sums over the last dim (rows)
// and the first dim (columns) of [n/1024, 1024]. Bytes are the input read once (n * 4); the
// yardstick is memcpy/<n> in copy_bench.cpp, which moves 2 * n * 4 bytes: compare bytes/s.
#include <benchmark/benchmark.h>

#include "tensor/ops.h"

namespace {

using ember::Shape;
using ember::Tensor;

void run_sum(benchmark::State& state, const Shape& shape, const Shape& dims) {
  const int64_t n = state.range(0);
  ember::Generator gen(7);
  Tensor x = ember::randn(shape, ember::DType::f32, &gen);
  for (auto _ : state) {
    Tensor s = ember::sum(x, dims);
    benchmark::DoNotOptimize(s.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
}

void sum_f32(benchmark::State& state) { run_sum(state, {state.range(0)}, {}); }
void sum_f32_rows(benchmark::State& state) { run_sum(state, {state.range(0) / 1024, 1024}, {1}); }
void sum_f32_cols(benchmark::State& state) { run_sum(state, {state.range(0) / 1024, 1024}, {0}); }

BENCHMARK(sum_f32)
    ->Name("sum_f32/ember")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();
BENCHMARK(sum_f32_rows)
    ->Name("sum_f32_rows/ember")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();
BENCHMARK(sum_f32_cols)
    ->Name("sum_f32_cols/ember")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();

}  // namespace
