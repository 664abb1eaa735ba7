// Memory-bound ops on the GPU, each next to a device-to-device copy that moves the same bytes:
// <op>/ember/<n> through the public API on cuda tensors and <op>/copy/<n> (cudaMemcpy of half
// the op's bytes: as many read plus written). Bytes are each input read once and each output
// written once; reported as bytes_per_second and, on the ember run, vs_copy = copy time / ember
// time, the fraction of copy bandwidth reached. n counts f32 elements:
//   add_f32       a + b, [n]                           12 n bytes
//   gelu_f32      gelu(x) (erf form), [n]              8 n bytes
//   sum_f32       sum of all of [n]                    4 n bytes
//   sum_f32_rows  sum over dim 1 of [n / 1024, 1024]   4 n + 4 n / 1024 bytes
//   softmax_f32   softmax over dim 1 of [n / 1024, 1024]  8 n bytes
// Sizes: 4 MiB (inside the L2, launch-bound), 64 MiB and 512 MiB per operand. Timing as in
// bench/cuda_bench.h.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cuda_bench.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace ember::bench {
namespace {

constexpr int64_t kSizes[] = {int64_t{1} << 20, int64_t{1} << 24, int64_t{1} << 27};
constexpr int64_t kRow = 1024;

struct MemoryOp {
  const char* name;
  int inputs;                                 // f32 operands of shape(n)
  Shape (*shape)(int64_t n);                  // each input's shape
  int64_t (*bytes)(int64_t n);                // read once + written once
  Tensor (*run)(const std::vector<Tensor>&);  // the op through the public API
};

Shape flat(int64_t n) { return {n}; }
Shape rows(int64_t n) { return {n / kRow, kRow}; }

const MemoryOp kOps[] = {
    {"add_f32", 2, flat, [](int64_t n) { return 12 * n; },
     [](const std::vector<Tensor>& x) { return add(x[0], x[1]); }},
    {"gelu_f32", 1, flat, [](int64_t n) { return 8 * n; },
     [](const std::vector<Tensor>& x) { return gelu(x[0]); }},
    {"sum_f32", 1, flat, [](int64_t n) { return 4 * n + 4; },
     [](const std::vector<Tensor>& x) { return sum(x[0]); }},
    {"sum_f32_rows", 1, rows, [](int64_t n) { return 4 * n + 4 * (n / kRow); },
     [](const std::vector<Tensor>& x) { return sum(x[0], {1}); }},
    {"softmax_f32", 1, rows, [](int64_t n) { return 8 * n; },
     [](const std::vector<Tensor>& x) { return softmax(x[0], 1); }},
};

// Rotating input sets of one (op, n): the ember op's inputs, random normal values, and the
// copy's source and destination. Kept for both benchmarks of that shape; the previous shape's
// sets are freed first.
struct Inputs {
  std::vector<std::vector<Tensor>> sets;
  std::vector<Tensor> copy_src, copy_dst;
};

const Inputs& inputs(const MemoryOp& op, int64_t n) {
  static std::string key;
  static std::unique_ptr<Inputs> cached;
  const std::string want = str(op.name, "/", n);
  if (cached && key == want) return *cached;
  cached.reset();
  key = want;
  auto in = std::make_unique<Inputs>();
  const int64_t bytes = op.bytes(n);
  const int64_t copy_floats = (bytes / 2 + 3) / 4;
  Generator gen(77);
  for (int s = 0; s < rotation_sets(static_cast<std::size_t>(2 * bytes)); ++s) {
    std::vector<Tensor> set;
    for (int k = 0; k < op.inputs; ++k) set.push_back(randn(op.shape(n), DType::f32, &gen,
                                                            Device::cuda()));
    in->sets.push_back(std::move(set));
    in->copy_src.push_back(randn({copy_floats}, DType::f32, &gen, Device::cuda()));
    in->copy_dst.push_back(empty({copy_floats}, DType::f32, Device::cuda()));
  }
  cached = std::move(in);
  return *cached;
}

std::string name_of(const MemoryOp& op, const char* impl, int64_t n) {
  return str(op.name, "/", impl, "/", n);
}

void copy_yardstick(benchmark::State& state, const MemoryOp* op, int64_t n) {
  const std::size_t half = static_cast<std::size_t>(op->bytes(n) / 2);
  const Inputs* in = nullptr;  // made by the first (untimed) call, inside the error handling
  time_on_device(state, name_of(*op, "copy", n), [&](int64_t i) {
    if (in == nullptr) in = &inputs(*op, n);
    const size_t s = static_cast<size_t>(i) % in->copy_src.size();
    cuda::memcpy_d2d(in->copy_dst[s].data_ptr(), in->copy_src[s].data_ptr(), half);
  });
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<int64_t>(half));
}

void ember_op(benchmark::State& state, const MemoryOp* op, int64_t n) {
  const Inputs* in = nullptr;
  time_on_device(
      state, name_of(*op, "ember", n),
      [&](int64_t i) {
        if (in == nullptr) in = &inputs(*op, n);
        const Tensor out = op->run(in->sets[static_cast<size_t>(i) % in->sets.size()]);
      },
      name_of(*op, "copy", n), "copy");
  state.SetBytesProcessed(state.iterations() * op->bytes(n));
}

// Each ember benchmark right after its copy partner, so the ratio is in the same run.
const bool kRegistered = [] {
  for (const MemoryOp& op : kOps) {
    for (const int64_t n : kSizes) {
      benchmark::RegisterBenchmark(name_of(op, "copy", n).c_str(), copy_yardstick, &op, n)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(name_of(op, "ember", n).c_str(), ember_op, &op, n)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace ember::bench
