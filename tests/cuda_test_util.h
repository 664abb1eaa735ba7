// Helpers shared by the CUDA test files: a fixture that skips without a device, comparison of
// a cuda result with the cpu result under DESIGN.md tolerances, random inputs with
// non-contiguous layouts, and running a body under several emulator schedules.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/device_api.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#if defined(EMBER_SIMT)
#include "kernels/simt/simt.h"
#endif

namespace ember::testing {

inline const Device kCuda = Device::cuda(0);

// Every test needs a cuda device: always there in the emulator build, skipped in a GPU build
// on a machine without one.
class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::device_count() == 0) GTEST_SKIP() << "no cuda device";
  }
};

inline double rtol_of(DType d) {
  switch (d) {
    case DType::f64:
      return 1e-7;
    case DType::f16:
      return 1e-3;
    case DType::bf16:
      return 1.6e-2;
    case DType::f32:
      return 1.3e-6;
    default:
      return 0.0;
  }
}

// Expects the cuda tensor `got` to equal the cpu tensor `want` (NaNs match NaNs).
inline void expect_match(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_TRUE(want.device().is_cpu()) << what;
  ASSERT_TRUE(got.device().is_cuda()) << what;
  ASSERT_EQ(want.dtype(), got.dtype()) << what;
  ASSERT_EQ(want.shape(), got.shape()) << what;
  const std::vector<double> w = want.to_vector<double>(), g = got.to_vector<double>();
  const double rtol = rtol_of(want.dtype()), atol = rtol == 0.0 ? 0.0 : 1e-5;
  int bad = 0;
  for (size_t i = 0; i < w.size() && bad < 5; ++i) {
    if (std::isnan(w[i]) && std::isnan(g[i])) continue;
    if (w[i] == g[i] || std::fabs(w[i] - g[i]) <= atol + rtol * std::fabs(w[i])) continue;
    ++bad;
    ADD_FAILURE() << what << ": element " << i << " cpu " << w[i] << " cuda " << g[i];
  }
}

// Random values in [-3, 3) (integers in [-20, 20), bool half true) of `shape` on the cpu.
inline Tensor random_input(const Shape& shape, DType dtype, uint64_t seed) {
  Generator gen(seed);
  if (dtype == DType::b8) return lt(uniform(shape, 0.0, 1.0, DType::f32, &gen), 0.5);
  if (is_floating(dtype)) return uniform(shape, -3.0, 3.0, dtype, &gen);
  const int64_t low = dtype == DType::u8 ? 0 : -20;
  return randint(low, 20, shape, dtype, &gen);
}

// A layout the inputs take: plain, or a transposed view of a [n, m] tensor (non-contiguous).
struct Layout {
  Shape shape;
  bool transposed;
};

inline const std::vector<Layout> kLayouts = {
    {Shape{}, false},       {Shape{0}, false},     {Shape{1}, false},
    {Shape{7}, false},      {Shape{1031}, false},  {Shape{3, 0, 5}, false},
    {Shape{13, 17}, false}, {Shape{13, 17}, true}, {Shape{2, 3, 5, 7}, false},
    {Shape{1, 1}, true},
};

// The input of `layout` on the cpu and the same values, same view, on cuda.
inline std::pair<Tensor, Tensor> make_pair(const Layout& layout, DType dtype, uint64_t seed) {
  if (!layout.transposed) {
    Tensor c = random_input(layout.shape, dtype, seed);
    return {c, c.to(kCuda)};
  }
  const Shape& s = layout.shape;
  Tensor base = random_input(Shape{s[1], s[0]}, dtype, seed);
  return {base.t(), base.to(kCuda).t()};
}

// Runs body under the forward and the reverse schedule of the emulator.
template <typename F>
void under_schedules(F&& body) {
#if defined(EMBER_SIMT)
  for (const char* sched : {"forward", "reverse", "random:11"}) {
    SCOPED_TRACE(sched);
    simt::ScopedSchedule scope(simt::parse_schedule(sched));
    body();
  }
#else
  body();
#endif
}

inline const std::vector<DType> kFloatTypes = {DType::f32, DType::f64, DType::f16, DType::bf16};
inline const std::vector<DType> kNumericTypes = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                          DType::i8,  DType::u8,  DType::i32, DType::i64};

}  // namespace ember::testing
