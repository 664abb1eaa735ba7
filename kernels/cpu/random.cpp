// CPU random kernels over a contiguous output, one Philox draw per element (kernels/philox.h):
//   uniform: a + (b - a) * U[0,1)            (U with 24 bits for f32/f16/bf16, 53 for f64)
//   normal:  a + b * Box-Muller(U1, U2), computed in double, one normal per element
//   randint: a + (64-bit draw mod (b - a))   (bias below 2^-32 for ranges under 2^32)
#include <cmath>

#include "kernels/cpu/loops.h"
#include "kernels/philox.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

template <typename F>
void generate(const StridedLoop& L, F draw) {
  dispatch_dtype<kFloat | kInt>(
      L.dtypes[0],
      [&]<typename T>() {
        T* out = reinterpret_cast<T*>(L.data[0]);
        int64_t n = L.numel();
        parallel_for(n, n * 8, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) out[i] = draw.template operator()<T>(i);
        });
      },
      [](DType) {});
}

void uniform_kernel(const StridedLoop& L, const ScalarArgs& s) {
  generate(L, [&]<typename T>(int64_t i) -> T {
    WordPair p = philox_pair(s.seed, s.offset, i);
    if constexpr (std::is_same_v<T, double>) {
      return s.a + (s.b - s.a) * uniform_double(p);
    } else {
      float lo = static_cast<float>(s.a), hi = static_cast<float>(s.b);
      return static_cast<T>(lo + (hi - lo) * uniform_float(p));
    }
  });
}

void normal_kernel(const StridedLoop& L, const ScalarArgs& s) {
  generate(L, [&]<typename T>(int64_t i) -> T {
    WordPair p = philox_pair(s.seed, s.offset, i);
    double u1 = (static_cast<double>(p.a) + 1.0) * 2.3283064365386963e-10;  // (0, 1]
    double u2 = static_cast<double>(p.b) * 2.3283064365386963e-10;          // [0, 1)
    double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    return static_cast<T>(static_cast<acc_t<T>>(s.a + s.b * z));
  });
}

void randint_kernel(const StridedLoop& L, const ScalarArgs& s) {
  auto low = static_cast<int64_t>(s.a);
  auto range = static_cast<uint64_t>(static_cast<int64_t>(s.b) - low);
  generate(L, [&]<typename T>(int64_t i) -> T {
    WordPair p = philox_pair(s.seed, s.offset, i);
    uint64_t r = (static_cast<uint64_t>(p.a) << 32) | p.b;
    return static_cast<T>(static_cast<acc_t<T>>(low + static_cast<int64_t>(r % range)));
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, uniform, &uniform_kernel);
EMBER_REGISTER_KERNEL(cpu, normal, &normal_kernel);
EMBER_REGISTER_KERNEL(cpu, randint, &randint_kernel);

}  // namespace ember::cpu
