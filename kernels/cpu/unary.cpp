// CPU kernels of the unary elementwise ops: each applies its functor from kernels/functors.h
// over a StridedLoop (operand 0 the output, operand 1 the input).
//
// Parallelism: the flat element range is split across OpenMP threads (cpu::parallel_for) once
// elements x per-op cost passes kParallelGrain; ops that call libm (exp, erf, ...) count
// kMathCost per element, so they go parallel at a few thousand elements, cheap ops at 32k.
// Vectorisation: each run of the innermost dim with unit strides is a plain indexed loop;
// cheap ops (neg, abs, relu, clamp, square, ...) vectorise there. libm calls stay scalar:
// glibc's vector math is only used under -ffast-math, which would break the NaN semantics.
// Numerics: f16/bf16 are widened to float, computed in float and rounded once on store.
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

constexpr int64_t kCheap = 1;
constexpr int64_t kMathCost = 8;

// out = f(in) elementwise, Out the output's storage type, In the input's.
template <typename Out, typename In, typename F>
void apply_unary(const StridedLoop& L, int64_t cost, const F& f) {
  const int64_t n = L.numel();
  if (n == 0) return;
  using A = acc_t<In>;
  parallel_for(n, n * cost, [&](int64_t begin, int64_t end) {
    for_each_run(L, begin, end, [&](char** p, const int64_t* s, int64_t count) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const In* a = reinterpret_cast<const In*>(p[1]);
      if (s[0] == 1 && s[1] == 1) {
        for (int64_t i = 0; i < count; ++i) o[i] = static_cast<Out>(f(static_cast<A>(a[i])));
      } else {
        const int64_t so = s[0], sa = s[1];
        for (int64_t i = 0; i < count; ++i)
          o[i * so] = static_cast<Out>(f(static_cast<A>(a[i * sa])));
      }
    });
  });
}

// Ops whose output dtype is the input's.
template <OpId kOp, typename F, unsigned kSet, int64_t kCost>
void unary_kernel(const StridedLoop& L, const ScalarArgs& args) {
  if (L.dtypes[1] != L.dtypes[0]) fn::mismatched_dtype(kOp, "cpu", 1, L.dtypes[1], L.dtypes[0]);
  const F f = fn::make_functor<F>(args);
  dispatch_dtype<kSet>(
      L.dtypes[0], [&]<typename T>() { apply_unary<T, T>(L, kCost, f); },
      [](DType d) { fn::unsupported_dtype(kOp, "cpu", d, kSet); });
}

// logical_not: any input dtype, bool output.
void logical_not_kernel(const StridedLoop& L, const ScalarArgs&) {
  if (L.dtypes[0] != DType::b8)
    fn::mismatched_dtype(OpId::logical_not, "cpu", 0, L.dtypes[0], DType::b8);
  dispatch_dtype<kAll>(
      L.dtypes[1], [&]<typename T>() { apply_unary<bool, T>(L, kCheap, fn::LogicalNot{}); },
      [](DType d) { fn::unsupported_dtype(OpId::logical_not, "cpu", d, kAll); });
}

}  // namespace

// Float-only math (the front end converts integer input to f32).
#define EMBER_FLOAT_UNARY(op, F, cost) \
  EMBER_REGISTER_KERNEL(cpu, op, (&unary_kernel<OpId::op, fn::F, kFloat, cost>))
// Ops that also run on integers in their own dtype.
#define EMBER_NUMERIC_UNARY(op, F) \
  EMBER_REGISTER_KERNEL(cpu, op, (&unary_kernel<OpId::op, fn::F, kFloat | kInt, kCheap>))

EMBER_NUMERIC_UNARY(neg, Neg);
EMBER_NUMERIC_UNARY(abs, Abs);
EMBER_NUMERIC_UNARY(sign, Sign);
EMBER_NUMERIC_UNARY(relu, Relu);
EMBER_NUMERIC_UNARY(square, Square);
EMBER_NUMERIC_UNARY(clamp, Clamp);
EMBER_FLOAT_UNARY(exp, Exp, kMathCost);
EMBER_FLOAT_UNARY(exp2, Exp2, kMathCost);
EMBER_FLOAT_UNARY(log, Log, kMathCost);
EMBER_FLOAT_UNARY(log2, Log2, kMathCost);
EMBER_FLOAT_UNARY(log1p, Log1p, kMathCost);
EMBER_FLOAT_UNARY(expm1, Expm1, kMathCost);
EMBER_FLOAT_UNARY(sqrt, Sqrt, kCheap);
EMBER_FLOAT_UNARY(rsqrt, Rsqrt, kCheap);
EMBER_FLOAT_UNARY(sin, Sin, kMathCost);
EMBER_FLOAT_UNARY(cos, Cos, kMathCost);
EMBER_FLOAT_UNARY(tan, Tan, kMathCost);
EMBER_FLOAT_UNARY(tanh, Tanh, kMathCost);
EMBER_FLOAT_UNARY(sigmoid, Sigmoid, kMathCost);
EMBER_FLOAT_UNARY(leaky_relu, LeakyRelu, kCheap);
EMBER_FLOAT_UNARY(gelu, Gelu, kMathCost);
EMBER_FLOAT_UNARY(gelu_tanh, GeluTanh, kMathCost);
EMBER_FLOAT_UNARY(silu, Silu, kMathCost);
EMBER_FLOAT_UNARY(softplus, Softplus, kMathCost);
EMBER_FLOAT_UNARY(floor, Floor, kCheap);
EMBER_FLOAT_UNARY(ceil, Ceil, kCheap);
EMBER_FLOAT_UNARY(round, Round, kCheap);
EMBER_FLOAT_UNARY(trunc, Trunc, kCheap);
EMBER_FLOAT_UNARY(reciprocal, Reciprocal, kCheap);
EMBER_FLOAT_UNARY(erf, Erf, kMathCost);
EMBER_REGISTER_KERNEL(cpu, logical_not, &logical_not_kernel);

#undef EMBER_FLOAT_UNARY
#undef EMBER_NUMERIC_UNARY

}  // namespace ember::cpu
