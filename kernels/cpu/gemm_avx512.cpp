// AVX-512 GEMM micro-kernels (2 zmm rows x 12 columns: 32x12 f32, 16x12 f64) and packing,
// compiled through target attributes and selected at run time by gemm.cpp.
#include "kernels/cpu/gemm_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define EMBER_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))
#define EMBER_AVX512_INLINE EMBER_AVX512_TARGET inline __attribute__((always_inline))

namespace ember::cpu::gemm_detail {
namespace {

constexpr int kNr = 12;  // columns per micro-tile: 24 accumulators + 2 A vectors + 1 broadcast

template <typename T>
struct Zmm;

template <>
struct Zmm<float> {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  static EMBER_AVX512_INLINE V zero() { return _mm512_setzero_ps(); }
  static EMBER_AVX512_INLINE V set1(float x) { return _mm512_set1_ps(x); }
  static EMBER_AVX512_INLINE V load(const float* p) { return _mm512_loadu_ps(p); }
  static EMBER_AVX512_INLINE void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static EMBER_AVX512_INLINE V load(Mask k, const float* p) { return _mm512_maskz_loadu_ps(k, p); }
  static EMBER_AVX512_INLINE void store(float* p, Mask k, V v) { _mm512_mask_storeu_ps(p, k, v); }
  static EMBER_AVX512_INLINE V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static EMBER_AVX512_INLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
};

template <>
struct Zmm<double> {
  using V = __m512d;
  using Mask = __mmask8;
  static constexpr int kLanes = 8;
  static EMBER_AVX512_INLINE V zero() { return _mm512_setzero_pd(); }
  static EMBER_AVX512_INLINE V set1(double x) { return _mm512_set1_pd(x); }
  static EMBER_AVX512_INLINE V load(const double* p) { return _mm512_loadu_pd(p); }
  static EMBER_AVX512_INLINE void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static EMBER_AVX512_INLINE V load(Mask k, const double* p) {
    return _mm512_maskz_loadu_pd(k, p);
  }
  static EMBER_AVX512_INLINE void store(double* p, Mask k, V v) {
    _mm512_mask_storeu_pd(p, k, v);
  }
  static EMBER_AVX512_INLINE V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static EMBER_AVX512_INLINE V mul(V a, V b) { return _mm512_mul_pd(a, b); }
};

// Lanes [0, count) of one vector, count clamped to [0, kLanes].
template <typename T>
EMBER_AVX512_INLINE typename Zmm<T>::Mask lane_mask(int64_t count) {
  if (count <= 0) return 0;
  if (count >= Zmm<T>::kLanes) return static_cast<typename Zmm<T>::Mask>(~0u);
  return static_cast<typename Zmm<T>::Mask>((1u << count) - 1u);
}

template <typename T>
EMBER_AVX512_TARGET void micro(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc,
                               int64_t m, int64_t n, T alpha, T beta) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int kL = Z::kLanes;
  constexpr int kMr = 2 * kL;

  V lo[kNr], hi[kNr];
#pragma GCC unroll 16
  for (int j = 0; j < kNr; ++j) lo[j] = hi[j] = Z::zero();

  if (rsc == 1) {
#pragma GCC unroll 16
    for (int j = 0; j < kNr; ++j) {
      if (j < n) {
        _mm_prefetch(reinterpret_cast<const char*>(c + j * csc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + j * csc + kMr - 1), _MM_HINT_T0);
      }
    }
  }

  if (m > kL) {
    for (int64_t k = 0; k < kc; ++k) {
      const V a0 = Z::load(a);
      const V a1 = Z::load(a + kL);
#pragma GCC unroll 16
      for (int j = 0; j < kNr; ++j) {
        const V bj = Z::set1(b[j]);
        lo[j] = Z::fmadd(a0, bj, lo[j]);
        hi[j] = Z::fmadd(a1, bj, hi[j]);
      }
      a += kMr;
      b += kNr;
    }
  } else {  // an edge panel whose rows all fit the first vector: skip the zero half
    for (int64_t k = 0; k < kc; ++k) {
      const V a0 = Z::load(a);
#pragma GCC unroll 16
      for (int j = 0; j < kNr; ++j) lo[j] = Z::fmadd(a0, Z::set1(b[j]), lo[j]);
      a += kMr;
      b += kNr;
    }
  }

  const V va = Z::set1(alpha);
  if (rsc == 1 && m == kMr && n == kNr) {
    if (beta == T(0)) {
#pragma GCC unroll 16
      for (int j = 0; j < kNr; ++j) {
        T* cj = c + j * csc;
        Z::store(cj, Z::mul(va, lo[j]));
        Z::store(cj + kL, Z::mul(va, hi[j]));
      }
    } else {
      const V vb = Z::set1(beta);
#pragma GCC unroll 16
      for (int j = 0; j < kNr; ++j) {
        T* cj = c + j * csc;
        Z::store(cj, Z::fmadd(va, lo[j], Z::mul(vb, Z::load(cj))));
        Z::store(cj + kL, Z::fmadd(va, hi[j], Z::mul(vb, Z::load(cj + kL))));
      }
    }
    return;
  }
  if (rsc == 1) {  // partial tile in column-contiguous C: masked rows
    const typename Z::Mask k0 = lane_mask<T>(m);
    const typename Z::Mask k1 = lane_mask<T>(m - kL);
    const V vb = Z::set1(beta);
#pragma GCC unroll 16
    for (int j = 0; j < kNr; ++j) {
      if (j < n) {
        T* cj = c + j * csc;
        V r0 = Z::mul(va, lo[j]);
        if (beta != T(0)) r0 = Z::fmadd(vb, Z::load(k0, cj), r0);
        Z::store(cj, k0, r0);
        if (m > kL) {
          V r1 = Z::mul(va, hi[j]);
          if (beta != T(0)) r1 = Z::fmadd(vb, Z::load(k1, cj + kL), r1);
          Z::store(cj + kL, k1, r1);
        }
      }
    }
    return;
  }
  alignas(64) T tile[kNr * kMr];
#pragma GCC unroll 16
  for (int j = 0; j < kNr; ++j) {
    Z::store(tile + j * kMr, lo[j]);
    Z::store(tile + j * kMr + kL, hi[j]);
  }
  store_tile(tile, kMr, c, rsc, csc, m, n, alpha, beta);
}

template <typename T>
EMBER_AVX512_TARGET void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs,
                                T* dst) {
  pack_a_block<T, 2 * Zmm<T>::kLanes>(mc, kc, a, rs, cs, dst);
}

template <typename T>
EMBER_AVX512_TARGET void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs,
                                T* dst) {
  pack_b_block<T, kNr>(kc, nc, b, rs, cs, dst);
}

}  // namespace

// f32: 32 x 384 x 4 B = 48 KiB A micro-panels stream from a 384 x 384 (576 KiB) L2 block while
// the 384 x 12 x 4 B = 18 KiB B micro-panel stays in L1. f64 uses mc = kc = 256 for similar
// byte budgets (a 512 KiB A block, a 24 KiB B micro-panel).
const GemmKernel<float>& sgemm_kernel_avx512() {
  static const GemmKernel<float> kernel{.mr = 32, .nr = kNr, .mc = 384, .kc = 384, .nc = 4080,
                                        .pack_a = &pack_a<float>,
                                        .pack_b = &pack_b<float>,
                                        .micro = &micro<float>};
  return kernel;
}

const GemmKernel<double>& dgemm_kernel_avx512() {
  static const GemmKernel<double> kernel{.mr = 16, .nr = kNr, .mc = 256, .kc = 256, .nc = 2040,
                                         .pack_a = &pack_a<double>,
                                         .pack_b = &pack_b<double>,
                                         .micro = &micro<double>};
  return kernel;
}

}  // namespace ember::cpu::gemm_detail

#endif  // x86
