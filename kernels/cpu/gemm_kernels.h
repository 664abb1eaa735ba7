// Internal interface between the GEMM driver (gemm.cpp) and the per-ISA packing routines and
// micro-kernels (gemm_avx512.cpp, gemm_avx2.cpp, gemm_portable.cpp). Not part of the API.
#pragma once
#include <cstdint>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels/macros.h"

namespace ember::cpu::gemm_detail {

// One ISA's GEMM building blocks for element type T, with the blocking sizes tuned for it.
template <typename T>
struct GemmKernel {
  int64_t mr;  // micro-tile rows (the packed A panel width)
  int64_t nr;  // micro-tile columns (the packed B panel width)
  int64_t mc;  // rows of A per packed block (a multiple of mr), sized for L2
  int64_t kc;  // depth of one packed block, sized so a B micro-panel stays in L1
  int64_t nc;  // most columns of B per packed slab (a multiple of nr), sized for L3
  // Packs the mc x kc block at `a` (strides rs, cs) into ceil(mc / mr) panels of mr x kc:
  // panel p holds rows [p * mr, p * mr + mr) k-major (mr consecutive elements per k) at
  // dst + p * mr * kc, rows past mc zero-filled.
  void (*pack_a)(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst);
  // Packs the kc x nc block at `b` into ceil(nc / nr) panels of kc x nr, likewise k-major.
  void (*pack_b)(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst);
  // C[0:m, 0:n] = alpha * (A panel x B panel) + beta * C for m <= mr, n <= nr; beta == 0
  // means C is write-only.
  void (*micro)(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc, int64_t m,
                int64_t n, T alpha, T beta);
};

const GemmKernel<float>& sgemm_kernel_portable();
const GemmKernel<double>& dgemm_kernel_portable();
#if defined(__x86_64__) || defined(__i386__)
const GemmKernel<float>& sgemm_kernel_avx2();
const GemmKernel<double>& dgemm_kernel_avx2();
const GemmKernel<float>& sgemm_kernel_avx512();
const GemmKernel<double>& dgemm_kernel_avx512();
#endif

// The helpers below have internal linkage and carry no target attribute: each ISA translation
// unit inlines them into its own target-attributed functions, where they are vectorised for
// that ISA, and no differently-compiled copy can be merged across units.
namespace {

#if defined(__SSE2__)
// pack_panel for W full lines that are contiguous along k: transposes 4x4 (f32) or 2x2 (f64)
// blocks in SSE registers, then finishes the k % 4 (k % 2) tail element by element.
template <typename T, int W>
EMBER_INLINE void pack_panel_transpose(int64_t k, const T* src, int64_t ls, T* dst) {
  int64_t p = 0;
  if constexpr (std::is_same_v<T, float> && W % 4 == 0) {
    for (; p + 4 <= k; p += 4) {
      for (int i = 0; i < W; i += 4) {
        __m128 r0 = _mm_loadu_ps(src + (i + 0) * ls + p);
        __m128 r1 = _mm_loadu_ps(src + (i + 1) * ls + p);
        __m128 r2 = _mm_loadu_ps(src + (i + 2) * ls + p);
        __m128 r3 = _mm_loadu_ps(src + (i + 3) * ls + p);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(dst + (p + 0) * W + i, r0);
        _mm_storeu_ps(dst + (p + 1) * W + i, r1);
        _mm_storeu_ps(dst + (p + 2) * W + i, r2);
        _mm_storeu_ps(dst + (p + 3) * W + i, r3);
      }
    }
  } else if constexpr (std::is_same_v<T, double> && W % 2 == 0) {
    for (; p + 2 <= k; p += 2) {
      for (int i = 0; i < W; i += 2) {
        const __m128d r0 = _mm_loadu_pd(src + (i + 0) * ls + p);
        const __m128d r1 = _mm_loadu_pd(src + (i + 1) * ls + p);
        _mm_storeu_pd(dst + (p + 0) * W + i, _mm_unpacklo_pd(r0, r1));
        _mm_storeu_pd(dst + (p + 1) * W + i, _mm_unpackhi_pd(r0, r1));
      }
    }
  }
  for (; p < k; ++p) {
    for (int i = 0; i < W; ++i) dst[p * W + i] = src[i * ls + p];
  }
}
#endif

// Packs `w` <= W lines of length k into a k-major panel: dst[p * W + i] = src[i * ls + p * ks]
// for i < w, zero for w <= i < W. A's lines are its rows, B's lines are its columns.
template <typename T, int W>
EMBER_INLINE void pack_panel(int64_t k, int64_t w, const T* src, int64_t ls, int64_t ks,
                             T* dst) {
  if (ls == 1) {  // each k step is w contiguous elements
    if (w == W) {
      for (int64_t p = 0; p < k; ++p) {
        const T* s = src + p * ks;
        T* d = dst + p * W;
        for (int i = 0; i < W; ++i) d[i] = s[i];
      }
      return;
    }
    for (int64_t p = 0; p < k; ++p) {
      const T* s = src + p * ks;
      T* d = dst + p * W;
      for (int64_t i = 0; i < w; ++i) d[i] = s[i];
      for (int64_t i = w; i < W; ++i) d[i] = T(0);
    }
    return;
  }
  if (ks == 1) {  // each line is contiguous along k: transpose
#if defined(__SSE2__)
    if (w == W) {
      pack_panel_transpose<T, W>(k, src, ls, dst);
      return;
    }
#endif
    constexpr int64_t kChunk = 16;  // cache-sized pieces of k
    for (int64_t p0 = 0; p0 < k; p0 += kChunk) {
      const int64_t p1 = p0 + kChunk < k ? p0 + kChunk : k;
      for (int64_t i = 0; i < w; ++i) {
        const T* s = src + i * ls;
        for (int64_t p = p0; p < p1; ++p) dst[p * W + i] = s[p];
      }
      for (int64_t i = w; i < W; ++i) {
        for (int64_t p = p0; p < p1; ++p) dst[p * W + i] = T(0);
      }
    }
    return;
  }
  for (int64_t p = 0; p < k; ++p) {
    const T* s = src + p * ks;
    T* d = dst + p * W;
    for (int64_t i = 0; i < w; ++i) d[i] = s[i * ls];
    for (int64_t i = w; i < W; ++i) d[i] = T(0);
  }
}

// Packs an mc x kc block of A into mr-row panels (see GemmKernel::pack_a).
template <typename T, int MR>
EMBER_INLINE void pack_a_block(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs,
                               T* dst) {
  for (int64_t i = 0; i < mc; i += MR) {
    const int64_t w = mc - i < MR ? mc - i : MR;
    pack_panel<T, MR>(kc, w, a + i * rs, rs, cs, dst + i * kc);
  }
}

// Packs a kc x nc block of B into nr-column panels (see GemmKernel::pack_b).
template <typename T, int NR>
EMBER_INLINE void pack_b_block(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs,
                               T* dst) {
  for (int64_t j = 0; j < nc; j += NR) {
    const int64_t w = nc - j < NR ? nc - j : NR;
    pack_panel<T, NR>(kc, w, b + j * cs, cs, rs, dst + j * kc);
  }
}

// Writes an m x n corner of a column-major tile (leading dimension ld) into C with alpha/beta.
template <typename T>
EMBER_INLINE void store_tile(const T* tile, int64_t ld, T* c, int64_t rsc, int64_t csc,
                             int64_t m, int64_t n, T alpha, T beta) {
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) {
      T& dst = c[i * rsc + j * csc];
      dst = beta == T(0) ? alpha * tile[j * ld + i] : alpha * tile[j * ld + i] + beta * dst;
    }
  }
}

}  // namespace
}  // namespace ember::cpu::gemm_detail
