// Sort, scan and softmax behaviour the op-case table cannot express: stability and NaN
// placement, topk/unique edge cases, dtype rules, accumulation precision, numerical
// stability of softmax, exact error messages and thread-count independence.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using testing::expect_throw_message;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }

// Element-wise equality where NaN equals NaN (and -0 equals +0).
void expect_same(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << " is " << got[i];
    } else {
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    }
  }
}

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};

TEST(Sort, IsStable) {
  Tensor x = from_vector<float>({3, 1, 3, 1, 2, 1});
  ValuesIndices up = sort(x);
  EXPECT_EQ(vals(up.values), (std::vector<double>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(ints(up.indices), (std::vector<int64_t>{1, 3, 5, 4, 0, 2}));
  ValuesIndices down = sort(x, 0, /*descending=*/true);
  EXPECT_EQ(vals(down.values), (std::vector<double>{3, 3, 2, 1, 1, 1}));
  EXPECT_EQ(ints(down.indices), (std::vector<int64_t>{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(ints(argsort(x, -1, true)), ints(down.indices));
}

TEST(Sort, LongRowsWithTiesAreStable) {
  // 5000 elements take the radix path; 7 distinct values make long runs of ties.
  std::vector<int64_t> v(5000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 7919) % 7) - 3;
  for (DType dt : {DType::f32, DType::f16, DType::i32, DType::i64, DType::f64}) {
    for (bool desc : {false, true}) {
      Tensor x = from_vector(v).to(dt);
      std::vector<int64_t> idx = ints(sort(x, -1, desc).indices);
      std::vector<int64_t> want(v.size());
      std::iota(want.begin(), want.end(), 0);
      std::stable_sort(want.begin(), want.end(),
                       [&](int64_t a, int64_t b) { return desc ? v[a] > v[b] : v[a] < v[b]; });
      EXPECT_EQ(idx, want) << dtype_name(dt) << (desc ? " descending" : "");
    }
  }
}

TEST(Sort, NaNIsTheLargestValue) {
  // -0 and +0 compare equal, so they keep their order.
  std::vector<double> v = {kNaN, 1.0, -kInf, kInf, kNaN, 0.0, -0.0, -2.5};
  for (DType dt : kFloats) {
    Tensor x = from_vector(v).to(dt);
    ValuesIndices up = sort(x);
    expect_same(vals(up.values), {-kInf, -2.5, 0.0, -0.0, 1.0, kInf, kNaN, kNaN});
    EXPECT_EQ(ints(up.indices), (std::vector<int64_t>{2, 7, 5, 6, 1, 3, 0, 4})) << dtype_name(dt);
    EXPECT_TRUE(std::signbit(vals(up.values)[3])) << "the -0 itself is moved, " << dtype_name(dt);
    ValuesIndices down = sort(x, 0, true);
    expect_same(vals(down.values), {kNaN, kNaN, kInf, 1.0, 0.0, -0.0, -2.5, -kInf});
    EXPECT_EQ(ints(down.indices), (std::vector<int64_t>{0, 4, 3, 1, 5, 6, 7, 2})) << dtype_name(dt);
  }
}

TEST(Sort, NaNsGoLastInLongRows) {
  Generator g(4);
  std::vector<double> v = randn({3001}, DType::f64, &g).to_vector<double>();
  for (size_t i = 0; i < v.size(); i += 97) v[i] = kNaN;
  const size_t nans = (v.size() + 96) / 97;
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<double> s = vals(sort(from_vector(v).to(dt)).values);
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end() - static_cast<int64_t>(nans))) << dtype_name(dt);
    for (size_t i = s.size() - nans; i < s.size(); ++i) EXPECT_TRUE(std::isnan(s[i])) << i;
    std::vector<double> d = vals(sort(from_vector(v).to(dt), 0, true).values);
    for (size_t i = 0; i < nans; ++i) EXPECT_TRUE(std::isnan(d[i])) << i;
    EXPECT_TRUE(std::is_sorted(d.rbegin(), d.rend() - static_cast<int64_t>(nans)));
  }
}

TEST(Sort, OtherDimsAndDtypes) {
  Tensor x = from_vector<int32_t>({5, -1, 3, 2, 0, 4}, Shape{2, 3});
  ValuesIndices s = sort(x, 0);
  EXPECT_EQ(s.values.dtype(), DType::i32);
  EXPECT_EQ(s.values.shape(), (Shape{2, 3}));
  EXPECT_EQ(ints(s.values), (std::vector<int64_t>{2, -1, 3, 5, 0, 4}));
  EXPECT_EQ(ints(s.indices), (std::vector<int64_t>{1, 0, 0, 0, 1, 1}));
  Tensor b = from_vector(std::vector<bool>{true, false, true, false});
  EXPECT_EQ(ints(sort(b).values), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(ints(sort(b).indices), (std::vector<int64_t>{1, 3, 0, 2}));
  expect_throw_message<IndexError>(
      [&] { sort(x, 2); },
      "sort: dim 2 is out of range for a tensor with 2 dims; expected a dim in [-2, 1]");
}

TEST(TopK, LargestSmallestAndTies) {
  Tensor x = from_vector<float>({1, 5, 3, 5, kNaN, -2, 3});
  ValuesIndices big = topk(x, 3);
  expect_same(vals(big.values), {kNaN, 5, 5});
  EXPECT_EQ(ints(big.indices), (std::vector<int64_t>{4, 1, 3}));
  ValuesIndices small = topk(x, 3, 0, /*largest=*/false);
  EXPECT_EQ(vals(small.values), (std::vector<double>{-2, 1, 3}));
  EXPECT_EQ(ints(small.indices), (std::vector<int64_t>{5, 0, 2}));
  Tensor m = from_vector<double>({4, 1, 7, 2, 9, 0}, Shape{3, 2});
  ValuesIndices col = topk(m, 2, 0);
  EXPECT_EQ(col.values.shape(), (Shape{2, 2}));
  EXPECT_EQ(vals(col.values), (std::vector<double>{9, 2, 7, 1}));
  EXPECT_EQ(ints(col.indices), (std::vector<int64_t>{2, 1, 1, 0}));
  EXPECT_EQ(topk(m, 0, 1).values.shape(), (Shape{3, 0}));
  // A 0-d input is one element: k = 1 gives it back 0-d, k = 0 gives nothing.
  ValuesIndices one = topk(scalar_tensor(2.5), 1);
  EXPECT_EQ(one.values.shape(), Shape{});
  EXPECT_EQ(one.values.item<double>(), 2.5);
  EXPECT_EQ(one.indices.item<int64_t>(), 0);
  EXPECT_EQ(topk(scalar_tensor(2.5), 0).values.numel(), 0);
}

TEST(TopK, KOutOfRangeThrows) {
  Tensor x = zeros({2, 3});
  expect_throw_message<ValueError>(
      [&] { topk(x, 4); },
      "topk: k = 4 is out of range for dim -1 of size 3 in shape [2, 3]; expected 0 <= k <= 3");
  expect_throw_message<ValueError>(
      [&] { topk(x, -1, 0); },
      "topk: k = -1 is out of range for dim 0 of size 2 in shape [2, 3]; expected 0 <= k <= 2");
  EXPECT_THROW(topk(x, 1, 2), IndexError);
}

TEST(Unique, ValuesInverseCounts) {
  Tensor x = from_vector<int64_t>({3, 1, 3, -2, 1, 3}, Shape{2, 3});
  UniqueResult u = unique(x);
  EXPECT_EQ(ints(u.values), (std::vector<int64_t>{-2, 1, 3}));
  EXPECT_EQ(u.inverse.shape(), (Shape{2, 3}));
  EXPECT_EQ(ints(u.inverse), (std::vector<int64_t>{2, 1, 2, 0, 1, 2}));
  EXPECT_EQ(ints(u.counts), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(u.values.dtype(), DType::i64);
  EXPECT_EQ(u.counts.dtype(), DType::i64);
}

TEST(Unique, EachNaNIsDistinctAndSignedZerosMerge) {
  for (DType dt : kFloats) {
    Tensor x = from_vector<double>({kNaN, 1.0, kNaN, 0.0, 1.0, -0.0}).to(dt);
    UniqueResult u = unique(x);
    expect_same(vals(u.values), {0.0, 1.0, kNaN, kNaN});
    EXPECT_EQ(ints(u.inverse), (std::vector<int64_t>{2, 1, 3, 0, 1, 0})) << dtype_name(dt);
    EXPECT_EQ(ints(u.counts), (std::vector<int64_t>{2, 2, 1, 1})) << dtype_name(dt);
  }
  UniqueResult e = unique(zeros({0, 4}));
  EXPECT_EQ(e.values.shape(), (Shape{0}));
  EXPECT_EQ(e.inverse.shape(), (Shape{0, 4}));
}

TEST(Scan, DtypeRules) {
  Tensor b = from_vector(std::vector<bool>{true, false, true, true});
  Tensor cb = cumsum(b, 0);
  EXPECT_EQ(cb.dtype(), DType::i64);
  EXPECT_EQ(ints(cb), (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_EQ(ints(cumprod(b, 0)), (std::vector<int64_t>{1, 0, 0, 0}));
  Tensor i = from_vector<int8_t>({100, 100, 100, -50});
  Tensor ci = cumsum(i, 0);
  EXPECT_EQ(ci.dtype(), DType::i64);
  EXPECT_EQ(ints(ci), (std::vector<int64_t>{100, 200, 300, 250}));  // no i8 overflow
  EXPECT_EQ(ints(cumprod(i, 0)), (std::vector<int64_t>{100, 10000, 1000000, -50000000}));
  for (DType dt : kFloats) EXPECT_EQ(cumsum(ones({3}, dt), 0).dtype(), dt);
  // i64 products wrap modulo 2^64, like the integer arithmetic of PyTorch.
  Tensor big = from_vector<int64_t>({int64_t{1} << 62, 4, 3});
  EXPECT_EQ(ints(cumprod(big, 0)), (std::vector<int64_t>{int64_t{1} << 62, 0, 0}));
}

TEST(Scan, HalfAccumulatesInF32AndF32InF64) {
  // In f16, 2048 + 1 rounds back to 2048: an f16 accumulator would stop there.
  std::vector<double> c = vals(cumsum(ones({4096}, DType::f16), 0));
  EXPECT_EQ(c[2047], 2048.0);
  EXPECT_EQ(c[4095], 4096.0);
  // In f32, 1e8 + 1 == 1e8; the f64 accumulator keeps the 1 for the final sum.
  Tensor x = from_vector<float>({1e8f, 1.0f, -1e8f});
  EXPECT_EQ(vals(cumsum(x, 0))[2], 1.0);
}

TEST(Scan, AlongEveryDim) {
  Tensor x = arange(0.0, 24.0, 1.0, DType::f64).view({2, 3, 4});
  std::vector<double> d1 = vals(cumsum(x, 1));
  // Element [1, 2, 3] sums x[1, 0..2, 3] = 15 + 19 + 23.
  EXPECT_EQ(d1[23], 57.0);
  EXPECT_EQ(vals(cumsum(x, -1))[23], 20.0 + 21 + 22 + 23);
  EXPECT_EQ(vals(cumsum(x, 0))[23], 11.0 + 23);
  expect_throw_message<IndexError>(
      [&] { cumsum(x, 3); },
      "cumsum: dim 3 is out of range for a tensor with 3 dims; expected a dim in [-3, 2]");
}

TEST(Softmax, RowsOfTenThousandSumToOne) {
  Generator g(17);
  for (DType dt : {DType::f32, DType::f64, DType::bf16}) {
    Tensor x = normal({3, 10000}, 0.0, 10.0, dt, &g);
    std::vector<double> p = vals(softmax(x, -1));
    std::vector<double> q = vals(softmax(x.t().contiguous(), 0));  // inner > 1 path
    for (int r = 0; r < 3; ++r) {
      double s = 0.0, sq = 0.0;
      for (int i = 0; i < 10000; ++i) {
        s += p[static_cast<size_t>(r * 10000 + i)];
        sq += q[static_cast<size_t>(i * 3 + r)];
      }
      const double tol = dt == DType::bf16 ? 2e-2 : 1e-5;
      EXPECT_NEAR(s, 1.0, tol) << dtype_name(dt);
      EXPECT_NEAR(sq, 1.0, tol) << dtype_name(dt);
    }
  }
}

TEST(Softmax, LargeInputsDoNotOverflow) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = from_vector<double>({1000, 1000, 999, -1000}).to(dt);
    std::vector<double> p = vals(softmax(x, 0));
    const double e = std::exp(-1.0), s = 2 + e;
    EXPECT_NEAR(p[0], 1 / s, 1e-6);
    EXPECT_NEAR(p[1], 1 / s, 1e-6);
    EXPECT_NEAR(p[2], e / s, 1e-6);
    EXPECT_EQ(p[3], 0.0);
    std::vector<double> l = vals(log_softmax(x, 0));
    EXPECT_NEAR(l[0], -std::log(s), 1e-5);
    EXPECT_NEAR(l[3], -2000 - std::log(s), 1e-3);
    EXPECT_TRUE(std::isfinite(l[3]));
  }
  // Near the f16 maximum (65504).
  Tensor h = from_vector<double>({60000, 0}).to(DType::f16);
  EXPECT_EQ(vals(softmax(h, 0)), (std::vector<double>{1.0, 0.0}));
}

TEST(Softmax, MaskedAndNaNLines) {
  Tensor x = from_vector<double>({0, -kInf, 1, -kInf, -kInf, -kInf, 1, kNaN, 2}, Shape{3, 3});
  std::vector<double> p = vals(softmax(x, 1));
  EXPECT_EQ(p[1], 0.0);  // a masked (-inf) entry is exactly 0
  EXPECT_NEAR(p[0] + p[2], 1.0, 1e-6);
  for (int i = 3; i < 9; ++i) EXPECT_TRUE(std::isnan(p[i])) << i;  // all -inf, or a NaN
  std::vector<double> l = vals(log_softmax(x, 1));
  EXPECT_EQ(l[1], -kInf);
  EXPECT_NEAR(l[2], -std::log1p(std::exp(-1.0)), 1e-6);
}

TEST(Softmax, FastExpIsAccurateAcrossTheRange) {
  // softmax([0, t]) = [1 / (1 + e^t), e^t / (1 + e^t)] exercises exp(-|t|) over the range.
  std::vector<double> t;
  for (double v = -87.0; v <= 87.0; v += 0.173) t.push_back(v);
  std::vector<double> pairs;
  for (double v : t) {
    pairs.push_back(0.0);
    pairs.push_back(v);
  }
  Tensor x = from_vector(pairs, Shape{static_cast<int64_t>(t.size()), 2}).to(DType::f32);
  std::vector<double> p = vals(softmax(x, 1));
  std::vector<double> xs = vals(x);
  for (size_t i = 0; i < t.size(); ++i) {
    const double tv = xs[2 * i + 1];
    const double want0 = 1.0 / (1.0 + std::exp(tv)), want1 = 1.0 / (1.0 + std::exp(-tv));
    EXPECT_NEAR(p[2 * i], want0, 1.3e-6 * want0 + 1e-37) << "t = " << tv;
    EXPECT_NEAR(p[2 * i + 1], want1, 1.3e-6 * want1 + 1e-37) << "t = " << tv;
  }
}

TEST(Softmax, IntegerInputsThrow) {
  Tensor x = ones({3}, DType::i64);
  expect_throw_message<DTypeError>(
      [&] { softmax(x, 0); },
      "softmax: expected a floating tensor, got i64; convert it first, e.g. x.to(DType::f32)");
  expect_throw_message<DTypeError>(
      [&] { log_softmax(ones({3}, DType::b8), 0); },
      "log_softmax: expected a floating tensor, got bool; convert it first, e.g. "
      "x.to(DType::f32)");
  expect_throw_message<IndexError>(
      [&] { softmax(ones({3}), -2); },
      "softmax: dim -2 is out of range for a tensor with 1 dims; expected a dim in [-1, 0]");
}

TEST(SortScanSoftmax, ResultsDoNotDependOnTheThreadCount) {
  Generator g(555);
  Tensor x = randn({64, 4099}, DType::f32, &g);
  Tensor y = randn({37, 301, 29}, DType::f32, &g);
  auto run = [&] {
    std::vector<std::vector<double>> out;
    out.push_back(vals(softmax(x, -1)));
    out.push_back(vals(log_softmax(y, 1)));
    out.push_back(vals(cumsum(y, 1)));
    out.push_back(vals(cumprod(x, -1)));
    ValuesIndices s = sort(x, -1);
    out.push_back(vals(s.values));
    out.push_back(vals(s.indices));
    out.push_back(vals(topk(y, 5, 1).indices));
    return out;
  };
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  auto one = run();
  omp_set_num_threads(2);
  auto two = run();
  omp_set_num_threads(saved);
  for (size_t k = 0; k < one.size(); ++k) {
    ASSERT_EQ(one[k].size(), two[k].size());
    EXPECT_TRUE(
        std::equal(one[k].begin(), one[k].end(), two[k].begin(),
                   [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }))
        << "output " << k;
  }
}

}  // namespace
}  // namespace ember
