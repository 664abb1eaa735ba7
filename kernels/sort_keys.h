// The unsigned sort keys of the sort family, shared by the CPU and CUDA kernels so both order
// values identically: comparing keys as unsigned integers orders the values ascending, with
// -0 equal to +0 and every NaN largest. SortKey<T>::of(v) gives a uint32_t key for types up to
// 32 bits and a uint64_t key for double and int64.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/dtype.h"
#include "kernels/macros.h"

namespace ember {

EMBER_HD inline uint32_t float_key(float f) {
  if (f != f) return 0xffffffffu;
  if (f == 0.0f) f = 0.0f;  // -0 sorts equal to +0
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
}

EMBER_HD inline uint64_t double_key(double d) {
  if (d != d) return ~uint64_t{0};
  if (d == 0.0) d = 0.0;
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return (u >> 63) != 0 ? ~u : u | (uint64_t{1} << 63);
}

template <typename T>
struct SortKey {
  using U = uint32_t;
  EMBER_HD static U of(T v) {
    if constexpr (is_float_v<T>) {
      return float_key(static_cast<float>(v));
    } else if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
      return static_cast<U>(v);
    } else {  // int8_t, int32_t
      return static_cast<U>(static_cast<int32_t>(v)) ^ 0x80000000u;
    }
  }
};
template <>
struct SortKey<double> {
  using U = uint64_t;
  EMBER_HD static U of(double v) { return double_key(v); }
};
template <>
struct SortKey<int64_t> {
  using U = uint64_t;
  EMBER_HD static U of(int64_t v) { return static_cast<U>(v) ^ (uint64_t{1} << 63); }
};

}  // namespace ember
