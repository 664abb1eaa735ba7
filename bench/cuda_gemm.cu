// GEMM on the GPU: gemm_<dtype>/ember/<n> (ember::matmul on cuda tensors) next to
// gemm_<dtype>/cublas/<n> (cublasGemmEx, the yardstick) for square row-major n x n products in
// f32, bf16 and f16, f32 accumulation and a result of the inputs' dtype on both sides. f32 is
// CUBLAS_COMPUTE_32F: true f32 arithmetic, no TF32. Reported as FLOPS (2 n^3 per call) and, on
// the ember run, vs_cublas = cuBLAS time / ember time. Timing as in bench/cuda_bench.h.
#include <cublas_v2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cuda_bench.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace ember::bench {
namespace {

constexpr int64_t kSizes[] = {1024, 4096, 8192};

struct GemmType {
  const char* name;
  DType dtype;
  cudaDataType_t cuda_type;
};
constexpr GemmType kTypes[] = {
    {"f32", DType::f32, CUDA_R_32F},
    {"bf16", DType::bf16, CUDA_R_16BF},
    {"f16", DType::f16, CUDA_R_16F},
};

void check_cublas(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw DeviceError(str(call, ": cuBLAS error ", cublasGetStatusName(status), " (",
                          cublasGetStatusString(status), ")"));
  }
}

cublasHandle_t cublas() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    check_cublas(cublasCreate(&h), "cublasCreate");
    return h;  // on the default stream, as ember's ops
  }();
  return handle;
}

// Rotating operand sets of one (dtype, n), random normal values, kept between the runs of the
// cuBLAS and ember benchmarks of that shape; the previous shape's sets are freed first.
struct Operands {
  std::vector<Tensor> a, b, c;  // c: cuBLAS's output
};

const Operands& operands(DType dtype, int64_t n) {
  static std::string key;
  static std::unique_ptr<Operands> cached;
  const std::string want = str(dtype_name(dtype), "/", n);
  if (cached && key == want) return *cached;
  cached.reset();
  key = want;
  auto ops = std::make_unique<Operands>();
  const std::size_t set_bytes = 3 * static_cast<std::size_t>(n * n) * element_size(dtype);
  Generator gen(2024);
  for (int s = 0; s < rotation_sets(set_bytes); ++s) {
    ops->a.push_back(randn({n, n}, DType::f32, &gen, Device::cuda()).to(dtype));
    ops->b.push_back(randn({n, n}, DType::f32, &gen, Device::cuda()).to(dtype));
    ops->c.push_back(empty({n, n}, dtype, Device::cuda()));
  }
  cached = std::move(ops);
  return *cached;
}

void set_flops(benchmark::State& state, int64_t n) {
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(n) * n * n,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

std::string name_of(const GemmType& t, const char* impl, int64_t n) {
  return str("gemm_", t.name, "/", impl, "/", n);
}

void gemm_cublas(benchmark::State& state, GemmType t, int64_t n) {
  const float alpha = 1.0f, beta = 0.0f;
  const int dim = static_cast<int>(n);
  const Operands* op = nullptr;  // made by the first (untimed) call, inside the error handling
  time_on_device(state, name_of(t, "cublas", n), [&](int64_t i) {
    if (op == nullptr) op = &operands(t.dtype, n);
    const size_t s = static_cast<size_t>(i) % op->a.size();
    // Row-major C = A B is column-major C^T = B^T A^T: B first, both untransposed.
    check_cublas(cublasGemmEx(cublas(), CUBLAS_OP_N, CUBLAS_OP_N, dim, dim, dim, &alpha,
                              op->b[s].data_ptr(), t.cuda_type, dim, op->a[s].data_ptr(),
                              t.cuda_type, dim, &beta, op->c[s].data_ptr(), t.cuda_type, dim,
                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  });
  set_flops(state, n);
}

void gemm_ember(benchmark::State& state, GemmType t, int64_t n) {
  const Operands* op = nullptr;
  time_on_device(
      state, name_of(t, "ember", n),
      [&](int64_t i) {
        if (op == nullptr) op = &operands(t.dtype, n);
        const size_t s = static_cast<size_t>(i) % op->a.size();
        const Tensor c = matmul(op->a[s], op->b[s]);
      },
      name_of(t, "cublas", n), "cublas");
  set_flops(state, n);
}

// Each ember benchmark right after its cuBLAS partner, so the ratio is in the same run.
const bool kRegistered = [] {
  for (const GemmType& t : kTypes) {
    for (const int64_t n : kSizes) {
      benchmark::RegisterBenchmark(name_of(t, "cublas", n).c_str(), gemm_cublas, t, n)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(name_of(t, "ember", n).c_str(), gemm_ember, t, n)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace ember::bench
