// SGEMM throughput: gemm_f32/ember/<n> (ember::cpu::sgemm) against gemm_f32/openblas/<n>
// (cblas_sgemm, the yardstick) for square row-major n x n products, reported as FLOP/s.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace {

constexpr int64_t kSizes[] = {256, 512, 1024, 2048};

struct Operands {
  explicit Operands(int64_t n)
      : a(static_cast<size_t>(n * n)), b(static_cast<size_t>(n * n)),
        c(static_cast<size_t>(n * n), 0.0f) {
    std::mt19937 gen(1234);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& x : a) x = dist(gen);
    for (float& x : b) x = dist(gen);
  }
  std::vector<float> a, b, c;
};

void set_flops(benchmark::State& state, int64_t n) {
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(n) * n * n,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void gemm_ember(benchmark::State& state, int64_t n) {
  Operands op(n);
  for (auto _ : state) {
    ember::cpu::sgemm(n, n, n, 1.0f, op.a.data(), n, 1, op.b.data(), n, 1, 0.0f, op.c.data(), n,
                      1);
    benchmark::DoNotOptimize(op.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

void gemm_openblas(benchmark::State& state, int64_t n) {
  Operands op(n);
  const int dim = static_cast<int>(n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, dim, dim, 1.0f, op.a.data(), dim,
                op.b.data(), dim, 0.0f, op.c.data(), dim);
    benchmark::DoNotOptimize(op.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

// All ember runs first, then all OpenBLAS runs: OpenBLAS's idle threads keep spinning for a
// while after each call, which would otherwise eat into the ember run that follows.
const bool kRegistered = [] {
  for (const int64_t n : kSizes) {
    benchmark::RegisterBenchmark(("gemm_f32/ember/" + std::to_string(n)).c_str(), gemm_ember, n)
        ->UseRealTime();
  }
  for (const int64_t n : kSizes) {
    benchmark::RegisterBenchmark(("gemm_f32/openblas/" + std::to_string(n)).c_str(),
                                 gemm_openblas, n)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
