// Portable GEMM micro-kernels (8x4 f32, 4x4 f64) in plain C++ that the compiler vectorises
// for the baseline ISA; the fallback when neither AVX2 nor AVX-512 is available or wanted.
#include "kernels/cpu/gemm_kernels.h"

namespace ember::cpu::gemm_detail {
namespace {

constexpr int kNr = 4;

template <typename T, int MR>
void micro(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc, int64_t m,
           int64_t n, T alpha, T beta) {
  T acc[kNr][MR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int j = 0; j < kNr; ++j) {
      const T bj = b[j];
      for (int i = 0; i < MR; ++i) acc[j][i] += a[i] * bj;
    }
    a += MR;
    b += kNr;
  }
  store_tile(&acc[0][0], MR, c, rsc, csc, m, n, alpha, beta);
}

template <typename T, int MR>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst) {
  pack_a_block<T, MR>(mc, kc, a, rs, cs, dst);
}

template <typename T>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst) {
  pack_b_block<T, kNr>(kc, nc, b, rs, cs, dst);
}

}  // namespace

const GemmKernel<float>& sgemm_kernel_portable() {
  static const GemmKernel<float> kernel{.mr = 8, .nr = kNr, .mc = 256, .kc = 256, .nc = 4096,
                                        .pack_a = &pack_a<float, 8>,
                                        .pack_b = &pack_b<float>,
                                        .micro = &micro<float, 8>};
  return kernel;
}

const GemmKernel<double>& dgemm_kernel_portable() {
  static const GemmKernel<double> kernel{.mr = 4, .nr = kNr, .mc = 128, .kc = 256, .nc = 2048,
                                         .pack_a = &pack_a<double, 4>,
                                         .pack_b = &pack_b<double>,
                                         .micro = &micro<double, 4>};
  return kernel;
}

}  // namespace ember::cpu::gemm_detail
