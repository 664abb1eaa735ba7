// CUDA kernels of the unary elementwise ops: out = f(in) with the functor of kernels/functors.h
// that the CPU kernels use, so NaN, signed-zero, integer-wrap and saturation rules are the
// CPU's by construction.
//
// Design: one grid-stride launch per call on the elementwise driver (kernels/cuda/elementwise.h;
// contiguous aligned loops take its 16-byte vector path, other contiguous ones the scalar fast
// path, strided/broadcast loops decompose coordinates). Numerics: the element is widened to acc_t
// (float for f16/bf16), computed there and rounded once on store, as on the CPU. The launcher
// checks the operand dtypes, dispatches the dtype on the host and the launch is checked by launch()
// (errors surface as DeviceError).
#include "kernels/cuda/elementwise.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// kernels

template <typename OutT, typename In, typename F>
struct UnaryOp {
  using Out = OutT;
  using Ins = TypeList<In>;
  static constexpr int kOperands = 2;
  F f;
  __device__ Out apply(In x) const { return static_cast<Out>(f(static_cast<acc_t<In>>(x))); }
  __device__ void operator()(char* const* p, int64_t) const { apply_pointers(*this, p); }
};

// launchers

void check_operands(OpId op, const StridedLoop& L) {
  EMBER_CHECK(L.nops == 2, ValueError, op_name(op), ": the cuda kernel expects 2 operands; got ",
              L.nops);
}

// Ops whose output dtype is the input's.
template <OpId kOp, typename F, unsigned kSet>
void unary_kernel(const StridedLoop& L, const ScalarArgs& args) {
  check_operands(kOp, L);
  if (L.dtypes[1] != L.dtypes[0]) fn::mismatched_dtype(kOp, "cuda", 1, L.dtypes[1], L.dtypes[0]);
  const F f = fn::make_functor<F>(args);
  dispatch_dtype<kSet>(
      L.dtypes[0], [&]<typename T>() { run_elementwise(L, UnaryOp<T, T, F>{f}); },
      [](DType d) { fn::unsupported_dtype(kOp, "cuda", d, kSet); });
}

// logical_not: any input dtype, bool output.
void logical_not_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_operands(OpId::logical_not, L);
  if (L.dtypes[0] != DType::b8)
    fn::mismatched_dtype(OpId::logical_not, "cuda", 0, L.dtypes[0], DType::b8);
  dispatch_dtype<kAll>(
      L.dtypes[1], [&]<typename T>() { run_elementwise(L, UnaryOp<bool, T, fn::LogicalNot>{}); },
      [](DType d) { fn::unsupported_dtype(OpId::logical_not, "cuda", d, kAll); });
}

}  // namespace

#define EMBER_FLOAT_UNARY(op, F) \
  EMBER_REGISTER_KERNEL(cuda, op, (&unary_kernel<OpId::op, fn::F, kFloat>))
#define EMBER_NUMERIC_UNARY(op, F) \
  EMBER_REGISTER_KERNEL(cuda, op, (&unary_kernel<OpId::op, fn::F, kFloat | kInt>))

EMBER_NUMERIC_UNARY(neg, Neg);
EMBER_NUMERIC_UNARY(abs, Abs);
EMBER_NUMERIC_UNARY(sign, Sign);
EMBER_NUMERIC_UNARY(relu, Relu);
EMBER_NUMERIC_UNARY(square, Square);
EMBER_NUMERIC_UNARY(clamp, Clamp);
EMBER_FLOAT_UNARY(exp, Exp);
EMBER_FLOAT_UNARY(exp2, Exp2);
EMBER_FLOAT_UNARY(log, Log);
EMBER_FLOAT_UNARY(log2, Log2);
EMBER_FLOAT_UNARY(log1p, Log1p);
EMBER_FLOAT_UNARY(expm1, Expm1);
EMBER_FLOAT_UNARY(sqrt, Sqrt);
EMBER_FLOAT_UNARY(rsqrt, Rsqrt);
EMBER_FLOAT_UNARY(sin, Sin);
EMBER_FLOAT_UNARY(cos, Cos);
EMBER_FLOAT_UNARY(tan, Tan);
EMBER_FLOAT_UNARY(tanh, Tanh);
EMBER_FLOAT_UNARY(sigmoid, Sigmoid);
EMBER_FLOAT_UNARY(leaky_relu, LeakyRelu);
EMBER_FLOAT_UNARY(gelu, Gelu);
EMBER_FLOAT_UNARY(gelu_tanh, GeluTanh);
EMBER_FLOAT_UNARY(silu, Silu);
EMBER_FLOAT_UNARY(softplus, Softplus);
EMBER_FLOAT_UNARY(floor, Floor);
EMBER_FLOAT_UNARY(ceil, Ceil);
EMBER_FLOAT_UNARY(round, Round);
EMBER_FLOAT_UNARY(trunc, Trunc);
EMBER_FLOAT_UNARY(reciprocal, Reciprocal);
EMBER_FLOAT_UNARY(erf, Erf);
EMBER_REGISTER_KERNEL(cuda, logical_not, &logical_not_kernel);

#undef EMBER_FLOAT_UNARY
#undef EMBER_NUMERIC_UNARY

}  // namespace ember::cuda
