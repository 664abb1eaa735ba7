// CUDA kernels of the ternary elementwise ops over a broadcasting StridedLoop with four
// operands (0 the output): where (operand 1 the bool condition, 2 and 3 the values, any dtype,
// selected as stored bits) and lerp (floating dtypes, f16/bf16 computed in float and rounded
// once), with the CPU's functors from kernels/functors.h.
//
// Design: one grid-stride launch on the elementwise driver (kernels/cuda/elementwise.h): contiguous
// operands take the fast path (16-byte vector loads/stores when every base is aligned; see the
// driver), broadcast and strided ones decompose coordinates.
#include "kernels/cuda/elementwise.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// kernels

template <typename T>
struct WhereOp {
  using Out = T;
  using Ins = TypeList<bool, T, T>;
  static constexpr int kOperands = 4;
  __device__ T apply(bool cond, T a, T b) const { return fn::Where{}(cond, a, b); }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

template <typename T>
struct LerpOp {
  using Out = T;
  using Ins = TypeList<T, T, T>;
  static constexpr int kOperands = 4;
  __device__ T apply(T a, T b, T w) const {
    return static_cast<T>(fn::Lerp{}(static_cast<acc_t<T>>(a), static_cast<acc_t<T>>(b),
                                     static_cast<acc_t<T>>(w)));
  }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

// launchers

void check_operands(OpId op, const StridedLoop& L) {
  EMBER_CHECK(L.nops == 4, ValueError, op_name(op), ": the cuda kernel expects 4 operands; got ",
              L.nops);
}

void where_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_operands(OpId::where, L);
  const DType dt = L.dtypes[0];
  if (L.dtypes[1] != DType::b8)
    fn::mismatched_dtype(OpId::where, "cuda", 1, L.dtypes[1], DType::b8);
  for (int k = 2; k < 4; ++k)
    if (L.dtypes[k] != dt) fn::mismatched_dtype(OpId::where, "cuda", k, L.dtypes[k], dt);
  dispatch_dtype<kAll>(
      dt, [&]<typename T>() { run_elementwise(L, WhereOp<T>{}); },
      [](DType d) { fn::unsupported_dtype(OpId::where, "cuda", d, kAll); });
}

void lerp_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_operands(OpId::lerp, L);
  const DType dt = L.dtypes[0];
  for (int k = 1; k < 4; ++k)
    if (L.dtypes[k] != dt) fn::mismatched_dtype(OpId::lerp, "cuda", k, L.dtypes[k], dt);
  dispatch_dtype<kFloat>(
      dt, [&]<typename T>() { run_elementwise(L, LerpOp<T>{}); },
      [](DType d) { fn::unsupported_dtype(OpId::lerp, "cuda", d, kFloat); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, where, &where_kernel);
EMBER_REGISTER_KERNEL(cuda, lerp, &lerp_kernel);

}  // namespace ember::cuda
