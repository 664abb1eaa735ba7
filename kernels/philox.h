// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so element i of a random tensor is a pure function of
// (seed, offset, i) and every backend and thread count draws the same numbers.
//
// Layout used by every random kernel: element i reads counter (offset + i / 2) with key = seed
// and takes words 2*(i % 2) and 2*(i % 2) + 1 of the four the counter yields.
#pragma once
#include <cstdint>

#include "kernels/macros.h"

namespace ember {

struct PhiloxWords {
  uint32_t w[4];
};

EMBER_HD inline PhiloxWords philox4x32_10(uint64_t counter, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

// The two 32-bit words element i of a call with (seed, offset) draws.
struct WordPair {
  uint32_t a, b;
};
EMBER_HD inline WordPair philox_pair(uint64_t seed, uint64_t offset, int64_t i) {
  PhiloxWords r = philox4x32_10(offset + static_cast<uint64_t>(i) / 2, seed);
  int lane = static_cast<int>(i % 2) * 2;
  return {r.w[lane], r.w[lane + 1]};
}

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
EMBER_HD inline float uniform_float(WordPair p) {
  return static_cast<float>(p.a >> 8) * 5.9604644775390625e-8f;
}
EMBER_HD inline double uniform_double(WordPair p) {
  uint64_t bits = (static_cast<uint64_t>(p.a) << 21) ^ (p.b >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * 1.1102230246251565e-16;
}

}  // namespace ember
