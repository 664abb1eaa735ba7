// The contract between the tensor front end and the backends: one argument struct and one
// kernel signature per op family. Everything is raw pointers, sizes and element strides; the
// front end has already checked shapes, broadcast, promoted dtypes and allocated outputs.
#pragma once
#include <cstdint>

#include "kernels/dtype.h"

namespace ember {

inline constexpr int kMaxDims = 8;
inline constexpr int kMaxOperands = 4;

// Scalars an op takes besides its tensors (clamp bounds, leaky_relu slope, fill value,
// var correction, RNG seed and offset, ...). Each op documents which fields it reads.
struct ScalarArgs {
  double a = 0.0;
  double b = 0.0;
  uint64_t seed = 0;
  uint64_t offset = 0;
};

// An n-d loop over operands of one shape. Operand 0 is the output. Dims are outermost first
// and already coalesced by the front end where the op allows (contiguous data becomes 1-d).
// Strides are in elements and may be 0 (broadcast) or negative (flip).
struct StridedLoop {
  int ndim = 0;  // 0: a single element
  int64_t sizes[kMaxDims] = {};
  int nops = 0;
  char* data[kMaxOperands] = {};
  int64_t strides[kMaxOperands][kMaxDims] = {};
  DType dtypes[kMaxOperands] = {};

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
};
// unary, binary, ternary, copy, fill, random.
using ElementwiseKernel = void (*)(const StridedLoop&, const ScalarArgs&);

// A reduction: for each output element (the `kept` dims) combine the input over the
// `reduced` dims. Output dims are the input's kept dims in order; keepdim is a front-end view.
struct ReduceLoop {
  int kept_ndim = 0;
  int64_t kept_sizes[kMaxDims] = {};
  int64_t kept_in_strides[kMaxDims] = {};   // input strides of the kept dims
  int64_t kept_out_strides[kMaxDims] = {};  // output (and indices) strides of the kept dims
  int red_ndim = 0;
  int64_t red_sizes[kMaxDims] = {};
  int64_t red_strides[kMaxDims] = {};  // input strides of the reduced dims
  const char* in = nullptr;
  char* out = nullptr;
  int64_t* indices = nullptr;  // argmax/argmin: index along the (single) reduced dim
  DType in_dtype = DType::f32;
  DType out_dtype = DType::f32;
};
// sum(b != 0: divide by the reduced count, for mean) prod amax amin all any var(a = correction)
// argmax argmin (values to out, positions along the reduced dim to indices).
using ReduceKernel = void (*)(const ReduceLoop&, const ScalarArgs&);

// Batched C = alpha * A @ B + beta * C. A: [batch..., M, K], B: [batch..., K, N],
// C: [batch..., M, N], each with its own element strides (0 on broadcast batch dims).
// beta == 0: C is write-only.
struct GemmArgs {
  int batch_ndim = 0;
  int64_t batch_sizes[kMaxDims] = {};
  int64_t a_batch_strides[kMaxDims] = {};
  int64_t b_batch_strides[kMaxDims] = {};
  int64_t c_batch_strides[kMaxDims] = {};
  int64_t m = 0, n = 0, k = 0;
  const char* a = nullptr;
  int64_t rsa = 0, csa = 0;
  const char* b = nullptr;
  int64_t rsb = 0, csb = 0;
  char* c = nullptr;
  int64_t rsc = 0, csc = 0;
  double alpha = 1.0, beta = 0.0;
  DType dtype = DType::f32;
};
using GemmKernel = void (*)(const GemmArgs&);

// gather, scatter, scatter_add, index_select, index_add. The loop runs over `sizes` (the
// index tensor's shape for gather/scatter, the output's shape for index_select, the source's
// for index_add); along `dim` the position in `indexed` comes from `index`:
//   gather:       out[i]  = indexed[i with i[dim] = index[i]]
//   scatter(_add):indexed[i with i[dim] = index[i]] (+)= src[i]      (indexed is the output)
//   index_select: out[i]  = indexed[i with i[dim] = index[i[dim]]]   (index is 1-d)
//   index_add:    indexed[i with i[dim] = index[i[dim]]] += src[i]   (index is 1-d)
// Indices outside [-bound, bound) make the kernel throw IndexError; negatives wrap.
struct IndexArgs {
  int ndim = 0;
  int dim = 0;
  int64_t sizes[kMaxDims] = {};
  char* indexed = nullptr;
  int64_t indexed_strides[kMaxDims] = {};
  int64_t bound = 0;  // indexed's size along dim
  char* other = nullptr;  // out (gather, index_select) or src (scatter, index_add)
  int64_t other_strides[kMaxDims] = {};
  const int64_t* index = nullptr;
  int64_t index_strides[kMaxDims] = {};  // 1-d ops: only index_strides[0] is used
  DType dtype = DType::f32;
  double alpha = 1.0;  // scatter_add, index_add: src is scaled by alpha
};
using IndexKernel = void (*)(const IndexArgs&);

// masked_select over contiguous, same-shape input and bool mask; out has room for every
// selected element. Returns how many were written.
struct MaskedSelectArgs {
  int64_t numel = 0;
  const char* in = nullptr;
  const bool* mask = nullptr;
  char* out = nullptr;
  DType dtype = DType::f32;
};
using MaskedSelectKernel = int64_t (*)(const MaskedSelectArgs&);

// sort / topk along the last dim of a contiguous [rows, len] input. Outputs are contiguous
// [rows, k] (k = len for sort). Sort is stable; NaN sorts as the largest value.
struct SortArgs {
  int64_t rows = 0, len = 0, k = 0;
  const char* in = nullptr;
  char* values = nullptr;
  int64_t* indices = nullptr;
  bool descending = false;
  DType dtype = DType::f32;
};
using SortKernel = void (*)(const SortArgs&);

// unique over a contiguous input of `numel` elements: writes the sorted distinct values,
// (optionally) each input element's position in them and each value's count. Returns the
// number of distinct values.
struct UniqueArgs {
  int64_t numel = 0;
  const char* in = nullptr;
  char* values = nullptr;    // room for numel
  int64_t* inverse = nullptr;  // room for numel, or nullptr
  int64_t* counts = nullptr;   // room for numel, or nullptr
  DType dtype = DType::f32;
};
using UniqueKernel = int64_t (*)(const UniqueArgs&);

// Ops along one dim of a contiguous tensor viewed as [outer, len, inner]: cumsum, cumprod,
// softmax, log_softmax. in and out may have different dtypes only for scans (int -> i64).
struct DimArgs {
  int64_t outer = 0, len = 0, inner = 0;
  const char* in = nullptr;
  char* out = nullptr;
  DType in_dtype = DType::f32;
  DType out_dtype = DType::f32;
};
using DimKernel = void (*)(const DimArgs&);

}  // namespace ember
