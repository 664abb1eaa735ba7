// CUDA kernels of the binary elementwise ops: out = f(a, b) over a broadcasting StridedLoop
// with the functors of kernels/functors.h that the CPU kernels use (compare and logical ops
// write bool), so NaN propagation in maximum/minimum, integer wrap and pow's integer rules are
// the CPU's by construction.
//
// Design: one grid-stride launch on the elementwise driver (kernels/cuda/elementwise.h): contiguous
// operands take the fast path (16-byte vector loads/stores when every base is aligned; see the
// driver), broadcast inputs (stride 0) and views the strided one. f16/bf16 compute in float and
// round once. Integer fmod by zero cannot throw on the device: the kernel raises a flag in device
// memory and the launcher throws ValueError after the launch, with the CPU kernel's message.
#include <type_traits>

#include "kernels/cuda/device_api.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/workspace.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// kernels

template <typename OutT, typename In, typename F>
struct BinaryOp {
  using Out = OutT;
  using Ins = TypeList<In, In>;
  static constexpr int kOperands = 3;
  F f;
  __device__ Out apply(In a, In b) const {
    return static_cast<Out>(f(static_cast<acc_t<In>>(a), static_cast<acc_t<In>>(b)));
  }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

// Integer fmod: a zero divisor sets *zero_divisor (every writer stores the same 1).
template <typename T>
struct IntFmodOp {
  static constexpr int kOperands = 3;
  int* zero_divisor;
  __device__ void operator()(char* const* p, int64_t) const {
    const T b = load<T>(p[2]);
    if (b == 0) *zero_divisor = 1;
    store<T>(p[0], fn::Fmod{}(load<T>(p[1]), b));
  }
};

// launchers

void check_dtype(OpId op, const StridedLoop& L, int operand, DType expected) {
  if (L.dtypes[operand] != expected)
    fn::mismatched_dtype(op, "cuda", operand, L.dtypes[operand], expected);
}

void check_operands(OpId op, const StridedLoop& L) {
  EMBER_CHECK(L.nops == 3, ValueError, op_name(op), ": the cuda kernel expects 3 operands; got ",
              L.nops);
}

template <OpId kOp, typename F, unsigned kSet>
void binary_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_operands(kOp, L);
  check_dtype(kOp, L, 1, L.dtypes[0]);
  check_dtype(kOp, L, 2, L.dtypes[0]);
  dispatch_dtype<kSet>(
      L.dtypes[0], [&]<typename T>() { run_elementwise(L, BinaryOp<T, T, F>{}); },
      [](DType d) { fn::unsupported_dtype(kOp, "cuda", d, kSet); });
}

template <OpId kOp, typename F>
void predicate_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_operands(kOp, L);
  check_dtype(kOp, L, 0, DType::b8);
  check_dtype(kOp, L, 2, L.dtypes[1]);
  dispatch_dtype<kAll>(
      L.dtypes[1], [&]<typename T>() { run_elementwise(L, BinaryOp<bool, T, F>{}); },
      [](DType d) { fn::unsupported_dtype(kOp, "cuda", d, kAll); });
}

void fmod_kernel(const StridedLoop& L, const ScalarArgs&) {
  constexpr unsigned kSet = kFloat | kInt;
  check_operands(OpId::fmod, L);
  check_dtype(OpId::fmod, L, 1, L.dtypes[0]);
  check_dtype(OpId::fmod, L, 2, L.dtypes[0]);
  dispatch_dtype<kSet>(
      L.dtypes[0],
      [&]<typename T>() {
        if constexpr (std::is_integral_v<T>) {
          if (L.numel() == 0) return;
          DeviceBuffer<int> flag(1);
          int zero_divisor = 0;
          device_memset(flag.get(), 0, sizeof(int));
          run_elementwise(L, IntFmodOp<T>{flag.get()});
          memcpy_d2h(&zero_divisor, flag.get(), sizeof(int));
          if (zero_divisor != 0) {
            throw ValueError(str("fmod: integer division by zero (a divisor element is 0, dtype ",
                                 dtype_name(L.dtypes[0]),
                                 "); integer fmod needs nonzero divisors"));
          }
        } else {
          run_elementwise(L, BinaryOp<T, T, fn::Fmod>{});
        }
      },
      [](DType d) { fn::unsupported_dtype(OpId::fmod, "cuda", d, kSet); });
}

}  // namespace

#define EMBER_BINARY(op, F, set) \
  EMBER_REGISTER_KERNEL(cuda, op, (&binary_kernel<OpId::op, fn::F, set>))
#define EMBER_PREDICATE(op, F) EMBER_REGISTER_KERNEL(cuda, op, (&predicate_kernel<OpId::op, fn::F>))

EMBER_BINARY(add, Add, kFloat | kInt);
EMBER_BINARY(sub, Sub, kFloat | kInt);
EMBER_BINARY(mul, Mul, kFloat | kInt);
EMBER_BINARY(div, Div, kFloat);
EMBER_BINARY(pow, Pow, kFloat | kInt);
EMBER_BINARY(maximum, Maximum, kFloat | kInt);
EMBER_BINARY(minimum, Minimum, kFloat | kInt);
EMBER_BINARY(atan2, Atan2, kFloat);
EMBER_REGISTER_KERNEL(cuda, fmod, &fmod_kernel);
EMBER_PREDICATE(eq, Eq);
EMBER_PREDICATE(ne, Ne);
EMBER_PREDICATE(lt, Lt);
EMBER_PREDICATE(le, Le);
EMBER_PREDICATE(gt, Gt);
EMBER_PREDICATE(ge, Ge);
EMBER_PREDICATE(logical_and, LogicalAnd);
EMBER_PREDICATE(logical_or, LogicalOr);

#undef EMBER_BINARY
#undef EMBER_PREDICATE

}  // namespace ember::cuda
