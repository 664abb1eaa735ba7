// Per-op overhead of the tensor front end and of autograd: a chain of 1,000 elementwise ops on
// 16-element tensors, forward only and forward with graph recording plus backward. Reported as
// time per op (the counter "per_op"), since at this size the arithmetic is negligible.
#include <benchmark/benchmark.h>

#include "autograd/autograd.h"
#include "tensor/ops.h"

namespace {

constexpr int kChain = 1000;

ember::Tensor chain(const ember::Tensor& x) {
  ember::Tensor y = x;
  for (int i = 0; i < kChain / 2; ++i) y = ember::tanh(y * 0.5);
  return y;
}

void op_chain_forward(benchmark::State& state) {
  ember::Tensor x = ember::randn({16});
  for (auto _ : state) benchmark::DoNotOptimize(chain(x).data_ptr());
  state.counters["per_op"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kChain,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(op_chain_forward)->Name("op_chain_f32/forward/16")->UseRealTime();

void op_chain_backward(benchmark::State& state) {
  ember::Tensor x = ember::randn({16}).requires_grad_();
  for (auto _ : state) {
    chain(x).sum().backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
  state.counters["per_op"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kChain,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(op_chain_backward)->Name("op_chain_f32/forward_backward/16")->UseRealTime();

}  // namespace
