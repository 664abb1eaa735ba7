// CUDA random kernels over a contiguous output, one Philox draw per element from
// kernels/philox.h, with the CPU kernels' formulas (kernels/cpu/random.cpp), so a tensor drawn
// with the same seed and offset has the same bits on either device:
//   uniform: a + (b - a) * U[0,1)            (U with 24 bits for f32/f16/bf16, 53 for f64)
//   normal:  a + b * Box-Muller(U1, U2), computed in double, one normal per element
//   randint: a + (64-bit draw mod (b - a))
//
// Design: element i is a pure function of (seed, offset, i), so the grid-stride driver
// (kernels/cuda/elementwise.h) hands each thread its flat index and there is no generator
// state to share. uniform and randint use integer and exactly rounded float operations only,
// so they match the CPU bit for bit on a GPU too; normal calls double log/sqrt/cos, which CUDA
// computes to within 1-2 ulp of glibc (bit-identical in the emulator, which uses glibc).
#include <type_traits>

#include "kernels/cuda/elementwise.h"
#include "kernels/philox.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

// kernels

template <typename T>
struct UniformOp {
  static constexpr int kOperands = 1;
  double a, b;
  uint64_t seed, offset;
  __device__ void operator()(char* const* p, int64_t i) const {
    const WordPair w = philox_pair(seed, offset, i);
    T* out = reinterpret_cast<T*>(p[0]);
    if constexpr (std::is_same_v<T, double>) {
      *out = a + (b - a) * uniform_double(w);
    } else {
      const float lo = static_cast<float>(a), hi = static_cast<float>(b);
      *out = static_cast<T>(lo + (hi - lo) * uniform_float(w));
    }
  }
};

template <typename T>
struct NormalOp {
  static constexpr int kOperands = 1;
  double mean, std;
  uint64_t seed, offset;
  __device__ void operator()(char* const* p, int64_t i) const {
    const WordPair w = philox_pair(seed, offset, i);
    const double u1 = (static_cast<double>(w.a) + 1.0) * 2.3283064365386963e-10;  // (0, 1]
    const double u2 = static_cast<double>(w.b) * 2.3283064365386963e-10;          // [0, 1)
    const double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    *reinterpret_cast<T*>(p[0]) = static_cast<T>(static_cast<acc_t<T>>(mean + std * z));
  }
};

template <typename T>
struct RandintOp {
  static constexpr int kOperands = 1;
  int64_t low;
  uint64_t range;
  uint64_t seed, offset;
  __device__ void operator()(char* const* p, int64_t i) const {
    const WordPair w = philox_pair(seed, offset, i);
    const uint64_t r = (static_cast<uint64_t>(w.a) << 32) | w.b;
    *reinterpret_cast<T*>(p[0]) =
        static_cast<T>(static_cast<acc_t<T>>(low + static_cast<int64_t>(r % range)));
  }
};

// launchers

void check_output(OpId op, const StridedLoop& L) {
  EMBER_CHECK(L.nops == 1 && is_contiguous(L), ValueError, op_name(op),
              ": the cuda kernel expects one contiguous output operand");
}

void uniform_kernel(const StridedLoop& L, const ScalarArgs& s) {
  check_output(OpId::uniform, L);
  dispatch_dtype<kFloat | kInt>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, UniformOp<T>{s.a, s.b, s.seed, s.offset});
      },
      [](DType) {});
}

void normal_kernel(const StridedLoop& L, const ScalarArgs& s) {
  check_output(OpId::normal, L);
  dispatch_dtype<kFloat | kInt>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, NormalOp<T>{s.a, s.b, s.seed, s.offset});
      },
      [](DType) {});
}

void randint_kernel(const StridedLoop& L, const ScalarArgs& s) {
  check_output(OpId::randint, L);
  const auto low = static_cast<int64_t>(s.a);
  const auto range = static_cast<uint64_t>(static_cast<int64_t>(s.b) - low);
  EMBER_CHECK(range != 0, ValueError, "randint: empty range [", low, ", ", low,
              "); expected low < high");
  dispatch_dtype<kFloat | kInt>(
      L.dtypes[0],
      [&]<typename T>() {
        run_elementwise(L, RandintOp<T>{low, range, s.seed, s.offset});
      },
      [](DType) {});
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, uniform, &uniform_kernel);
EMBER_REGISTER_KERNEL(cuda, normal, &normal_kernel);
EMBER_REGISTER_KERNEL(cuda, randint, &randint_kernel);

}  // namespace ember::cuda
