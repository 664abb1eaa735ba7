// Random ops beyond the op-case table: distribution statistics, reproducibility (seeds,
// offsets, manual_seed, thread count), dropout and dropout_mask semantics and their errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <string>

#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using testing::expect_throw_message;

struct Moments {
  double mean, std;
};

Moments moments(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  const double mean = s / static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / static_cast<double>(v.size() - 1))};
}

constexpr int64_t kMillion = 1000000;

TEST(Random, NormalMeanAndStdWithinFourStandardErrors) {
  Generator g(1234);
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<double> v = normal({kMillion}, 3.0, 0.5, dt, &g).to_vector<double>();
    Moments m = moments(v);
    const double n = static_cast<double>(kMillion);
    // Standard errors of the mean (sigma / sqrt(n)) and of the std (sigma / sqrt(2n)).
    EXPECT_NEAR(m.mean, 3.0, 4 * 0.5 / std::sqrt(n)) << dtype_name(dt);
    EXPECT_NEAR(m.std, 0.5, 4 * 0.5 / std::sqrt(2 * n)) << dtype_name(dt);
  }
  Moments m = moments(randn({kMillion}, DType::f32, &g).to_vector<double>());
  EXPECT_NEAR(m.mean, 0.0, 4e-3);
  EXPECT_NEAR(m.std, 1.0, 4 / std::sqrt(2e6));
}

TEST(Random, NormalTailsAreGaussian) {
  Generator g(99);
  std::vector<double> v = randn({kMillion}, DType::f64, &g).to_vector<double>();
  int64_t beyond2 = 0;
  for (double x : v) beyond2 += std::fabs(x) > 2.0;
  // P(|z| > 2) = 0.0455; binomial standard error sqrt(p(1-p)/n) = 2.1e-4.
  EXPECT_NEAR(static_cast<double>(beyond2) / kMillion, 0.0455, 4 * 2.1e-4);
}

TEST(Random, UniformStaysInRangeWithTheRightMoments) {
  Generator g(7);
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<double> v = uniform({kMillion}, -2.0, 3.0, dt, &g).to_vector<double>();
    double lo = v[0], hi = v[0];
    for (double x : v) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    EXPECT_GE(lo, -2.0) << dtype_name(dt);
    EXPECT_LT(hi, 3.0) << dtype_name(dt);
    EXPECT_LT(lo, -1.99) << dtype_name(dt);  // the whole range is reached
    EXPECT_GT(hi, 2.99) << dtype_name(dt);
    Moments m = moments(v);
    const double sigma = 5.0 / std::sqrt(12.0);
    EXPECT_NEAR(m.mean, 0.5, 4 * sigma / std::sqrt(1e6)) << dtype_name(dt);
    // For a uniform the sample std has standard error sigma * sqrt(0.2 / n).
    EXPECT_NEAR(m.std, sigma, 4 * sigma * std::sqrt(0.2 / 1e6)) << dtype_name(dt);
  }
  // f16/bf16 round the f32 draw, which may reach high itself: closed range.
  for (DType dt : {DType::f16, DType::bf16}) {
    std::vector<double> v = uniform({100000}, -2.0, 3.0, dt, &g).to_vector<double>();
    for (double x : v) {
      ASSERT_GE(x, -2.0) << dtype_name(dt);
      ASSERT_LE(x, 3.0) << dtype_name(dt);
    }
    EXPECT_NEAR(moments(v).mean, 0.5, 4 * (5.0 / std::sqrt(12.0)) / std::sqrt(1e5) + 1e-3);
  }
  std::vector<double> r = rand({1000}, DType::f32, &g).to_vector<double>();
  for (double x : r) {
    ASSERT_GE(x, 0.0);
    ASSERT_LT(x, 1.0);
  }
}

TEST(Random, RandintCoversTheRangeAndNothingElse) {
  Generator g(11);
  for (DType dt : {DType::i64, DType::i32, DType::i8, DType::f32}) {
    std::vector<int64_t> v = randint(-3, 7, {100000}, dt, &g).to_vector<int64_t>();
    std::vector<int64_t> seen(10, 0);
    for (int64_t x : v) {
      ASSERT_GE(x, -3) << dtype_name(dt);
      ASSERT_LT(x, 7) << dtype_name(dt);
      ++seen[static_cast<size_t>(x + 3)];
    }
    for (int64_t c : seen) EXPECT_GT(c, 0) << dtype_name(dt);
  }
  // A range wider than 2^32 still stays inside it.
  const int64_t lo = -(int64_t{1} << 40), hi = int64_t{1} << 41;
  std::vector<int64_t> w = randint(lo, hi, {10000}, DType::i64, &g).to_vector<int64_t>();
  int64_t below_zero = 0;
  for (int64_t x : w) {
    ASSERT_GE(x, lo);
    ASSERT_LT(x, hi);
    below_zero += x < 0;
  }
  EXPECT_NEAR(static_cast<double>(below_zero) / 10000, 1.0 / 3.0, 0.02);
}

TEST(Random, RandintIsUniformOverTenBuckets) {
  Generator g(2024);
  std::vector<int64_t> v = randint(0, 10, {kMillion}, DType::i64, &g).to_vector<int64_t>();
  std::vector<double> count(10, 0.0);
  for (int64_t x : v) count[static_cast<size_t>(x)] += 1;
  double chi2 = 0.0;
  const double expected = kMillion / 10.0;
  for (double c : count) chi2 += (c - expected) * (c - expected) / expected;
  // 9 degrees of freedom: P(chi2 > 40) is about 7e-6.
  EXPECT_LT(chi2, 40.0);
}

TEST(Random, SameSeedSameNumbersOtherSeedOthers) {
  Generator a(42), b(42), c(43);
  std::vector<double> x = randn({1001}, DType::f32, &a).to_vector<double>();
  std::vector<double> y = randn({1001}, DType::f32, &b).to_vector<double>();
  std::vector<double> z = randn({1001}, DType::f32, &c).to_vector<double>();
  EXPECT_EQ(x, y);
  int64_t same = 0;
  for (size_t i = 0; i < x.size(); ++i) same += x[i] == z[i];
  EXPECT_EQ(same, 0);
}

TEST(Random, OffsetsAdvanceAndSelectTheStream) {
  Generator g(5);
  Tensor first = rand({7, 13}, DType::f32, &g);
  EXPECT_EQ(g.offset(), 46u);  // (91 + 1) / 2 counters, two words per element
  Tensor second = rand({7, 13}, DType::f32, &g);
  std::vector<double> f = first.to_vector<double>(), s = second.to_vector<double>();
  int64_t same = 0;
  for (size_t i = 0; i < f.size(); ++i) same += f[i] == s[i];
  EXPECT_EQ(same, 0);

  // The second draw is the one at offset 46, whatever came before.
  Generator h(5);
  h.set_offset(46);
  EXPECT_EQ(rand({7, 13}, DType::f32, &h).to_vector<double>(), s);

  // Element i depends only on (seed, offset, i): a shorter draw is a prefix of a longer one.
  Generator p(5), q(5);
  std::vector<double> shorter = randn({11}, DType::f64, &p).to_vector<double>();
  std::vector<double> longer = randn({1001}, DType::f64, &q).to_vector<double>();
  EXPECT_EQ(shorter, std::vector<double>(longer.begin(), longer.begin() + 11));
}

TEST(Random, ManualSeedResetsTheDefaultGenerator) {
  manual_seed(77);
  EXPECT_EQ(default_generator().seed(), 77u);
  EXPECT_EQ(default_generator().offset(), 0u);
  std::vector<double> a = randn({101}).to_vector<double>();
  std::vector<double> a2 = randn({101}).to_vector<double>();
  manual_seed(77);
  std::vector<double> b = randn({101}).to_vector<double>();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, a2);
  Generator g(77);
  EXPECT_EQ(randn({101}, DType::f32, &g).to_vector<double>(), a);
}

TEST(Random, ResultsDoNotDependOnTheThreadCount) {
  const int saved = omp_get_max_threads();
  auto draw = [] {
    Generator g(31337);
    std::vector<Tensor> out;
    out.push_back(randn({kMillion}, DType::f32, &g));
    out.push_back(uniform({kMillion}, -1.0, 1.0, DType::f64, &g));
    out.push_back(randint(0, 1000, {kMillion}, DType::i32, &g));
    out.push_back(dropout_mask({kMillion}, 0.3, &g));
    return out;
  };
  omp_set_num_threads(1);
  std::vector<Tensor> one = draw();
  omp_set_num_threads(2);
  std::vector<Tensor> two = draw();
  omp_set_num_threads(saved);
  for (size_t k = 0; k < one.size(); ++k)
    EXPECT_EQ(one[k].to_vector<double>(), two[k].to_vector<double>()) << "output " << k;
}

TEST(Dropout, MaskKeepsWithProbabilityOneMinusP) {
  Generator g(8);
  Tensor mask = dropout_mask({kMillion}, 0.3, &g);
  EXPECT_EQ(mask.dtype(), DType::b8);
  std::vector<bool> v = mask.to_vector<bool>();
  double kept = 0;
  for (bool b : v) kept += b;
  // Binomial standard error sqrt(0.7 * 0.3 / n) = 4.6e-4.
  EXPECT_NEAR(kept / kMillion, 0.7, 4 * 4.6e-4);

  // The mask is the documented rule: kept where the f32 uniform draw is >= p.
  Generator a(8), b(8);
  std::vector<double> u = rand({1001}, DType::f32, &a).to_vector<double>();
  std::vector<bool> m = dropout_mask({1001}, 0.3, &b).to_vector<bool>();
  for (size_t i = 0; i < u.size(); ++i) ASSERT_EQ(m[i], u[i] >= 0.3) << i;

  for (bool x : dropout_mask({1000}, 0.0, &g).to_vector<bool>()) ASSERT_TRUE(x);
  for (bool x : dropout_mask({1000}, 1.0, &g).to_vector<bool>()) ASSERT_FALSE(x);
  EXPECT_EQ(dropout_mask({3, 0}, 0.5, &g).shape(), (Shape{3, 0}));
}

TEST(Dropout, PreservesTheMeanInExpectation) {
  Generator g(21);
  Tensor x = full({kMillion}, 2.0);
  std::vector<double> y = dropout(x, 0.3, true, &g).to_vector<double>();
  double zeros = 0;
  for (double v : y) {
    ASSERT_TRUE(v == 0.0 || std::fabs(v - 2.0 / 0.7) < 1e-6) << v;
    zeros += v == 0.0;
  }
  EXPECT_NEAR(zeros / kMillion, 0.3, 4 * 4.6e-4);
  // Each output is 0 or 2/0.7: its standard deviation is 2 * sqrt(p / (1 - p)).
  EXPECT_NEAR(moments(y).mean, 2.0, 4 * 2.0 * std::sqrt(0.3 / 0.7) / 1000.0);
}

TEST(Dropout, IdentityAndZeroCases) {
  Generator g(3);
  Tensor x = randn({7, 13}, DType::f32, &g);
  const uint64_t offset = g.offset();
  Tensor same = dropout(x, 0.0, true, &g);
  EXPECT_TRUE(same.shares_storage(x));
  EXPECT_EQ(same.to_vector<double>(), x.to_vector<double>());
  Tensor eval = dropout(x, 0.9, /*training=*/false, &g);
  EXPECT_EQ(eval.to_vector<double>(), x.to_vector<double>());
  EXPECT_EQ(g.offset(), offset);  // the identity cases draw nothing
  Tensor all_dropped = dropout(x, 1.0, true, &g);
  EXPECT_EQ(all_dropped.shape(), x.shape());
  for (double v : all_dropped.to_vector<double>()) ASSERT_EQ(v, 0.0);
}

TEST(Dropout, BadArgumentsThrow) {
  Tensor x = ones({4});
  expect_throw_message<ValueError>([&] { dropout(x, 1.5); },
                                   "dropout: p = 1.5 is not a probability; expected 0 <= p <= 1");
  expect_throw_message<ValueError>([&] { dropout(x, -0.1); },
                                   "dropout: p = -0.1 is not a probability; expected 0 <= p <= 1");
  EXPECT_THROW(dropout(x, std::nan("")), ValueError);
  expect_throw_message<ValueError>(
      [&] { dropout_mask({4}, 2.0); },
      "dropout_mask: p = 2 is not a probability; expected 0 <= p <= 1");
  expect_throw_message<DTypeError>([&] { dropout(ones({4}, DType::i64), 0.5); },
                                   "dropout: expected a floating tensor, got i64");
}

TEST(Random, FactoryArgumentErrors) {
  expect_throw_message<DTypeError>([] { rand({3}, DType::i64); },
                                   "uniform: dtype must be floating, got i64");
  expect_throw_message<DTypeError>([] { randn({3}, DType::i32); },
                                   "normal: dtype must be floating, got i32");
  expect_throw_message<ValueError>([] { randint(5, 5, {3}); },
                                   "randint: low 5 must be less than high 5");
  expect_throw_message<ValueError>([] { normal({3}, 0.0, -1.0); },
                                   "normal: std must be non-negative, got -1");
}

}  // namespace
}  // namespace ember
