// The reducers of the reduce family, shared by the CPU and CUDA kernels (kernels/cpu/reduce.cpp,
// kernels/cuda/reduce.cu) so both devices accumulate in the same types and apply the same NaN,
// tie and integer-wrap rules; each backend only decides the order in which it combines.
//
// A reducer has `Acc init()`, `step(acc, x, position)`, `merge(acc, later_acc)` and
// `store(out, index_out, dtype, acc, n)`; positions are row-major indices in the reduced region
// (argmax/argmin report them). kBatched reducers also take `batch<N>(acc, x)` for N elements
// loaded together (the CUDA kernel's vector loads).
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/dtype.h"
#include "kernels/functors.h"
#include "kernels/macros.h"

namespace ember::reducers {

template <typename T, typename V>
EMBER_HD T cast_to(V v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != V(0);
  } else if constexpr (is_half_v<T>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// Writes v converted to dtype `dt` at p (once per output, so the switch is off the hot loop).
template <typename V>
EMBER_HD void store_value(char* p, DType dt, V v) {
  switch (dt) {
#define EMBER_STORE_CASE(e, T, n)             \
  case DType::e:                              \
    *reinterpret_cast<T*>(p) = cast_to<T>(v); \
    return;
    EMBER_FORALL_DTYPES(EMBER_STORE_CASE)
#undef EMBER_STORE_CASE
  }
}

template <typename T>
using sum_acc_t =
    std::conditional_t<is_half_v<T>, float, std::conditional_t<is_float_v<T>, double, uint64_t>>;

template <typename In>
EMBER_HD sum_acc_t<In> widen(In x) {
  if constexpr (std::is_same_v<sum_acc_t<In>, uint64_t>) {
    return static_cast<uint64_t>(static_cast<int64_t>(x));  // wraps like the i64 result
  } else {
    return static_cast<sum_acc_t<In>>(static_cast<acc_t<In>>(x));
  }
}

// sum (and mean: divided by the reduced count when `mean`).
template <typename In>
struct SumOp {
  using Acc = sum_acc_t<In>;
  static constexpr bool kBatched = false;
  bool mean = false;
  EMBER_HD Acc init() const { return Acc(0); }
  EMBER_HD void step(Acc& a, In x, int64_t) const { a += widen(x); }
  EMBER_HD void merge(Acc& a, const Acc& b) const { a += b; }
  EMBER_HD void store(char* out, int64_t*, DType dt, const Acc& a, int64_t n) const {
    if constexpr (std::is_same_v<Acc, uint64_t>) {
      store_value(out, dt, static_cast<int64_t>(a));
    } else {
      store_value(out, dt, mean ? a / static_cast<Acc>(n) : a);
    }
  }
};

template <typename In>
struct ProdOp {
  using Acc = sum_acc_t<In>;
  static constexpr bool kBatched = false;
  EMBER_HD Acc init() const { return Acc(1); }
  EMBER_HD void step(Acc& a, In x, int64_t) const { a *= widen(x); }
  EMBER_HD void merge(Acc& a, const Acc& b) const { a *= b; }
  EMBER_HD void store(char* out, int64_t*, DType dt, const Acc& a, int64_t) const {
    if constexpr (std::is_same_v<Acc, uint64_t>) {
      store_value(out, dt, static_cast<int64_t>(a));
    } else {
      store_value(out, dt, a);
    }
  }
};

// amax (kMax) / amin. NaN is sticky: once an accumulator holds NaN, no comparison replaces it.
template <typename In, bool kMax>
struct ExtremeOp {
  using Acc = acc_t<In>;
  static constexpr bool kBatched = false;
  EMBER_HD Acc init() const {
    if constexpr (std::is_floating_point_v<Acc>) {
      return kMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    } else {
      return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
    }
  }
  EMBER_HD void step(Acc& a, In x, int64_t) const { merge(a, static_cast<Acc>(x)); }
  EMBER_HD void merge(Acc& a, const Acc& v) const {
    if constexpr (std::is_floating_point_v<Acc>) {
      a = ((kMax ? v > a : v < a) || v != v) ? v : a;
    } else {
      a = (kMax ? v > a : v < a) ? v : a;
    }
  }
  EMBER_HD void store(char* out, int64_t*, DType dt, const Acc& a, int64_t) const {
    store_value(out, dt, a);
  }
};

// all (kAll) / any: an element counts as true when it is nonzero (NaN included).
template <typename In, bool kAll>
struct LogicalOp {
  using Acc = bool;
  static constexpr bool kBatched = false;
  EMBER_HD Acc init() const { return kAll; }
  EMBER_HD void step(Acc& a, In x, int64_t) const {
    const bool nz = static_cast<acc_t<In>>(x) != acc_t<In>(0);
    a = kAll ? (a && nz) : (a || nz);
  }
  EMBER_HD void merge(Acc& a, const Acc& b) const { a = kAll ? (a && b) : (a || b); }
  EMBER_HD void store(char* out, int64_t*, DType dt, const Acc& a, int64_t) const {
    store_value(out, dt, a);
  }
};

// Running count, mean and M2 in double; partial results merge with Chan's formula.
struct Welford {
  double n = 0, mean = 0, m2 = 0;
};

// var with `correction` (1: the unbiased estimate).
template <typename In>
struct VarOp {
  using Acc = Welford;
  static constexpr bool kBatched = true;
  double correction = 1;
  EMBER_HD Acc init() const { return {}; }
  EMBER_HD void step(Acc& a, In x, int64_t) const {
    const double v = static_cast<double>(static_cast<acc_t<In>>(x));
    a.n += 1;
    const double d = v - a.mean;
    a.mean += d / a.n;
    a.m2 += d * (v - a.mean);
  }
  // N elements: their mean, then the squared deviations from it (exact for data with a large
  // offset), merged in with one Chan step.
  template <int N>
  EMBER_HD void batch(Acc& a, const In (&x)[N]) const {
    double v[N];
    double s = 0;
    for (int u = 0; u < N; ++u) {
      v[u] = static_cast<double>(static_cast<acc_t<In>>(x[u]));
      s += v[u];
    }
    const double m = s * (1.0 / N);
    double q = 0;
    for (int u = 0; u < N; ++u) q += (v[u] - m) * (v[u] - m);
    merge(a, {static_cast<double>(N), m, q});
  }
  EMBER_HD void merge(Acc& a, const Acc& b) const {
    if (b.n == 0) return;
    if (a.n == 0) {
      a = b;
      return;
    }
    const double n = a.n + b.n, d = b.mean - a.mean;
    a.mean += d * (b.n / n);
    a.m2 += b.m2 + d * d * (a.n * b.n / n);
    a.n = n;
  }
  EMBER_HD void store(char* out, int64_t*, DType dt, const Acc& a, int64_t) const {
    const double div = a.n - correction;
    store_value(out, dt, a.m2 / (div > 0.0 ? div : 0.0));
  }
};

// argmax (kMax) / argmin: the best value and its position; NaN beats every number, ties and
// NaN against NaN go to the smaller position.
template <typename V>
struct Best {
  V v{};
  int64_t i = -1;  // -1: nothing seen yet
};

template <typename In, bool kMax>
struct ArgOp {
  using V = acc_t<In>;
  using Acc = Best<V>;
  static constexpr bool kBatched = false;
  EMBER_HD static bool better(V x, V y) {
    if (fn::detail::is_nan(x)) return !fn::detail::is_nan(y);
    return kMax ? x > y : x < y;
  }
  EMBER_HD Acc init() const { return {}; }
  EMBER_HD void step(Acc& a, In x, int64_t i) const {
    const V v = static_cast<V>(x);
    if (a.i < 0 || better(v, a.v)) a = {v, i};
  }
  EMBER_HD void merge(Acc& a, const Acc& b) const {
    if (b.i < 0) return;
    if (a.i < 0 || better(b.v, a.v) || (!better(a.v, b.v) && b.i < a.i)) a = b;
  }
  EMBER_HD void store(char* out, int64_t* index, DType dt, const Acc& a, int64_t) const {
    store_value(out, dt, a.v);
    *index = a.i;
  }
};

}  // namespace ember::reducers
