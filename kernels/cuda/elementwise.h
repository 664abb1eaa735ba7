// The one elementwise driver every CUDA elementwise kernel (copy, fill, unary, binary, ternary,
// random) runs on: a grid-stride loop over the flat index of a StridedLoop.
//
// Design. The host turns the StridedLoop into an ElementwiseGrid (a trivially copyable kernel
// parameter with byte strides). Each CUDA thread takes indices tid, tid + gridDim*blockDim, ...;
// consecutive threads take consecutive indices, so on contiguous data a warp reads and writes
// whole cache lines (coalesced). When every operand is contiguous (the front end coalesces such
// loops to one dim with unit strides), the `contiguous` instantiation addresses element i as
// data + i * size with no index decomposition; otherwise the flat index is split into
// coordinates (innermost last) once per element, which handles broadcast (stride 0), negative
// and arbitrary strides. The grid is capped (kMaxBlocks), so large tensors reuse threads
// instead of launching millions of blocks. `Op` is a functor struct (no lambdas: nvcc needs no
// --extended-lambda) with a constant kOperands (the operand count, so the pointer loops unroll)
// whose operator()(char* const* p, int64_t i) reads and writes the element through the operand
// pointers p; i is the flat index (random ops draw from it).
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/kernel_args.h"

namespace ember::cuda {

inline constexpr int kElementwiseThreads = 256;
inline constexpr int64_t kMaxBlocks = 4096;

struct ElementwiseGrid {
  int ndim = 0;
  int nops = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t byte_strides[kMaxOperands][kMaxDims] = {};
  int64_t elem_size[kMaxOperands] = {};
  char* data[kMaxOperands] = {};
};

inline ElementwiseGrid make_grid(const StridedLoop& L) {
  ElementwiseGrid g;
  g.ndim = L.ndim;
  g.nops = L.nops;
  for (int d = 0; d < L.ndim; ++d) g.sizes[d] = L.sizes[d];
  for (int k = 0; k < L.nops; ++k) {
    g.data[k] = L.data[k];
    g.elem_size[k] = static_cast<int64_t>(element_size(L.dtypes[k]));
    for (int d = 0; d < L.ndim; ++d) g.byte_strides[k][d] = L.strides[k][d] * g.elem_size[k];
  }
  return g;
}

// True when element i of every operand is at data + i * size.
inline bool is_contiguous(const StridedLoop& L) {
  if (L.ndim == 0) return true;
  if (L.ndim != 1) return false;
  for (int k = 0; k < L.nops; ++k)
    if (L.strides[k][0] != 1) return false;
  return true;
}

template <bool kContiguous, typename Op>
__global__ void elementwise_kernel(ElementwiseGrid g, int64_t n, Op op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    constexpr int kOps = Op::kOperands;
    char* p[kOps];
    if constexpr (kContiguous) {
      for (int k = 0; k < kOps; ++k) p[k] = g.data[k] + i * g.elem_size[k];
    } else {
      for (int k = 0; k < kOps; ++k) p[k] = g.data[k];
      int64_t rem = i;
      for (int d = g.ndim - 1; d >= 0; --d) {
        const int64_t c = rem % g.sizes[d];
        rem /= g.sizes[d];
        for (int k = 0; k < kOps; ++k) p[k] += c * g.byte_strides[k][d];
      }
    }
    op(p, i);
  }
}

// Runs op over every element of L on the default stream; the launch is checked.
template <typename Op>
void run_elementwise(const StridedLoop& L, const Op& op) {
  static_assert(Op::kOperands >= 1 && Op::kOperands <= kMaxOperands);
  EMBER_CHECK(L.nops == Op::kOperands, ValueError, "cuda elementwise driver: the loop has ", L.nops,
              " operands; the kernel expects ", Op::kOperands);
  const int64_t n = L.numel();
  if (n == 0) return;
  const ElementwiseGrid g = make_grid(L);
  const int64_t blocks =
      std::min<int64_t>((n + kElementwiseThreads - 1) / kElementwiseThreads, kMaxBlocks);
  const dim3 grid(static_cast<unsigned>(blocks)), block(kElementwiseThreads);
  if (is_contiguous(L)) {
    EMBER_LAUNCH((elementwise_kernel<true, Op>), grid, block, 0, nullptr, g, n, op);
  } else {
    EMBER_LAUNCH((elementwise_kernel<false, Op>), grid, block, 0, nullptr, g, n, op);
  }
}

// Loads and stores of one element in the op's arithmetic type.
template <typename T>
__device__ __forceinline__ acc_t<T> load(const char* p) {
  return static_cast<acc_t<T>>(*reinterpret_cast<const T*>(p));
}
template <typename T, typename V>
__device__ __forceinline__ void store(char* p, V v) {
  *reinterpret_cast<T*>(p) = static_cast<T>(v);
}

}  // namespace ember::cuda
