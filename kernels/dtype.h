// DType: the element types ember stores, their C++ types, and compile-time dispatch from a
// runtime DType to a template instantiation. Kernels register per op and switch on DType
// here, so this lives in kernels/; tensor/dtype.h adds names and the promotion table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/half.h"

namespace ember {

// X-macro: (enumerator, C++ type, name). Order is the DType's numeric value.
#define EMBER_FORALL_DTYPES(X) \
  X(f32, float, "f32")         \
  X(f16, ::ember::f16, "f16")  \
  X(bf16, ::ember::bf16, "bf16") \
  X(f64, double, "f64")        \
  X(i8, int8_t, "i8")          \
  X(u8, uint8_t, "u8")         \
  X(i32, int32_t, "i32")       \
  X(i64, int64_t, "i64")       \
  X(b8, bool, "bool")

enum class DType : uint8_t {
#define EMBER_DTYPE_ENUM(e, T, n) e,
  EMBER_FORALL_DTYPES(EMBER_DTYPE_ENUM)
#undef EMBER_DTYPE_ENUM
};
inline constexpr int kNumDTypes = 9;

// `DType::boolean` reads better at call sites than `DType::b8`.
namespace dtypes {
inline constexpr DType boolean = DType::b8;
}

template <typename T>
struct dtype_of;
#define EMBER_DTYPE_OF(e, T, n) \
  template <>                   \
  struct dtype_of<T> {          \
    static constexpr DType value = DType::e; \
  };
EMBER_FORALL_DTYPES(EMBER_DTYPE_OF)
#undef EMBER_DTYPE_OF
template <typename T>
inline constexpr DType dtype_v = dtype_of<T>::value;

constexpr size_t element_size(DType d) {
  switch (d) {
#define EMBER_DTYPE_SIZE(e, T, n) \
  case DType::e:                  \
    return sizeof(T);
    EMBER_FORALL_DTYPES(EMBER_DTYPE_SIZE)
#undef EMBER_DTYPE_SIZE
  }
  return 0;
}

constexpr const char* dtype_name(DType d) {
  switch (d) {
#define EMBER_DTYPE_NAME(e, T, n) \
  case DType::e:                  \
    return n;
    EMBER_FORALL_DTYPES(EMBER_DTYPE_NAME)
#undef EMBER_DTYPE_NAME
  }
  return "?";
}

constexpr bool is_floating(DType d) {
  return d == DType::f32 || d == DType::f64 || d == DType::f16 || d == DType::bf16;
}
constexpr bool is_integral(DType d) {  // bool is not integral here
  return d == DType::i8 || d == DType::u8 || d == DType::i32 || d == DType::i64;
}

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, f16> || std::is_same_v<T, bf16>;
template <typename T>
inline constexpr bool is_float_v = std::is_floating_point_v<T> || is_half_v<T>;

// The type arithmetic on T is carried out in: f32 for f16/bf16, T otherwise.
template <typename T>
using acc_t = std::conditional_t<is_half_v<T>, float, T>;

// Calls f.template operator()<T>() for the C++ type of `d`. Returns what f returns.
// `DTypeSet` restricts which instantiations exist; others call `on_missing(d)`.
enum DTypeSet : unsigned {
  kFloat = 1u << 0,  // f32 f64 f16 bf16
  kInt = 1u << 1,    // i8 u8 i32 i64
  kBool = 1u << 2,
  kAll = kFloat | kInt | kBool,
};

template <unsigned Set, typename F, typename Missing>
decltype(auto) dispatch_dtype(DType d, F&& f, Missing&& on_missing) {
  switch (d) {
#define EMBER_DISPATCH_CASE(e, T, n)                                                     \
  case DType::e: {                                                                      \
    constexpr unsigned kind = is_float_v<T> ? kFloat : std::is_same_v<T, bool> ? kBool : kInt; \
    if constexpr ((Set & kind) != 0) {                                                   \
      return f.template operator()<T>();                                                 \
    } else {                                                                             \
      return on_missing(d);                                                              \
    }                                                                                    \
  }
    EMBER_FORALL_DTYPES(EMBER_DISPATCH_CASE)
#undef EMBER_DISPATCH_CASE
  }
  return on_missing(d);
}

// f.operator()<U>() with U the unsigned integer of d's element size: for kernels that only move
// elements (gather, scatter, index_select), where the dtype does not matter.
template <typename F>
decltype(auto) dispatch_size(DType d, F&& f) {
  switch (element_size(d)) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    default:
      return f.template operator()<uint64_t>();
  }
}

}  // namespace ember
