// Elementwise benchmarks, read against memcpy/<n> (copy_bench.cpp) in the same run:
// add_f32 moves 3 * n * 4 bytes (two reads, one write), gelu_f32 2 * n * 4 (it is compute
// bound: one libm erfc per element). `ember` goes through the public API; `kernel` runs the
// registered CPU kernel on a preallocated output, which separates the kernel's own speed
// from the cost of allocating (and first touching) a fresh output.
#include <benchmark/benchmark.h>

#include "kernels/registry.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"

namespace {

using ember::Tensor;

// The public API allocates its output on every call; that allocation, and the page faults of
// writing memory the OS has not mapped yet, are part of what a user pays, so they are timed.
// The previous result is released only after the next one exists, as in a training loop.
void add_f32_api(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = ember::randn({n}), b = ember::randn({n});
  Tensor out = ember::add(a, b);
  for (auto _ : state) {
    out = ember::add(a, b);
    benchmark::DoNotOptimize(out.data_ptr());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 3 * n * 4);
}
BENCHMARK(add_f32_api)
    ->Name("add_f32/ember")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();

// The kernel alone, writing into the same preallocated output every iteration.
void add_f32_kernel(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = ember::randn({n}), b = ember::randn({n}), out = ember::empty({n});
  ember::StridedLoop loop = ember::make_loop(out, {&a, &b});
  auto add = ember::kernel<ember::ElementwiseKernel>(ember::OpId::add, ember::DeviceType::cpu);
  for (auto _ : state) {
    add(loop, ember::ScalarArgs{});
    benchmark::DoNotOptimize(out.data_ptr());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 3 * n * 4);
}
BENCHMARK(add_f32_kernel)
    ->Name("add_f32/kernel")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();

void gelu_f32_api(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = ember::randn({n});
  Tensor out = ember::gelu(x);
  for (auto _ : state) {
    out = ember::gelu(x);
    benchmark::DoNotOptimize(out.data_ptr());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 2 * n * 4);
}
BENCHMARK(gelu_f32_api)
    ->Name("gelu_f32/ember")
    ->RangeMultiplier(8)
    ->Range(1 << 12, 1 << 24)
    ->UseRealTime();

}  // namespace
