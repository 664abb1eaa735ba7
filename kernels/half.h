// ember's own 16-bit float types, f16 (IEEE binary16) and bf16 (bfloat16), usable on host and
// device. Storage only: arithmetic converts to float, so f16/bf16 math accumulates in f32.
// Conversions from float round to nearest, ties to even; NaN stays NaN.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels/macros.h"

namespace ember {

namespace detail {
EMBER_HD inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
EMBER_HD inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace detail

struct f16 {
  uint16_t bits = 0;

  f16() = default;
  EMBER_HD f16(float f) : bits(from_float(f)) {}  // NOLINT: implicit like a builtin float
  EMBER_HD operator float() const { return to_float(bits); }
  EMBER_HD static f16 from_bits(uint16_t b) {
    f16 h;
    h.bits = b;
    return h;
  }

  EMBER_HD static uint16_t from_float(float f) {
    uint32_t x = detail::float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return sign | (ax > 0x7f800000u ? 0x7e00u : 0x7c00u);  // NaN / Inf
    if (ax >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to Inf
    if (ax < 0x38800000u) {                        // result is subnormal (or zero)
      // Add 0.5 so the float adder rounds the value to a multiple of 2^-24 (RNE).
      float r = detail::bits_float(ax) + 0.5f;
      return sign | static_cast<uint16_t>(detail::float_bits(r) - 0x3f000000u);
    }
    uint32_t mant_odd = (ax >> 13) & 1u;
    ax += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
    return static_cast<uint16_t>(sign | (ax >> 13));
  }
  EMBER_HD static float to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {  // zero or subnormal: mant * 2^-24
      float m = static_cast<float>(mant) * 5.9604644775390625e-8f;
      return sign ? -m : m;
    }
    return detail::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

struct bf16 {
  uint16_t bits = 0;

  bf16() = default;
  EMBER_HD bf16(float f) : bits(from_float(f)) {}  // NOLINT: implicit like a builtin float
  EMBER_HD operator float() const { return detail::bits_float(static_cast<uint32_t>(bits) << 16); }
  EMBER_HD static bf16 from_bits(uint16_t b) {
    bf16 h;
    h.bits = b;
    return h;
  }
  EMBER_HD static uint16_t from_float(float f) {
    uint32_t x = detail::float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
    x += 0x7fffu + ((x >> 16) & 1u);
    return static_cast<uint16_t>(x >> 16);
  }
};

}  // namespace ember
