// CPU kernels of the binary elementwise ops: each applies its functor from kernels/functors.h
// over a broadcasting StridedLoop (operand 0 the output, operands 1 and 2 the inputs, already
// in one compute dtype; compare and logical ops write bool).
//
// Parallelism: the flat element range is split across OpenMP threads once elements x per-op
// cost passes kParallelGrain (pow, atan2 and fmod call libm and count kMathCost).
// Vectorisation: runs of the innermost dim get one of three plain indexed loops: all unit
// strides, or one input broadcast along the run (a tensor-scalar op), which the compiler
// vectorises for the cheap ops (add, mul, maximum, compares, ...); any other layout takes the
// strided loop. Contiguous f32 add is a single vectorised loop per thread, so it runs at memory
// bandwidth. Numerics: f16/bf16 compute in float and round once; integers wrap on overflow.
#include <atomic>

#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

constexpr int64_t kCheap = 1;
constexpr int64_t kMathCost = 8;

// out = f(a, b), Out the output's storage type, In the inputs'.
template <typename Out, typename In, typename F>
void apply_binary(const StridedLoop& L, int64_t cost, const F& f) {
  const int64_t n = L.numel();
  if (n == 0) return;
  using A = acc_t<In>;
  parallel_for(n, n * cost, [&](int64_t begin, int64_t end) {
    for_each_run(L, begin, end, [&](char** p, const int64_t* s, int64_t count) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const In* a = reinterpret_cast<const In*>(p[1]);
      const In* b = reinterpret_cast<const In*>(p[2]);
      if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
        for (int64_t i = 0; i < count; ++i)
          o[i] = static_cast<Out>(f(static_cast<A>(a[i]), static_cast<A>(b[i])));
      } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
        const A bv = static_cast<A>(b[0]);
        for (int64_t i = 0; i < count; ++i) o[i] = static_cast<Out>(f(static_cast<A>(a[i]), bv));
      } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
        const A av = static_cast<A>(a[0]);
        for (int64_t i = 0; i < count; ++i) o[i] = static_cast<Out>(f(av, static_cast<A>(b[i])));
      } else {
        const int64_t so = s[0], sa = s[1], sb = s[2];
        for (int64_t i = 0; i < count; ++i)
          o[i * so] = static_cast<Out>(f(static_cast<A>(a[i * sa]), static_cast<A>(b[i * sb])));
      }
    });
  });
}

void check_dtype(OpId op, const StridedLoop& L, int operand, DType expected) {
  if (L.dtypes[operand] != expected)
    fn::mismatched_dtype(op, "cpu", operand, L.dtypes[operand], expected);
}

// Ops whose output dtype is the inputs'.
template <OpId kOp, typename F, unsigned kSet, int64_t kCost>
void binary_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_dtype(kOp, L, 1, L.dtypes[0]);
  check_dtype(kOp, L, 2, L.dtypes[0]);
  dispatch_dtype<kSet>(
      L.dtypes[0], [&]<typename T>() { apply_binary<T, T>(L, kCost, F{}); },
      [](DType d) { fn::unsupported_dtype(kOp, "cpu", d, kSet); });
}

// Compare and logical ops: inputs of any dtype, bool output.
template <OpId kOp, typename F>
void predicate_kernel(const StridedLoop& L, const ScalarArgs&) {
  check_dtype(kOp, L, 0, DType::b8);
  check_dtype(kOp, L, 2, L.dtypes[1]);
  dispatch_dtype<kAll>(
      L.dtypes[1], [&]<typename T>() { apply_binary<bool, T>(L, kCheap, F{}); },
      [](DType d) { fn::unsupported_dtype(kOp, "cpu", d, kAll); });
}

// fmod: integer divisors of zero are recorded inside the parallel region and raised after it.
void fmod_kernel(const StridedLoop& L, const ScalarArgs&) {
  constexpr unsigned kSet = kFloat | kInt;
  check_dtype(OpId::fmod, L, 1, L.dtypes[0]);
  check_dtype(OpId::fmod, L, 2, L.dtypes[0]);
  dispatch_dtype<kSet>(
      L.dtypes[0],
      [&]<typename T>() {
        if constexpr (std::is_integral_v<T>) {
          std::atomic<bool> zero_divisor{false};
          apply_binary<T, T>(L, kMathCost, [&zero_divisor](T a, T b) {
            if (b == 0) zero_divisor.store(true, std::memory_order_relaxed);
            return fn::Fmod{}(a, b);
          });
          if (zero_divisor.load()) {
            throw ValueError(str("fmod: integer division by zero (a divisor element is 0, dtype ",
                                 dtype_name(L.dtypes[0]),
                                 "); integer fmod needs nonzero divisors"));
          }
        } else {
          apply_binary<T, T>(L, kMathCost, fn::Fmod{});
        }
      },
      [](DType d) { fn::unsupported_dtype(OpId::fmod, "cpu", d, kSet); });
}

}  // namespace

#define EMBER_BINARY(op, F, set, cost) \
  EMBER_REGISTER_KERNEL(cpu, op, (&binary_kernel<OpId::op, fn::F, set, cost>))
#define EMBER_PREDICATE(op, F) EMBER_REGISTER_KERNEL(cpu, op, (&predicate_kernel<OpId::op, fn::F>))

EMBER_BINARY(add, Add, kFloat | kInt, kCheap);
EMBER_BINARY(sub, Sub, kFloat | kInt, kCheap);
EMBER_BINARY(mul, Mul, kFloat | kInt, kCheap);
EMBER_BINARY(div, Div, kFloat, kCheap);
EMBER_BINARY(pow, Pow, kFloat | kInt, kMathCost);
EMBER_BINARY(maximum, Maximum, kFloat | kInt, kCheap);
EMBER_BINARY(minimum, Minimum, kFloat | kInt, kCheap);
EMBER_BINARY(atan2, Atan2, kFloat, kMathCost);
EMBER_REGISTER_KERNEL(cpu, fmod, &fmod_kernel);
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

}  // namespace ember::cpu
