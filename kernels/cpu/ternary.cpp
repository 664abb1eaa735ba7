// CPU kernels of the ternary elementwise ops, where and lerp, over a broadcasting StridedLoop
// with four operands (0 the output). where: operand 1 is the bool condition, 2 and 3 the
// values, any dtype, selected as stored bits (no float round trip). lerp: floating dtypes,
// f16/bf16 computed in float and rounded once.
//
// Parallelism as in the other elementwise kernels (cpu::parallel_for over the flat range past
// kParallelGrain). Runs with unit strides everywhere take a plain indexed loop the compiler
// vectorises; everything else (broadcast scalars included) takes the strided loop.
#include "kernels/cpu/loops.h"
#include "kernels/functors.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

// out = f(a, b, c) on the stored values; f does any widening itself.
template <typename Out, typename InA, typename InB, typename InC, typename F>
void apply_ternary(const StridedLoop& L, const F& f) {
  const int64_t n = L.numel();
  if (n == 0) return;
  parallel_for(n, n, [&](int64_t begin, int64_t end) {
    for_each_run(L, begin, end, [&](char** p, const int64_t* s, int64_t count) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const InA* a = reinterpret_cast<const InA*>(p[1]);
      const InB* b = reinterpret_cast<const InB*>(p[2]);
      const InC* c = reinterpret_cast<const InC*>(p[3]);
      if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
        for (int64_t i = 0; i < count; ++i) o[i] = f(a[i], b[i], c[i]);
      } else {
        const int64_t so = s[0], sa = s[1], sb = s[2], sc = s[3];
        for (int64_t i = 0; i < count; ++i) o[i * so] = f(a[i * sa], b[i * sb], c[i * sc]);
      }
    });
  });
}

void where_kernel(const StridedLoop& L, const ScalarArgs&) {
  const DType dt = L.dtypes[0];
  if (L.dtypes[1] != DType::b8) fn::mismatched_dtype(OpId::where, "cpu", 1, L.dtypes[1], DType::b8);
  for (int k = 2; k < 4; ++k)
    if (L.dtypes[k] != dt) fn::mismatched_dtype(OpId::where, "cpu", k, L.dtypes[k], dt);
  dispatch_dtype<kAll>(
      dt, [&]<typename T>() { apply_ternary<T, bool, T, T>(L, fn::Where{}); },
      [](DType d) { fn::unsupported_dtype(OpId::where, "cpu", d, kAll); });
}

void lerp_kernel(const StridedLoop& L, const ScalarArgs&) {
  const DType dt = L.dtypes[0];
  for (int k = 1; k < 4; ++k)
    if (L.dtypes[k] != dt) fn::mismatched_dtype(OpId::lerp, "cpu", k, L.dtypes[k], dt);
  dispatch_dtype<kFloat>(
      dt,
      [&]<typename T>() {
        using A = acc_t<T>;
        apply_ternary<T, T, T, T>(L, [](T a, T b, T w) {
          return static_cast<T>(
              fn::Lerp{}(static_cast<A>(a), static_cast<A>(b), static_cast<A>(w)));
        });
      },
      [](DType d) { fn::unsupported_dtype(OpId::lerp, "cpu", d, kFloat); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, where, &where_kernel);
EMBER_REGISTER_KERNEL(cpu, lerp, &lerp_kernel);

}  // namespace ember::cpu
