// Reduction tests the op-case table cannot express: error messages, dtype and shape rules,
// empty and 0-d inputs, NaN and tie rules, accuracy of long sums and of var, determinism across
// thread counts, and non-contiguous (transposed, sliced, expanded) inputs.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using testing::message_of;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Restores the OpenMP thread count at scope exit.
struct ThreadCount {
  explicit ThreadCount(int n) : saved(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(saved); }
  int saved;
};

TEST(ReduceErrors, DimOutOfRange) {
  Tensor x = zeros({2, 3});
  std::string m = message_of<IndexError>([&] { sum(x, {2}); });
  EXPECT_TRUE(contains(m, "sum: dim 2 is out of range for a tensor with 2 dims")) << m;
  m = message_of<IndexError>([&] { amax(x, {-3}); });
  EXPECT_TRUE(contains(m, "amax: dim -3 is out of range")) << m;
  m = message_of<IndexError>([&] { argmax(x, 5); });
  EXPECT_TRUE(contains(m, "argmax: dim 5 is out of range")) << m;
}

TEST(ReduceErrors, DuplicateDims) {
  Tensor x = zeros({2, 3, 4});
  std::string m = message_of<ShapeError>([&] { sum(x, {1, -2}); });
  EXPECT_EQ(m, "sum: dims [1, -2] name dim 1 more than once; expected distinct dims");
  m = message_of<ShapeError>([&] { var(x, {0, 2, 0}); });
  EXPECT_TRUE(contains(m, "var: dims [0, 2, 0] name dim 0 more than once")) << m;
}

TEST(ReduceErrors, FloatingOnlyOps) {
  Tensor xi = zeros({4}, DType::i64);
  std::string m = message_of<DTypeError>([&] { mean(xi); });
  EXPECT_EQ(m,
            "mean: input has dtype i64; expected a floating dtype (f32, f64, f16 or bf16), "
            "e.g. x.to(DType::f32)");
  EXPECT_TRUE(contains(message_of<DTypeError>([&] { var(xi); }), "var: input has dtype i64"));
  EXPECT_TRUE(contains(message_of<DTypeError>([&] { std(zeros({3}, DType::b8)); }),
                       "std: input has dtype bool"));
  EXPECT_TRUE(
      contains(message_of<DTypeError>([&] { logsumexp(xi); }), "logsumexp: input has dtype i64"));
  EXPECT_TRUE(contains(message_of<DTypeError>([&] { norm(xi); }), "norm: input has dtype i64"));
}

TEST(ReduceErrors, NoIdentityOverEmpty) {
  Tensor e = zeros({0, 3});
  std::string m = message_of<IndexError>([&] { argmax(e); });
  EXPECT_EQ(m,
            "argmax: cannot reduce over the zero-size dim 0 of a tensor of shape [0, 3] (the "
            "op has no identity); expected reduced dims of nonzero size");
  m = message_of<IndexError>([&] { argmin(zeros({3, 0}), 1); });
  EXPECT_TRUE(contains(m,
                       "argmin: cannot reduce over the zero-size dim 1 of a tensor of shape "
                       "[3, 0]"))
      << m;
  EXPECT_TRUE(contains(message_of<IndexError>([&] { amax(e, {0}); }), "amax: cannot reduce"));
  EXPECT_TRUE(contains(message_of<IndexError>([&] { amin(e); }), "amin: cannot reduce"));
  EXPECT_TRUE(contains(message_of<IndexError>([&] { max(e); }), "max: cannot reduce"));
  EXPECT_TRUE(contains(message_of<IndexError>([&] { min(e, 0); }), "min: cannot reduce"));
  EXPECT_TRUE(contains(message_of<IndexError>([&] { norm(e, INFINITY); }), "norm: cannot reduce"));
  // Reducing a non-empty dim of an empty tensor is fine: the output is empty.
  EXPECT_EQ(amax(e, {1}).shape(), Shape({0}));
  EXPECT_EQ(max(e, 1).indices.shape(), Shape({0}));
}

TEST(ReduceErrors, NormOrder) {
  std::string m = message_of<ValueError>([&] { norm(ones({3}), 3.0); });
  EXPECT_EQ(m, "norm: p = 3 is not supported; expected 1, 2 or infinity");
  EXPECT_TRUE(contains(message_of<ValueError>([&] { norm(ones({3}), -INFINITY); }), "p = -inf"));
}

TEST(ReduceRules, OutputDtypes) {
  EXPECT_EQ(sum(ones({3}, DType::i32)).dtype(), DType::i64);
  EXPECT_EQ(sum(ones({3}, DType::u8)).dtype(), DType::i64);
  EXPECT_EQ(sum(ones({3}, DType::b8)).dtype(), DType::i64);
  EXPECT_EQ(prod(ones({3}, DType::i8)).dtype(), DType::i64);
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    EXPECT_EQ(sum(ones({3}, d)).dtype(), d);
    EXPECT_EQ(prod(ones({3}, d)).dtype(), d);
    EXPECT_EQ(mean(ones({3}, d)).dtype(), d);
    EXPECT_EQ(var(ones({3}, d)).dtype(), d);
  }
  EXPECT_EQ(amax(ones({3}, DType::i32)).dtype(), DType::i32);
  EXPECT_EQ(amin(ones({3}, DType::bf16)).dtype(), DType::bf16);
  EXPECT_EQ(all(ones({3}, DType::f32)).dtype(), DType::b8);
  EXPECT_EQ(any(ones({3}, DType::i64)).dtype(), DType::b8);
  EXPECT_EQ(argmax(ones({3}, DType::f16)).dtype(), DType::i64);
  ValuesIndices vi = max(ones({2, 3}, DType::u8), 1);
  EXPECT_EQ(vi.values.dtype(), DType::u8);
  EXPECT_EQ(vi.indices.dtype(), DType::i64);
}

TEST(ReduceRules, IntegerAndBoolValues) {
  Tensor xi = from_vector<int32_t>({2000000000, 2000000000, -7});
  EXPECT_EQ(sum(xi).item<int64_t>(), 3999999993);  // no i32 overflow: accumulates in i64
  EXPECT_EQ(prod(from_vector<int32_t>({-3, 5, 7})).item<int64_t>(), -105);
  Tensor b = from_vector(std::vector<bool>{true, false, true, true});
  EXPECT_EQ(sum(b).item<int64_t>(), 3);
  EXPECT_FALSE(all(b).item<bool>());
  EXPECT_TRUE(any(b).item<bool>());
  // Any dtype: nonzero (NaN included) is true.
  EXPECT_TRUE(all(from_vector<float>({1.0f, -2.0f, NAN})).item<bool>());
  EXPECT_FALSE(all(from_vector<float>({1.0f, 0.0f})).item<bool>());
  EXPECT_FALSE(any(from_vector<int64_t>({0, 0})).item<bool>());
  EXPECT_EQ(amax(from_vector<uint8_t>({3, 250, 7})).item<int64_t>(), 250);
  EXPECT_EQ(argmin(from_vector<int64_t>({4, -9, 2, -9})).item<int64_t>(), 1);
}

TEST(ReduceRules, KeepdimShapes) {
  Tensor x = randn({2, 3, 4});
  EXPECT_EQ(sum(x, {1}, true).shape(), Shape({2, 1, 4}));
  EXPECT_EQ(sum(x, {1}).shape(), Shape({2, 4}));
  EXPECT_EQ(sum(x, {}, true).shape(), Shape({1, 1, 1}));
  EXPECT_EQ(sum(x).shape(), Shape({}));
  EXPECT_EQ(mean(x, {0, 2}).shape(), Shape({3}));
  EXPECT_EQ(var(x, {-1, 0}, 1, true).shape(), Shape({1, 3, 1}));
  EXPECT_EQ(amax(x, {2}, true).shape(), Shape({2, 3, 1}));
  EXPECT_EQ(all(x, {0}, true).shape(), Shape({1, 3, 4}));
  EXPECT_EQ(argmax(x, {}, true).shape(), Shape({1, 1, 1}));
  EXPECT_EQ(argmax(x).shape(), Shape({}));
  EXPECT_EQ(argmin(x, 1, true).shape(), Shape({2, 1, 4}));
  ValuesIndices vi = max(x, -1, true);
  EXPECT_EQ(vi.values.shape(), Shape({2, 3, 1}));
  EXPECT_EQ(vi.indices.shape(), Shape({2, 3, 1}));
  // keepdim and plain results hold the same values.
  EXPECT_EQ(values(sum(x, {1}, true)), values(sum(x, {1})));
}

TEST(ReduceRules, EmptyReductions) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(values(sum(e, {0})), std::vector<double>(3, 0.0));
  EXPECT_EQ(values(prod(e, {0})), std::vector<double>(3, 1.0));
  EXPECT_EQ(sum(zeros({0}, DType::i32)).item<int64_t>(), 0);
  EXPECT_TRUE(all(e).item<bool>());
  EXPECT_FALSE(any(e).item<bool>());
  EXPECT_TRUE(std::isnan(mean(e).item()));
  EXPECT_TRUE(std::isnan(var(e, {0}, 0).at<double>({1})));
  Tensor lse = logsumexp(e, {0}, true);
  EXPECT_EQ(lse.shape(), Shape({1, 3}));
  EXPECT_EQ(values(lse), std::vector<double>(3, -INFINITY));
  EXPECT_EQ(sum(zeros({3, 0}), {0}).shape(), Shape({0}));
}

TEST(ReduceRules, ZeroDimInput) {
  Tensor s = scalar_tensor(3.5);
  EXPECT_EQ(sum(s).shape(), Shape({}));
  EXPECT_EQ(sum(s).item(), 3.5);
  EXPECT_EQ(sum(s, {0}).item(), 3.5);
  EXPECT_EQ(sum(s, {-1}, true).shape(), Shape({}));
  EXPECT_EQ(prod(s).item(), 3.5);
  EXPECT_EQ(amax(s).item(), 3.5);
  EXPECT_EQ(mean(s).item(), 3.5);
  EXPECT_TRUE(std::isnan(var(s).item()));  // N - correction = 0 and M2 = 0
  EXPECT_EQ(var(s, {}, 0).item(), 0.0);
  EXPECT_EQ(argmax(s).item<int64_t>(), 0);
  ValuesIndices vi = min(s, 0);
  EXPECT_EQ(vi.values.item(), 3.5);
  EXPECT_EQ(vi.indices.item<int64_t>(), 0);
  EXPECT_TRUE(all(s).item<bool>());
  EXPECT_TRUE(contains(message_of<IndexError>([&] { sum(s, {1}); }), "sum: dim 1 is out of range"));
}

TEST(ReduceRules, VarCorrection) {
  Tensor x = from_vector<double>({1.0, 2.0, 4.0});
  EXPECT_DOUBLE_EQ(var(x).item(), 7.0 / 3.0);
  EXPECT_DOUBLE_EQ(var(x, {}, 0).item(), 14.0 / 9.0);
  EXPECT_DOUBLE_EQ(var(x, {}, -1).item(), 14.0 / 12.0);
  EXPECT_EQ(var(x, {}, 3).item(), INFINITY);  // M2 > 0 over a zero divisor
  EXPECT_TRUE(std::isnan(var(from_vector<double>({2.0, 2.0}), {}, 2).item()));  // 0 / 0
}

TEST(ReduceNaN, PropagatesAndIndexes) {
  Tensor x = from_vector<float>({1.0f, NAN, 5.0f, NAN, -2.0f});
  EXPECT_TRUE(std::isnan(sum(x).item()));
  EXPECT_TRUE(std::isnan(prod(x).item()));
  EXPECT_TRUE(std::isnan(amax(x).item()));
  EXPECT_TRUE(std::isnan(amin(x).item()));
  EXPECT_TRUE(std::isnan(var(x).item()));
  EXPECT_EQ(argmax(x).item<int64_t>(), 1);
  EXPECT_EQ(argmin(x).item<int64_t>(), 1);
  ValuesIndices vi = max(x, 0);
  EXPECT_TRUE(std::isnan(vi.values.item()));
  EXPECT_EQ(vi.indices.item<int64_t>(), 1);

  // A NaN deep in a long reduction, in every driver: lanes, chunks, columns.
  Tensor big = ones({3, 100003});
  big.select(0, 1).narrow(0, 77777, 1).fill_(NAN);
  std::vector<double> m = values(amax(big, {1}));
  EXPECT_EQ(m[0], 1.0);
  EXPECT_TRUE(std::isnan(m[1]));
  EXPECT_EQ(values(argmax(big, 1)), (std::vector<double>{0, 77777, 0}));
  Tensor cols = big.t().contiguous();  // [100003, 3]: reduced over dim 0 by the column driver
  EXPECT_TRUE(std::isnan(values(amin(cols, {0}))[1]));
  EXPECT_EQ(values(argmin(cols, 0)), (std::vector<double>{0, 77777, 0}));
  EXPECT_TRUE(std::isnan(amax(big).item()));
  EXPECT_EQ(argmax(big).item<int64_t>(), 100003 + 77777);
}

TEST(ReduceNaN, InfinitiesAndTies) {
  Tensor x = from_vector<double>({INFINITY, 1.0, -INFINITY});
  EXPECT_TRUE(std::isnan(sum(x).item()));
  EXPECT_EQ(amax(x).item(), INFINITY);
  EXPECT_EQ(amin(x).item(), -INFINITY);
  EXPECT_EQ(argmax(from_vector<float>({1, 3, 3, 2})).item<int64_t>(), 1);
  // First occurrence wins across lanes, blocks and chunks.
  Tensor t = zeros({200000});
  t.narrow(0, 150001, 1).fill_(2.0);
  t.narrow(0, 70001, 1).fill_(2.0);
  t.narrow(0, 5, 1).fill_(-1.0);
  t.narrow(0, 199999, 1).fill_(-1.0);
  EXPECT_EQ(argmax(t).item<int64_t>(), 70001);
  EXPECT_EQ(argmin(t).item<int64_t>(), 5);
  EXPECT_EQ(argmax(ones({100003})).item<int64_t>(), 0);
  Tensor c = zeros({70001, 2});
  c.narrow(0, 60000, 1).fill_(4.0);
  c.narrow(0, 3, 1).fill_(4.0);
  EXPECT_EQ(values(argmax(c, 0)), (std::vector<double>{3, 3}));
}

TEST(ReduceAccuracy, TenMillionOnesSumExactly) {
  EXPECT_EQ(sum(ones({10000000})).item(), 1e7);
  EXPECT_EQ(sum(ones({10000000}).view({10000, 1000}), {0}).at<float>({7}), 1e4f);
  EXPECT_EQ(mean(ones({10000000})).item(), 1.0);
  // 1e7 * 0.1f in f32 adds: a naive f32 loop drifts by ~1e4; double accumulation does not.
  double v = static_cast<double>(0.1f) * 1e7;
  EXPECT_NEAR(sum(full({10000000}, 0.1)).item(), v, v * 1e-7);
}

TEST(ReduceAccuracy, VarianceOfLargeOffsetValues) {
  EXPECT_EQ(var(from_vector<double>({1e8 + 1, 1e8 + 2, 1e8 + 3})).item(), 1.0);
  // 1e6 values 1e9 + N(0, 1): E[x^2] - E[x]^2 would lose every digit.
  Generator gen(3);
  Tensor x = randn({1000000}, DType::f64, &gen);
  std::vector<double> v = values(x);
  double m = 0, m2 = 0;
  for (double a : v) m += a;
  m /= static_cast<double>(v.size());
  for (double a : v) m2 += (a - m) * (a - m);
  double want = m2 / static_cast<double>(v.size() - 1);
  Tensor shifted = from_vector<double>([&] {
    std::vector<double> s = v;
    for (double& a : s) a += 1e9;
    return s;
  }());
  EXPECT_NEAR(var(shifted).item(), want, 1e-6 * want);
  EXPECT_NEAR(var(x).item(), want, 1e-12 * want);
}

TEST(ReduceAccuracy, HalfMeanDoesNotOverflow) {
  // The f16 sum (1.6e8) overflows f16, the mean (1600) does not.
  EXPECT_EQ(mean(full({100000}, 1600.0, DType::f16)).item(), 1600.0);
  EXPECT_EQ(sum(full({100000}, 1600.0, DType::f16)).item(), INFINITY);
  EXPECT_EQ(mean(full({1000, 100}, 1600.0, DType::bf16), {0}).at<double>({5}), 1600.0);
}

// The same bits for any thread count and on repeated runs, in every driver.
TEST(ReduceDeterminism, IndependentOfThreadCount) {
  Generator gen(11);
  Tensor x = randn({1 << 21}, DType::f32, &gen);
  Tensor m = x.view({2048, 1024});
  std::vector<std::function<Tensor()>> ops = {
      [&] { return sum(x); },
      [&] { return sum(m, {1}); },
      [&] { return sum(m, {0}); },
      [&] {
        return sum(x.view({2, 1 << 20}), {1});
      },
      [&] {
        return sum(x.view({1 << 20, 2}), {0});
      },
      [&] { return var(m, {0}); },
      [&] { return mean(x.to(DType::f16)); },
      [&] { return sum(m.t()); },
  };
  for (size_t k = 0; k < ops.size(); ++k) {
    std::vector<double> one, two, again;
    {
      ThreadCount t(1);
      one = values(ops[k]());
    }
    {
      ThreadCount t(2);
      two = values(ops[k]());
      again = values(ops[k]());
    }
    EXPECT_EQ(one, two) << "op " << k;
    EXPECT_EQ(two, again) << "op " << k;
  }
}

// Plain double-loop sums over dim `dim` of a 2-d tensor's logical values.
std::vector<double> ref_sum_2d(const Tensor& t, int dim) {
  std::vector<double> v = values(t);
  const int64_t rows = t.size(0), cols = t.size(1);
  std::vector<double> out(static_cast<size_t>(dim == 0 ? cols : rows), 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      out[static_cast<size_t>(dim == 0 ? j : i)] += v[i * cols + j];
  }
  return out;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(ReduceLayouts, NonContiguousInputs) {
  Generator gen(5);
  Tensor base = randn({211, 389}, DType::f64, &gen);
  Tensor tr = base.t();                    // [389, 211], strides [1, 389]
  Tensor sl = base.slice(1, 3, {}, 3);     // every third column
  Tensor rows = base.slice(0, 1, 200, 2);  // every other row
  for (const Tensor& t : {tr, sl, rows}) {
    ASSERT_FALSE(t.is_contiguous());
    for (int dim : {0, 1}) {
      expect_near_all(values(sum(t, {dim})), ref_sum_2d(t, dim), 1e-10);
      expect_near_all(values(sum(t.contiguous(), {dim})), ref_sum_2d(t, dim), 1e-10);
      std::vector<double> a = values(argmax(t, dim)), b = values(argmax(t.contiguous(), dim));
      EXPECT_EQ(a, b);
      EXPECT_EQ(values(amin(t, {dim})), values(amin(t.contiguous(), {dim})));
      expect_near_all(values(var(t, {dim})), values(var(t.contiguous(), {dim})), 1e-12);
    }
    double total = 0;
    for (double v : values(t)) total += v;
    EXPECT_NEAR(sum(t).item(), total, 1e-9);
    EXPECT_EQ(argmax(t).item<int64_t>(), argmax(t.contiguous()).item<int64_t>());
  }
  // A permuted 3-d view reduced over two dims, one of them unit-stride.
  Tensor x3 = randn({6, 7, 8}, DType::f64, &gen);
  Tensor p = x3.permute({2, 0, 1});  // [8, 6, 7]
  expect_near_all(values(sum(p, {0, 2})), values(sum(p.contiguous(), {0, 2})), 1e-12);
  expect_near_all(values(mean(p, {1})), values(mean(p.contiguous(), {1})), 1e-12);
  // Expanded (stride-0) dims.
  Tensor e = from_vector<double>({1.5, -2.0, 4.0}).view({3, 1}).expand({3, 1000});
  EXPECT_EQ(values(sum(e, {1})), (std::vector<double>{1500.0, -2000.0, 4000.0}));
  EXPECT_EQ(values(argmax(e, 1)), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(sum(e).item(), 3500.0);
}

}  // namespace
}  // namespace ember
