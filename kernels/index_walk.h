// The loop of the index family (kernels/kernel_args.h IndexArgs) over its three operands, as
// the CPU and CUDA kernels walk it: the dims on either side of `dim` with size-1 dims dropped
// and neighbours merged when every operand steps through them as one.
#pragma once
#include <cstdint>

#include "kernels/kernel_args.h"

namespace ember::index_walk {

inline constexpr int kX = 0;  // indexed
inline constexpr int kO = 1;  // other: out (gather, index_select) or src (scatter, index_add)
inline constexpr int kI = 2;  // index
inline constexpr int kOperands = 3;

// Dims of a loop for the three operands; strides in elements.
struct Walk {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kOperands][kMaxDims] = {};
};

using OperandStrides = int64_t[kOperands][kMaxDims];

// Dims [lo, hi) of the loop.
inline Walk make_walk(const int64_t* sizes, const OperandStrides& st, int lo, int hi) {
  Walk w;
  for (int d = lo; d < hi; ++d) {
    if (sizes[d] == 1) continue;
    if (w.ndim > 0) {
      const int m = w.ndim - 1;
      bool merge = true;
      for (int k = 0; k < kOperands; ++k) merge &= w.strides[k][m] == st[k][d] * sizes[d];
      if (merge) {
        w.sizes[m] *= sizes[d];
        for (int k = 0; k < kOperands; ++k) w.strides[k][m] = st[k][d];
        continue;
      }
    }
    w.sizes[w.ndim] = sizes[d];
    for (int k = 0; k < kOperands; ++k) w.strides[k][w.ndim] = st[k][d];
    ++w.ndim;
  }
  return w;
}

}  // namespace ember::index_walk
