// The scalar math of every unary, binary and ternary elementwise op: one functor per op,
// EMBER_HD so the CPU kernels (kernels/cpu/{unary,binary,ternary}.cpp) and the CUDA ones share it.
//
// Conventions. A functor is called with the arithmetic type of the element (acc_t: float for
// f16/bf16, the type itself otherwise), so it sees float, double or an integer type; compare and
// logical functors return bool. Parameters (slopes, bounds) are double members read from
// ScalarArgs and converted to the element type on use. Integer arithmetic wraps around like
// two's-complement hardware (done in the unsigned type: signed overflow is undefined in C++);
// no integer functor can trap, so kernels stay crash-free whatever the input.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/kernel_args.h"
#include "kernels/macros.h"
#include "kernels/op_table.h"

namespace ember::fn {

namespace detail {

template <class T>
inline constexpr bool kSignedInt = (std::is_integral_v<T> && std::is_signed_v<T>);
template <class T>
inline constexpr bool kUnsignedInt = (std::is_integral_v<T> && std::is_unsigned_v<T>);

template <class T>
EMBER_HD T wrap_add(T a, T b) {
  if constexpr (kSignedInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return static_cast<T>(a + b);
  }
}
template <class T>
EMBER_HD T wrap_sub(T a, T b) {
  if constexpr (kSignedInt<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return static_cast<T>(a - b);
  }
}
template <class T>
EMBER_HD T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(int)) {
    return static_cast<T>(a * b);  // promoted to int, where the product cannot overflow
  } else if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

template <class T>
EMBER_HD bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else {
    return false;
  }
}

// v converted to T, saturating at T's range for integers (so clamp(-inf, ...) is no bound).
template <class T>
EMBER_HD T saturate(double v) {
  if constexpr (std::is_integral_v<T>) {
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

// Stable logistic: exp of a non-positive number only, so it never overflows.
template <class T>
EMBER_HD T sigmoid(T x) {
  T e = std::exp(-std::fabs(x));
  T s = T(1) / (T(1) + e);
  return x >= T(0) ? s : e * s;
}

}  // namespace detail

// --- unary ------------------------------------------------------------------------------------

struct Neg {
  template <class T>
  EMBER_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>)
      return detail::wrap_sub(T(0), x);
    else
      return -x;
  }
};
struct Abs {
  template <class T>
  EMBER_HD T operator()(T x) const {
    if constexpr (detail::kUnsignedInt<T>)
      return x;
    else if constexpr (std::is_integral_v<T>)
      return x < 0 ? detail::wrap_sub(T(0), x) : x;
    else
      return std::fabs(x);
  }
};
// -1, 0 or +1; NaN stays NaN (and -0.0 stays -0.0).
struct Sign {
  template <class T>
  EMBER_HD T operator()(T x) const {
    if constexpr (detail::kUnsignedInt<T>)
      return x > 0 ? T(1) : T(0);
    else
      return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;
  }
};
struct Exp {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::exp(x);
  }
};
struct Exp2 {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::exp2(x);
  }
};
struct Log {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::log(x);
  }
};
struct Log2 {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::log2(x);
  }
};
struct Log1p {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::log1p(x);
  }
};
struct Expm1 {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::expm1(x);
  }
};
struct Sqrt {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::sqrt(x);
  }
};
struct Rsqrt {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return T(1) / std::sqrt(x);
  }
};
struct Sin {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::sin(x);
  }
};
struct Cos {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::cos(x);
  }
};
struct Tan {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::tan(x);
  }
};
struct Tanh {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::tanh(x);
  }
};
struct Sigmoid {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return detail::sigmoid(x);
  }
};
// max(x, 0) with NaN propagated.
struct Relu {
  template <class T>
  EMBER_HD T operator()(T x) const {
    if constexpr (detail::kUnsignedInt<T>)
      return x;
    else
      return x < T(0) ? T(0) : x;
  }
};
struct LeakyRelu {
  double slope = 0.01;  // ScalarArgs.a
  template <class T>
  EMBER_HD T operator()(T x) const {
    return x > T(0) ? x : x * static_cast<T>(slope);
  }
};
// 0.5 x (1 + erf(x / sqrt 2)), written with erfc so it keeps its relative accuracy for
// negative x, where 1 + erf cancels.
struct Gelu {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return T(0.5) * x * std::erfc(-x * T(0.70710678118654752440));
  }
};
// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), as x * sigmoid(2u): the same value
// without the cancellation of 1 + tanh for negative x.
struct GeluTanh {
  template <class T>
  EMBER_HD T operator()(T x) const {
    T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    return x * detail::sigmoid(T(2) * u);
  }
};
struct Silu {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return x * detail::sigmoid(x);
  }
};
// log(1 + exp(beta x)) / beta, and x itself once beta x > threshold (PyTorch's rule). The log
// term is evaluated as max(z, 0) + log1p(exp(-|z|)), which cannot overflow.
struct Softplus {
  double beta = 1.0;        // ScalarArgs.a
  double threshold = 20.0;  // ScalarArgs.b
  template <class T>
  EMBER_HD T operator()(T x) const {
    const T b = static_cast<T>(beta);
    const T z = x * b;
    if (z > static_cast<T>(threshold)) return x;
    return (std::fmax(z, T(0)) + std::log1p(std::exp(-std::fabs(z)))) / b;
  }
};
struct Floor {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::floor(x);
  }
};
struct Ceil {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::ceil(x);
  }
};
// Half-way cases to even (2.5 -> 2, 3.5 -> 4), like PyTorch and NumPy.
struct Round {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::nearbyint(x);
  }
};
struct Trunc {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::trunc(x);
  }
};
// min(max(x, lo), hi): hi wins when lo > hi, NaN propagates. Infinite bounds mean no bound.
struct Clamp {
  double lo = -INFINITY;  // ScalarArgs.a
  double hi = INFINITY;   // ScalarArgs.b
  template <class T>
  EMBER_HD T operator()(T x) const {
    const T l = detail::saturate<T>(lo), h = detail::saturate<T>(hi);
    T r = x < l ? l : x;
    return r > h ? h : r;
  }
};
struct Reciprocal {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return T(1) / x;
  }
};
struct Square {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return detail::wrap_mul(x, x);
  }
};
struct Erf {
  template <class T>
  EMBER_HD T operator()(T x) const {
    return std::erf(x);
  }
};
struct LogicalNot {
  template <class T>
  EMBER_HD bool operator()(T x) const {
    return x == T(0);
  }
};

// --- binary -----------------------------------------------------------------------------------

struct Add {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return detail::wrap_add(a, b);
  }
};
struct Sub {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return detail::wrap_sub(a, b);
  }
};
struct Mul {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return detail::wrap_mul(a, b);
  }
};
// Floating only: the front end computes integer division in f32.
struct Div {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return a / b;
  }
};
// Integers: exact by repeated squaring, wrapping on overflow; 0^0 = 1. A negative exponent
// gives what integer division would: 1 for base 1, +-1 for base -1, 0 otherwise (PyTorch's
// rule; 0 to a negative power is 0 too rather than an error).
struct Pow {
  template <class T>
  EMBER_HD T operator()(T base, T exponent) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (detail::kSignedInt<T>) {
        if (exponent < 0) {
          if (base == 1) return T(1);
          if (base == -1) return (exponent & 1) ? T(-1) : T(1);
          return T(0);
        }
      }
      uint64_t result = 1, b = static_cast<uint64_t>(base);
      for (uint64_t e = static_cast<uint64_t>(exponent); e != 0; e >>= 1) {
        if (e & 1) result *= b;
        b *= b;
      }
      return static_cast<T>(result);
    } else {
      return std::pow(base, exponent);
    }
  }
};
// NaN in either operand gives NaN (unlike std::fmax).
struct Maximum {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return (a > b || detail::is_nan(a)) ? a : b;
  }
};
struct Minimum {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return (a < b || detail::is_nan(a)) ? a : b;
  }
};
// C's fmod: the result has the sign of the dividend. An integer divisor of 0 gives 0 here; the
// kernel detects it and raises ValueError. b == -1 is special-cased because INT_MIN % -1 traps.
struct Fmod {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T(0);
      if constexpr (detail::kSignedInt<T>) {
        if (b == T(-1)) return T(0);
      }
      return static_cast<T>(a % b);
    } else {
      return std::fmod(a, b);
    }
  }
};
struct Atan2 {
  template <class T>
  EMBER_HD T operator()(T a, T b) const {
    return std::atan2(a, b);
  }
};
struct Eq {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a == b;
  }
};
struct Ne {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a != b;
  }
};
struct Lt {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a < b;
  }
};
struct Le {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a <= b;
  }
};
struct Gt {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a > b;
  }
};
struct Ge {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return a >= b;
  }
};
// Nonzero (NaN included) is true.
struct LogicalAnd {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return (a != T(0)) & (b != T(0));
  }
};
struct LogicalOr {
  template <class T>
  EMBER_HD bool operator()(T a, T b) const {
    return (a != T(0)) | (b != T(0));
  }
};

// --- ternary ----------------------------------------------------------------------------------

// Works on the stored type directly (no float round trip for f16/bf16, any dtype).
struct Where {
  template <class T>
  EMBER_HD T operator()(bool cond, T a, T b) const {
    return cond ? a : b;
  }
};
// a + w (b - a), evaluated from the nearer end (PyTorch's form) so lerp(a, b, 1) == b exactly.
struct Lerp {
  template <class T>
  EMBER_HD T operator()(T a, T b, T w) const {
    const T d = b - a;
    return std::fabs(w) < T(0.5) ? a + w * d : b - d * (T(1) - w);
  }
};

// --- shared by every backend's elementwise kernels (host only) ---------------------------------

// The dtypes of a dispatch set, for error messages.
inline const char* dtype_set_name(unsigned set) {
  switch (set) {
    case kFloat:
      return "a floating dtype (f32, f64, f16, bf16)";
    case kFloat | kInt:
      return "a numeric dtype (f32, f64, f16, bf16, i8, u8, i32, i64)";
    default:
      return "any dtype";
  }
}

// A kernel reached with a dtype it was not built for: a front-end bug or a direct kernel call.
[[noreturn]] inline void unsupported_dtype(OpId op, const char* device, DType got,
                                           unsigned supported) {
  throw DTypeError(str(op_name(op), ": the ", device, " kernel does not support dtype ",
                       dtype_name(got), "; expected ", dtype_set_name(supported)));
}

// An operand whose dtype differs from the one the front end was to cast it to.
[[noreturn]] inline void mismatched_dtype(OpId op, const char* device, int operand, DType got,
                                          DType expected) {
  throw DTypeError(str(op_name(op), ": the ", device, " kernel got operand ", operand, " of dtype ",
                       dtype_name(got), "; expected ", dtype_name(expected),
                       " (operand 0 is the output)"));
}

// The functor of op F with its parameters from ScalarArgs (both backends' launchers use it).
template <typename F>
F make_functor(const ScalarArgs&) {
  return F{};
}
template <>
inline LeakyRelu make_functor(const ScalarArgs& args) {
  return LeakyRelu{args.a};
}
template <>
inline Softplus make_functor(const ScalarArgs& args) {
  return Softplus{args.a, args.b};
}
template <>
inline Clamp make_functor(const ScalarArgs& args) {
  return Clamp{args.a, args.b};
}

// One element converted between storage types, as copy/cast does it: through the source's
// arithmetic type, and to bool as "is nonzero".
template <typename Out, typename In>
EMBER_HD inline Out convert(In v) {
  if constexpr (std::is_same_v<Out, bool>) {
    return static_cast<acc_t<In>>(v) != acc_t<In>(0);
  } else if constexpr (is_half_v<Out> && is_half_v<In>) {
    return Out(static_cast<float>(v));
  } else {
    return static_cast<Out>(static_cast<acc_t<In>>(v));
  }
}

}  // namespace ember::fn
