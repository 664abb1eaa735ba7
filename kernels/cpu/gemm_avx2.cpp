// AVX2 + FMA GEMM micro-kernels (2 ymm rows x 6 columns: 16x6 f32, 8x6 f64) and packing,
// compiled through target attributes and selected at run time by gemm.cpp.
#include "kernels/cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define EMBER_AVX2_TARGET __attribute__((target("avx2,fma")))
#define EMBER_AVX2_INLINE EMBER_AVX2_TARGET inline __attribute__((always_inline))

namespace ember::cpu::gemm_detail {
namespace {

constexpr int kNr = 6;  // columns per micro-tile: 12 accumulators + 2 A vectors + 1 broadcast

template <typename T>
struct Ymm;

template <>
struct Ymm<float> {
  using V = __m256;
  static constexpr int kLanes = 8;
  static EMBER_AVX2_INLINE V zero() { return _mm256_setzero_ps(); }
  static EMBER_AVX2_INLINE V set1(float x) { return _mm256_set1_ps(x); }
  static EMBER_AVX2_INLINE V load(const float* p) { return _mm256_loadu_ps(p); }
  static EMBER_AVX2_INLINE void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static EMBER_AVX2_INLINE V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static EMBER_AVX2_INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
};

template <>
struct Ymm<double> {
  using V = __m256d;
  static constexpr int kLanes = 4;
  static EMBER_AVX2_INLINE V zero() { return _mm256_setzero_pd(); }
  static EMBER_AVX2_INLINE V set1(double x) { return _mm256_set1_pd(x); }
  static EMBER_AVX2_INLINE V load(const double* p) { return _mm256_loadu_pd(p); }
  static EMBER_AVX2_INLINE void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static EMBER_AVX2_INLINE V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static EMBER_AVX2_INLINE V mul(V a, V b) { return _mm256_mul_pd(a, b); }
};

template <typename T>
EMBER_AVX2_TARGET void micro(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc,
                             int64_t m, int64_t n, T alpha, T beta) {
  using Y = Ymm<T>;
  using V = typename Y::V;
  constexpr int kL = Y::kLanes;
  constexpr int kMr = 2 * kL;

  V lo[kNr], hi[kNr];
#pragma GCC unroll 8
  for (int j = 0; j < kNr; ++j) lo[j] = hi[j] = Y::zero();

  if (rsc == 1) {
#pragma GCC unroll 8
    for (int j = 0; j < kNr; ++j) {
      if (j < n) {
        _mm_prefetch(reinterpret_cast<const char*>(c + j * csc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + j * csc + kMr - 1), _MM_HINT_T0);
      }
    }
  }

  if (m > kL) {
    for (int64_t k = 0; k < kc; ++k) {
      const V a0 = Y::load(a);
      const V a1 = Y::load(a + kL);
#pragma GCC unroll 8
      for (int j = 0; j < kNr; ++j) {
        const V bj = Y::set1(b[j]);
        lo[j] = Y::fmadd(a0, bj, lo[j]);
        hi[j] = Y::fmadd(a1, bj, hi[j]);
      }
      a += kMr;
      b += kNr;
    }
  } else {  // an edge panel whose rows all fit the first vector: skip the zero half
    for (int64_t k = 0; k < kc; ++k) {
      const V a0 = Y::load(a);
#pragma GCC unroll 8
      for (int j = 0; j < kNr; ++j) lo[j] = Y::fmadd(a0, Y::set1(b[j]), lo[j]);
      a += kMr;
      b += kNr;
    }
  }

  const V va = Y::set1(alpha);
  if (rsc == 1 && m == kMr && n == kNr) {
    if (beta == T(0)) {
#pragma GCC unroll 8
      for (int j = 0; j < kNr; ++j) {
        T* cj = c + j * csc;
        Y::store(cj, Y::mul(va, lo[j]));
        Y::store(cj + kL, Y::mul(va, hi[j]));
      }
    } else {
      const V vb = Y::set1(beta);
#pragma GCC unroll 8
      for (int j = 0; j < kNr; ++j) {
        T* cj = c + j * csc;
        Y::store(cj, Y::fmadd(va, lo[j], Y::mul(vb, Y::load(cj))));
        Y::store(cj + kL, Y::fmadd(va, hi[j], Y::mul(vb, Y::load(cj + kL))));
      }
    }
    return;
  }
  alignas(32) T tile[kNr * kMr];
#pragma GCC unroll 8
  for (int j = 0; j < kNr; ++j) {
    Y::store(tile + j * kMr, lo[j]);
    Y::store(tile + j * kMr + kL, hi[j]);
  }
  store_tile(tile, kMr, c, rsc, csc, m, n, alpha, beta);
}

template <typename T>
EMBER_AVX2_TARGET void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs,
                              T* dst) {
  pack_a_block<T, 2 * Ymm<T>::kLanes>(mc, kc, a, rs, cs, dst);
}

template <typename T>
EMBER_AVX2_TARGET void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs,
                              T* dst) {
  pack_b_block<T, kNr>(kc, nc, b, rs, cs, dst);
}

}  // namespace

// f32: the 384 x 6 x 4 B = 9 KiB B micro-panel stays in L1, the 384 x 384 (576 KiB) A block in
// L2; f64 halves mc to keep the A block's size.
const GemmKernel<float>& sgemm_kernel_avx2() {
  static const GemmKernel<float> kernel{.mr = 16, .nr = kNr, .mc = 384, .kc = 384, .nc = 4080,
                                        .pack_a = &pack_a<float>,
                                        .pack_b = &pack_b<float>,
                                        .micro = &micro<float>};
  return kernel;
}

const GemmKernel<double>& dgemm_kernel_avx2() {
  static const GemmKernel<double> kernel{.mr = 8, .nr = kNr, .mc = 192, .kc = 384, .nc = 2040,
                                         .pack_a = &pack_a<double>,
                                         .pack_b = &pack_b<double>,
                                         .micro = &micro<double>};
  return kernel;
}

}  // namespace ember::cpu::gemm_detail

#endif  // x86
