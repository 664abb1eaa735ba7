// matmul front-end rules the op-case table cannot express: errors, dtypes, in-place operand
// use, and each CPU GEMM code path (EMBER_CPU_ISA) against a float64 reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "kernels/cpu/cpu_features.h"
#include "tensor/ops.h"

namespace ember {
namespace {

TEST(Matmul, ShapeErrorsNameTheShapes) {
  try {
    matmul(zeros({3, 4}), zeros({5, 6}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)");
  }
  EXPECT_THROW(matmul(zeros({2, 3, 4}), zeros({3, 4, 2})), ShapeError);  // batch 2 vs 3
  EXPECT_THROW(matmul(scalar_tensor(1), zeros({2})), ShapeError);
  EXPECT_THROW(bmm(zeros({2, 3, 4}), zeros({4, 2})), ShapeError);
  EXPECT_THROW(dot(zeros({3}), zeros({4})), ShapeError);
  EXPECT_THROW(matmul(zeros({2, 2}, DType::b8), zeros({2, 2}, DType::b8)), DTypeError);
}

TEST(Matmul, PromotesAndKeepsShapes) {
  Tensor r = matmul(ones({2, 3}, DType::f16), ones({3}, DType::f32));
  EXPECT_EQ(r.dtype(), DType::f32);
  EXPECT_EQ(r.shape(), (Shape{2}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{3, 3}));
  EXPECT_EQ(dot(arange(4.0, DType::f64), arange(4.0, DType::f64)).item(), 14.0);
  EXPECT_EQ(dot(arange(4.0, DType::f64), arange(4.0, DType::f64)).dim(), 0);
}

TEST(Matmul, AddmmWithZeroBetaIgnoresNaNInput) {
  Tensor c = full({2, 2}, NAN);
  Tensor r = addmm(c, eye(2), full({2, 2}, 3.0), /*beta=*/0.0, /*alpha=*/2.0);
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{6, 6, 6, 6}));
}

// Runs one shape through whichever ISA path EMBER_CPU_ISA selects and checks it.
void check_gemm_paths(int64_t m, int64_t k, int64_t n) {
  Generator g(11);
  Tensor a = randn({m, k}, DType::f64, &g), b = randn({k, n}, DType::f64, &g);
  Tensor want = matmul(a, b);  // f64 path
  Tensor got = matmul(a.to(DType::f32).t().contiguous().t(), b.to(DType::f32));
  std::vector<double> w = want.to_vector<double>();
  std::vector<float> gv = got.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::fabs(gv[i] - w[i]));
  EXPECT_LT(worst, 1e-5 * std::sqrt(static_cast<double>(k)) * 4) << m << "x" << k << "x" << n;
}

TEST(Matmul, EveryCpuIsaPathAgrees) {
  const char* saved = std::getenv("EMBER_CPU_ISA");
  std::string restore = saved ? saved : "";
  for (const char* isa : {"portable", "avx2", "avx512"}) {
    setenv("EMBER_CPU_ISA", isa, 1);
    cpu::CpuIsa chosen;
    try {
      chosen = cpu::best_isa();
    } catch (const std::invalid_argument&) {
      continue;  // this CPU lacks the ISA
    }
    EXPECT_STREQ(cpu::isa_name(chosen), isa);
    for (auto [m, k, n] : {std::tuple{1, 1, 1}, {17, 33, 15}, {128, 256, 96}, {301, 129, 257}})
      check_gemm_paths(m, k, n);
  }
  if (saved) {
    setenv("EMBER_CPU_ISA", restore.c_str(), 1);
  } else {
    unsetenv("EMBER_CPU_ISA");
  }
}

}  // namespace
}  // namespace ember
