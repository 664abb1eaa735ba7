// CUDA fills, with the values of kernels/cpu/fill.cpp: constant (fill, any strided output),
// ranges (arange, linspace: contiguous 1-d outputs) and the triangle mask behind tril/triu (tri).
//
// Design: all four run on the grid-stride elementwise driver (kernels/cuda/elementwise.h),
// coalesced on contiguous data; fill stores 16 bytes per thread-iteration on aligned contiguous
// outputs (the driver's vector path), the others one element per thread-iteration. fill converts
// its double once on the host. arange and linspace compute element i in double exactly as the CPU
// does (start + i * step; linspace counts up from start in its first half and down from end in its
// second, so both endpoints are exact) with the products and sums rounded separately
// (__dmul_rn/__dadd_rn: nvcc would otherwise fuse them into an FMA), then convert through acc_t
// like the CPU, so the values are bit-identical. tri reads the loop's flat index as (..., row, col)
// of the uncoalesced [..., rows, cols] loop and keeps or zeroes each element by the sign of col -
// row - diagonal.
#include <type_traits>

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/rounding.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// The CPU's conversion of a computed double to the element type.
template <typename T>
__device__ __host__ __forceinline__ T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else {
    return static_cast<T>(static_cast<acc_t<T>>(v));
  }
}

// kernels

template <typename T>
struct FillOp {
  using Out = T;
  using Ins = TypeList<>;
  static constexpr int kOperands = 1;
  T value;
  __device__ T apply() const { return value; }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

// start + i * step.
template <typename T>
struct ArangeOp {
  static constexpr int kOperands = 1;
  double start, step;
  __device__ void operator()(char* const* p, int64_t i) const {
    const double v = add_rn(start, mul_rn(static_cast<double>(i), step));
    *reinterpret_cast<T*>(p[0]) = from_double<T>(v);
  }
};

// i < half: start + step * i; else end - step * (n - 1 - i).
template <typename T>
struct LinspaceOp {
  static constexpr int kOperands = 1;
  double start, end, step;
  int64_t n, half;
  __device__ void operator()(char* const* p, int64_t i) const {
    const double v = i < half ? add_rn(start, mul_rn(step, static_cast<double>(i)))
                              : sub_rn(end, mul_rn(step, static_cast<double>(n - 1 - i)));
    *reinterpret_cast<T*>(p[0]) = from_double<T>(v);
  }
};

// tril (upper = false) keeps col - row <= diagonal; triu keeps col - row >= diagonal.
template <typename T>
struct TriOp {
  static constexpr int kOperands = 2;
  int64_t rows, cols, diagonal;
  bool upper;
  __device__ void operator()(char* const* p, int64_t i) const {
    const int64_t col = i % cols, row = (i / cols) % rows;
    const bool keep = upper ? col - row >= diagonal : col - row <= diagonal;
    *reinterpret_cast<T*>(p[0]) = keep ? *reinterpret_cast<const T*>(p[1]) : T{};
  }
};

// launchers

[[noreturn]] void unsupported(OpId op, DType d, unsigned set) {
  fn::unsupported_dtype(op, "cuda", d, set);
}

void check_1d_output(OpId op, const StridedLoop& L) {
  EMBER_CHECK(L.nops == 1 && is_contiguous(L), ValueError, op_name(op),
              ": the cuda kernel expects one contiguous output operand");
}

// a = value.
void fill_entry(const StridedLoop& L, const ScalarArgs& args) {
  EMBER_CHECK(L.nops == 1, ValueError, "fill: the cuda kernel expects 1 operand; got ", L.nops);
  dispatch_dtype<kAll>(
      L.dtypes[0], [&]<typename T>() { run_elementwise(L, FillOp<T>{from_double<T>(args.a)}); },
      [](DType d) { unsupported(OpId::fill, d, kAll); });
}

// a = start, b = step.
void arange_entry(const StridedLoop& L, const ScalarArgs& args) {
  check_1d_output(OpId::arange, L);
  constexpr unsigned kSet = kFloat | kInt;
  dispatch_dtype<kSet>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, ArangeOp<T>{args.a, args.b});
      },
      [](DType d) { unsupported(OpId::arange, d, kSet); });
}

// a = start, b = end.
void linspace_entry(const StridedLoop& L, const ScalarArgs& args) {
  check_1d_output(OpId::linspace, L);
  constexpr unsigned kSet = kFloat | kInt;
  const int64_t n = L.numel();
  const double step = n > 1 ? (args.b - args.a) / static_cast<double>(n - 1) : 0.0;
  const int64_t half = (n + 1) / 2;  // n == 1: the one value is start
  dispatch_dtype<kSet>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, LinspaceOp<T>{args.a, args.b, step, n, half});
      },
      [](DType d) { unsupported(OpId::linspace, d, kSet); });
}

// Uncoalesced loop over [..., rows, cols] with out and in. a = diagonal, b = 1 for triu.
void tri_entry(const StridedLoop& L, const ScalarArgs& args) {
  EMBER_CHECK(L.nops == 2 && L.ndim >= 2, ValueError,
              "tri: the cuda kernel expects 2 operands over [..., rows, cols]; got ", L.nops,
              " operands and ", L.ndim, " dims");
  if (L.dtypes[1] != L.dtypes[0]) {
    fn::mismatched_dtype(OpId::tri, "cuda", 1, L.dtypes[1], L.dtypes[0]);
  }
  const int64_t rows = L.sizes[L.ndim - 2], cols = L.sizes[L.ndim - 1];
  const auto diagonal = static_cast<int64_t>(args.a);
  const bool upper = args.b != 0.0;
  if (rows == 0 || cols == 0) return;
  dispatch_dtype<kAll>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, TriOp<T>{rows, cols, diagonal, upper});
      },
      [](DType d) { unsupported(OpId::tri, d, kAll); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, fill, &fill_entry);
EMBER_REGISTER_KERNEL(cuda, arange, &arange_entry);
EMBER_REGISTER_KERNEL(cuda, linspace, &linspace_entry);
EMBER_REGISTER_KERNEL(cuda, tri, &tri_entry);

}  // namespace ember::cuda
