// CPU batched matmul (GemmArgs): walks the batch dims and runs one GEMM per matrix. f32 and
// f64 go straight to the packed GEMM engine (kernels/cpu/gemm.cpp), which reads transposed
// and strided operands in place. f16/bf16 are widened to f32 panels, multiplied with f32
// accumulation and rounded once. Integer matmul is a plain triple loop accumulating in i64.
// Many small matrices run in parallel over the batch (the engine then stays single-threaded);
// few large ones let the engine use the threads.
#include <omp.h>

#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/loops.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

struct Matrix {
  const char* a;
  const char* b;
  char* c;
};

// Pointers of batch element `i` (row-major over batch_sizes).
Matrix batch_element(const GemmArgs& g, int64_t i, size_t esize) {
  int64_t oa = 0, ob = 0, oc = 0;
  for (int d = g.batch_ndim - 1; d >= 0; --d) {
    int64_t idx = i % g.batch_sizes[d];
    i /= g.batch_sizes[d];
    oa += idx * g.a_batch_strides[d];
    ob += idx * g.b_batch_strides[d];
    oc += idx * g.c_batch_strides[d];
  }
  auto e = static_cast<int64_t>(esize);
  return {g.a + oa * e, g.b + ob * e, g.c + oc * e};
}

template <typename T>
void gemm_one(const GemmArgs& g, const Matrix& mat) {
  const T* a = reinterpret_cast<const T*>(mat.a);
  const T* b = reinterpret_cast<const T*>(mat.b);
  T* c = reinterpret_cast<T*>(mat.c);
  if constexpr (std::is_same_v<T, float>) {
    sgemm(g.m, g.n, g.k, static_cast<float>(g.alpha), a, g.rsa, g.csa, b, g.rsb, g.csb,
          static_cast<float>(g.beta), c, g.rsc, g.csc);
  } else if constexpr (std::is_same_v<T, double>) {
    dgemm(g.m, g.n, g.k, g.alpha, a, g.rsa, g.csa, b, g.rsb, g.csb, g.beta, c, g.rsc, g.csc);
  } else if constexpr (is_half_v<T>) {
    // Widen to contiguous f32, multiply, round once.
    std::vector<float> fa(static_cast<size_t>(g.m * g.k)), fb(static_cast<size_t>(g.k * g.n));
    std::vector<float> fc(static_cast<size_t>(g.m * g.n));
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t p = 0; p < g.k; ++p) fa[i * g.k + p] = a[i * g.rsa + p * g.csa];
    for (int64_t p = 0; p < g.k; ++p)
      for (int64_t j = 0; j < g.n; ++j) fb[p * g.n + j] = b[p * g.rsb + j * g.csb];
    if (g.beta != 0.0) {
      for (int64_t i = 0; i < g.m; ++i)
        for (int64_t j = 0; j < g.n; ++j) fc[i * g.n + j] = c[i * g.rsc + j * g.csc];
    }
    sgemm(g.m, g.n, g.k, static_cast<float>(g.alpha), fa.data(), g.k, 1, fb.data(), g.n, 1,
          static_cast<float>(g.beta), fc.data(), g.n, 1);
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) c[i * g.rsc + j * g.csc] = T(fc[i * g.n + j]);
  } else {
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        int64_t acc = 0;
        for (int64_t p = 0; p < g.k; ++p)
          acc += static_cast<int64_t>(a[i * g.rsa + p * g.csa]) * b[p * g.rsb + j * g.csb];
        T& out = c[i * g.rsc + j * g.csc];
        double v = g.alpha * static_cast<double>(acc);
        if (g.beta != 0.0) v += g.beta * static_cast<double>(out);
        out = static_cast<T>(v);
      }
    }
  }
}

void matmul_kernel(const GemmArgs& g) {
  dispatch_dtype<kFloat | kInt>(
      g.dtype,
      [&]<typename T>() {
        int64_t batch = 1;
        for (int d = 0; d < g.batch_ndim; ++d) batch *= g.batch_sizes[d];
        int64_t work = g.m * g.n * std::max<int64_t>(g.k, 1);
        bool over_batch = batch > 1 && work < 256 * 256 * 256;
        if (over_batch) {
          parallel_for(batch, batch * work, [&](int64_t b0, int64_t b1) {
            for (int64_t i = b0; i < b1; ++i) gemm_one<T>(g, batch_element(g, i, sizeof(T)));
          });
        } else {
          for (int64_t i = 0; i < batch; ++i) gemm_one<T>(g, batch_element(g, i, sizeof(T)));
        }
      },
      [&](DType d) {
        throw DTypeError(str("matmul: dtype ", dtype_name(d), " is not supported"));
      });
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, matmul, &matmul_kernel);

}  // namespace ember::cpu
