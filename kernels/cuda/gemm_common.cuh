// Pieces shared by ember's CUDA GEMM kernels (gemm_simt.cuh, gemm_mma.cuh): the batch walk,
// the grouped order of output tiles, 16-byte vector types, and the host-side test of whether
// an operand's layout allows 16-byte loads. Design notes: docs/internals/cuda.md, "GEMM".
#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/runtime.h"
#include "kernels/kernel_args.h"

namespace ember::cuda::gemm {

// The batch dims of a GemmArgs as the kernels walk them: matrix z (row-major over sizes) starts
// `a/b/c` elements past the operands' base pointers (strides 0 on broadcast dims).
struct Batch {
  int ndim = 0;
  int64_t count = 1;
  int64_t sizes[kMaxDims] = {};
  int64_t a[kMaxDims] = {}, b[kMaxDims] = {}, c[kMaxDims] = {};
};

struct BatchOffsets {
  int64_t a = 0, b = 0, c = 0;
};

__device__ __forceinline__ BatchOffsets batch_offsets(const Batch& bt, int64_t z) {
  BatchOffsets o;
  for (int d = bt.ndim - 1; d >= 0; --d) {
    const int64_t i = z % bt.sizes[d];
    z /= bt.sizes[d];
    o.a += i * bt.a[d];
    o.b += i * bt.b[d];
    o.c += i * bt.c[d];
  }
  return o;
}

inline Batch make_batch(const GemmArgs& g) {
  Batch bt;
  bt.ndim = g.batch_ndim;
  for (int d = 0; d < g.batch_ndim; ++d) {
    bt.sizes[d] = g.batch_sizes[d];
    bt.a[d] = g.a_batch_strides[d];
    bt.b[d] = g.b_batch_strides[d];
    bt.c[d] = g.c_batch_strides[d];
    bt.count *= g.batch_sizes[d];
  }
  return bt;
}

// One GEMM as both kernels address it (B is read as its transpose, so both operands are
// [rows, K]); the kernels' parameter structs extend it with their layout choices. `Scale` is the
// type alpha and beta are applied in.
template <typename T, typename Scale>
struct GemmOperands {
  const T* a = nullptr;  // A(m, k) = a[m * a_rs + k * a_ks]
  const T* b = nullptr;  // B(k, n) = b[n * b_rs + k * b_ks]
  T* c = nullptr;        // C(m, n) = c[m * c_rs + n * c_cs]
  int64_t m = 0, n = 0, k = 0;
  int64_t a_rs = 0, a_ks = 0, b_rs = 0, b_ks = 0, c_rs = 0, c_cs = 0;
  Scale alpha = 1, beta = 0;
  int tiles_m = 0, tiles_n = 0;
  Batch batch;
};

template <typename T, typename Scale>
void set_operands(GemmOperands<T, Scale>& p, const GemmArgs& g) {
  p.a = reinterpret_cast<const T*>(g.a);
  p.b = reinterpret_cast<const T*>(g.b);
  p.c = reinterpret_cast<T*>(g.c);
  p.m = g.m;
  p.n = g.n;
  p.k = g.k;
  p.a_rs = g.rsa;
  p.a_ks = g.csa;
  p.b_rs = g.csb;
  p.b_ks = g.rsb;
  p.c_rs = g.rsc;
  p.c_cs = g.csc;
  p.alpha = static_cast<Scale>(g.alpha);
  p.beta = static_cast<Scale>(g.beta);
  p.batch = make_batch(g);
}

// Output tiles in groups of kGroupM tile rows: consecutive blocks walk down a group's column of
// tiles before moving right, so the blocks resident at one time share A row panels and B
// column panels in L2 (Triton's "grouped ordering"). blockIdx.x is the linear tile id.
inline constexpr int kGroupM = 8;

struct TileCoord {
  int m, n;
};

__device__ __forceinline__ TileCoord grouped_tile(int id, int tiles_m, int tiles_n) {
  const int per_group = kGroupM * tiles_n;
  const int group = id / per_group;
  const int first_m = group * kGroupM;
  const int rows = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;
  const int in = id - group * per_group;
  return {first_m + in % rows, in / rows};
}

// 16 bytes of T, loaded and stored as one vector instruction (LDG/STG/LDS/STS.128).
template <typename T>
struct alignas(16) Vec16 {
  static constexpr int kSize = static_cast<int>(16 / sizeof(T));
  T v[kSize];
};

// Host side: true when the elements (r, i .. i + vec - 1) of every batch matrix lie in one
// aligned 16-byte vector for every row r and every i that is a multiple of vec: unit stride
// along the vector dim, the other stride, the batch strides and the base a multiple of the
// vector. `rows`/`stride` describe the other dim; `batch` holds the operand's batch strides.
inline bool vector_aligned(const void* base, int64_t elem_size, int64_t rows, int64_t stride,
                           const int64_t* batch_strides, const int64_t* batch_sizes, int ndim) {
  const int64_t vec = 16 / elem_size;
  if (reinterpret_cast<uintptr_t>(base) % 16 != 0) return false;
  if (rows > 1 && stride % vec != 0) return false;
  for (int d = 0; d < ndim; ++d)
    if (batch_sizes[d] > 1 && batch_strides[d] % vec != 0) return false;
  return true;
}

}  // namespace ember::cuda::gemm
