// Autograd: gradcheck of every op with a rule (broadcast and non-contiguous inputs included),
// whole graphs (MLP, deep chain, shared subexpressions), errors, grad mode and memory, gradient
// hooks, zero_grad and anomaly mode.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/autograd.h"
#include "autograd/gradcheck.h"
#include "autograd/rules.h"
#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using autograd::gradcheck;
using autograd::gradgradcheck;
using Ts = std::vector<Tensor>;

Tensor leaf(const Shape& s, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Generator gen(seed);
  return uniform(s, lo, hi, DType::f64, &gen).requires_grad_();
}

// A non-contiguous leaf: the transpose of a random [s1, s0] tensor.
Tensor leaf_t(int64_t s0, int64_t s1, uint64_t seed) {
  Generator gen(seed);
  Tensor base = uniform({s1, s0}, -1.0, 1.0, DType::f64, &gen);
  Tensor t = base.t();
  t.requires_grad_();
  return t;
}

TEST(Autograd, GradcheckUnary) {
  Tensor x = leaf({3, 4}, 1), pos = leaf({3, 4}, 2, 0.5, 2.0), xt = leaf_t(3, 4, 3);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return neg(v[0]); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return exp(v[0]); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return log(v[0]); }, {pos}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sqrt(v[0]); }, {pos}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return tanh(v[0]); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sigmoid(v[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return relu(v[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return square(v[0]); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return abs(v[0]); }, {x}));
}

TEST(Autograd, GradcheckBinaryWithBroadcast) {
  Tensor a = leaf({3, 4}, 4), b = leaf({4}, 5, 0.5, 2.0), c = leaf({3, 1}, 6), at = leaf_t(3, 4, 7);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0] + v[1]; }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0] - v[1]; }, {at, c}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0] * v[1]; }, {c, at}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0] / v[1]; }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0] * 3.0 - 1.0; }, {a}));
  Tensor base = leaf({3, 4}, 8, 0.5, 2.0);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return pow(v[0], 2.5); }, {base}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return pow(v[0], v[1]); }, {base, b}));
}

TEST(Autograd, GradcheckWhereAndCast) {
  Tensor a = leaf({3, 4}, 9), b = leaf({4}, 10);
  Tensor cond = gt(leaf({3, 4}, 11).detach(), 0.0);
  EXPECT_TRUE(gradcheck([&](const Ts& v) { return where(cond, v[0], v[1]); }, {a, b}));
  // Through f32 the function is still linear; a large step keeps f32 rounding out of it.
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0].to(DType::f32).to(DType::f64); }, {a},
                        /*eps=*/0.25, /*atol=*/1e-5, /*rtol=*/1e-5));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return v[0].t().contiguous() * 2.0; }, {a}));
}

TEST(Autograd, GradcheckReductions) {
  Tensor x = leaf({3, 4, 5}, 12), xt = leaf_t(4, 6, 13);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sum(v[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sum(v[0], {0, 2}); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sum(v[0], {1}, true); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return mean(v[0], {-1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return amax(v[0], {1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return amin(v[0], {0}, true); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return max(v[0]); }, {x}));
}

TEST(Autograd, AmaxSplitsTiesEvenly) {
  Tensor x = from_vector<double>({1, 3, 3, 2}).requires_grad_();
  amax(x).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0.5, 0.5, 0}));
}

TEST(Autograd, GradcheckMatmulSoftmax) {
  Tensor a = leaf({2, 3, 4}, 14), b = leaf({4, 5}, 15), bt = leaf_t(4, 5, 16), v = leaf({4}, 17);
  EXPECT_TRUE(gradcheck([](const Ts& t) { return matmul(t[0], t[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return matmul(t[0], t[1]); }, {a, bt}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return matmul(t[0], t[1]); }, {v, b}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return matmul(t[0], t[1]); }, {a, v}));
  Tensor c = leaf({5}, 23), m = leaf({3, 4}, 24);
  EXPECT_TRUE(gradcheck([](const Ts& t) { return addmm(t[0], t[1], t[2], 0.5, -2.0); },
                        {c, m, b}));
  Tensor x = leaf({3, 5}, 18), xt = leaf_t(5, 3, 19);
  EXPECT_TRUE(gradcheck([](const Ts& t) { return softmax(t[0], 1); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return softmax(t[0], 0); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return log_softmax(t[0], -1); }, {xt}));
}

TEST(Autograd, GradcheckViews) {
  Tensor x = leaf({3, 4}, 20), xt = leaf_t(4, 3, 21), y = leaf({3, 1}, 22);
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].view({4, 3}) * 2.0; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].reshape({12}) * 2.0; }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].permute({1, 0}) * 2.0; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].transpose(0, 1) * 2.0; }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].slice(1, 1, 4, 2) * 2.0; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].narrow(0, 1, 2) * 2.0; }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].select(1, -1) * 2.0; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].expand({2, 3, 5}) * 2.0; }, {y}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].unsqueeze(1).squeeze() * 2.0; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].flatten() * 2.0; }, {xt}));
  // as_strided: a plain window, overlapping windows (gradients add up), an expanded input
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].as_strided({2, 2}, {1, 4}, 1) * 2.0; },
                        {x}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return t[0].as_strided({3, 3}, {1, 1}) * 2.0; }, {xt}));
  EXPECT_TRUE(gradcheck(
      [](const Ts& t) { return t[0].expand({3, 4}).as_strided({2, 2}, {1, 1}) * 2.0; }, {y}));
}

TEST(Autograd, GradcheckIndexAndCat) {
  Tensor x = leaf({4, 3}, 23), xt = leaf_t(4, 3, 24), src = leaf({4, 2}, 25);
  Tensor idx = from_vector<int64_t>({2, 0, 2});
  Tensor gidx = from_vector<int64_t>({0, 2, 1, 1, 0, 0, 2, 2}, Shape{4, 2});
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return index_select(t[0], 0, idx); }, {xt}));
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return gather(t[0], 1, gidx); }, {x}));
  Tensor aidx = from_vector<int64_t>({1, 1});
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return index_add(t[0], 1, aidx, t[1], 0.5); },
                        {x, src}));
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return scatter_add(t[0], 1, gidx, t[1]); },
                        {x, src}));
  Tensor y = leaf({2, 3}, 26);
  EXPECT_TRUE(gradcheck([](const Ts& t) { return cat({t[0], t[1], t[0]}, 0); }, {xt, y}));
  EXPECT_TRUE(gradcheck([](const Ts& t) { return stack({t[0], t[0] * 2.0}, 1); }, {y}));
}

TEST(Autograd, GradcheckMoreUnary) {
  Tensor x = leaf({3, 4}, 50), xt = leaf_t(3, 4, 51), pos = leaf({3, 4}, 52, 0.5, 2.0);
  Tensor wide = leaf({3, 4}, 53, -3.0, 3.0);
  auto check = [](Tensor (*f)(const Tensor&), const Tensor& in) {
    return gradcheck([f](const Ts& v) { return f(v[0]); }, {in});
  };
  EXPECT_TRUE(check(exp2, xt));
  EXPECT_TRUE(check(log2, pos));
  EXPECT_TRUE(check(log1p, pos));
  EXPECT_TRUE(check(expm1, xt));
  EXPECT_TRUE(check(rsqrt, pos));
  EXPECT_TRUE(check(reciprocal, pos));
  EXPECT_TRUE(check(sin, wide));
  EXPECT_TRUE(check(cos, xt));
  EXPECT_TRUE(check(tan, x));
  EXPECT_TRUE(check(erf, wide));
  EXPECT_TRUE(check(silu, wide));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return leaky_relu(v[0], 0.2); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return gelu(v[0]); }, {wide}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return gelu(v[0], "tanh"); }, {wide}));
  // beta * x crosses the threshold inside [-3, 3]: both branches are checked
  EXPECT_TRUE(gradcheck([](const Ts& v) { return softplus(v[0], 2.0, 1.0); }, {wide}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return clamp(v[0], -0.5, 0.5); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return clamp(v[0], std::nullopt, 0.2); }, {xt}));
  for (auto f : {sign, floor, ceil, round, trunc}) EXPECT_TRUE(check(f, wide));
}

TEST(Autograd, PiecewiseGradients) {
  Tensor x = from_vector<double>({-1.0, 0.0, 0.5, 1.0, 2.0}).requires_grad_();
  sum(clamp(x, 0.0, 1.0)).backward();  // 0 at the bounds themselves
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 1, 0, 0}));
  x.set_grad(Tensor());
  sum(floor(x) + sign(x)).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 0, 0}));
  x.set_grad(Tensor());
  sum(leaky_relu(x, 0.1)).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0.1, 0.1, 1, 1, 1}));
}

TEST(Autograd, GradcheckMoreBinary) {
  Tensor a = leaf({3, 4}, 54, -3.0, 3.0), b = leaf({4}, 55, 0.5, 2.0), at = leaf_t(3, 4, 56);
  Tensor c = leaf({3, 1}, 57);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return maximum(v[0], v[1]); }, {at, c}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return minimum(v[0], v[1]); }, {c, at}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return atan2(v[0], v[1]); }, {at, c}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return atan2(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return fmod(v[0], v[1]); }, {a, b}));
  Tensor w = leaf({4}, 58, 0.0, 1.0);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return lerp(v[0], v[1], v[2]); }, {at, c, w}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return lerp(v[0], v[1], 0.75); }, {a, b}));
}

TEST(Autograd, MaximumSplitsTiesEvenly) {
  Tensor a = from_vector<double>({1, 2, 3}).requires_grad_();
  Tensor b = from_vector<double>({2, 2, 1}).requires_grad_();
  sum(maximum(a, b)).backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{1, 0.5, 0}));
  Tensor x = from_vector<double>({5.5, -5.5}).requires_grad_();
  Tensor y = from_vector<double>({2.0, 2.0}).requires_grad_();
  sum(fmod(x, y)).backward();
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{-2, 2}));  // -trunc(x / y)
}

TEST(Autograd, GradcheckMoreReductions) {
  Tensor x = leaf({3, 4, 5}, 59, 0.5, 1.5), xt = leaf_t(4, 6, 60), y = leaf({3, 5}, 61);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return prod(v[0]); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return prod(v[0], {0, 2}, true); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return prod(v[0], {1}); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return var(v[0], {1}); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return var(v[0], {}, 0, true); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return std(v[0], {0}); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return max(v[0], 1).values; }, {y}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return max(v[0], -1, true).values; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return min(v[0], 0).values; }, {xt}));
  // composites: their gradients come from the rules of the ops they are built from
  EXPECT_TRUE(gradcheck([](const Ts& v) { return logsumexp(v[0], {1}); }, {y}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return logsumexp(v[0], {0}, true); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return norm(v[0], 2.0, {1}); }, {y}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return norm(v[0], 1.0); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return norm(v[0], INFINITY, {0}); }, {y}));
}

TEST(Autograd, ProdWithZeros) {
  // one zero in the first row (only the zero gets a gradient), two in the second (none does)
  Tensor x = from_vector<double>({2, 0, 3, 0, 5, 0}, Shape{2, 3}).requires_grad_();
  sum(prod(x, {1})).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 6, 0, 0, 0, 0}));
  Tensor z = from_vector<double>({0.5, 0, 1.5, -2, 0, 0, 1.25, 3}, Shape{2, 4}).requires_grad_();
  EXPECT_TRUE(gradcheck([](const Ts& v) { return prod(v[0], {1}); }, {z}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return prod(v[0], {0}); }, {z}));
}

TEST(Autograd, MaxDimRoutesToTheIndex) {
  Tensor x = from_vector<double>({1, 3, 3, 2}, Shape{2, 2}).requires_grad_();
  sum(max(x, 1).values).backward();  // ties go to the first index, as the kernel picks it
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 1, 1, 0}));
}

TEST(Autograd, GradcheckScansSortTri) {
  Tensor x = leaf({3, 5}, 62, 0.5, 1.5), xt = leaf_t(4, 3, 63);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return cumsum(v[0], 1); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return cumsum(v[0], 0); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return cumprod(v[0], 1); }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return cumprod(v[0], -2); }, {xt}));
  // a line with one zero, one with two, one without
  Tensor z = from_vector<double>({0.5, 0, 1.5, -2, 0, 2, 0, 3, 1.25, 0.75, -1.5, 2},
                                 Shape{3, 4}).requires_grad_();
  EXPECT_TRUE(gradcheck([](const Ts& v) { return cumprod(v[0], 1); }, {z}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sort(v[0], 1).values; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return sort(v[0], 0, true).values; }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return topk(v[0], 2, 1).values; }, {x}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return topk(v[0], 2, 0, false).values; }, {xt}));
  Tensor sq = leaf({2, 4, 4}, 64);
  EXPECT_TRUE(gradcheck([](const Ts& v) { return tril(v[0]); }, {sq}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return triu(v[0], 1); }, {xt}));
  EXPECT_TRUE(gradcheck([](const Ts& v) { return tril(v[0], -1); }, {xt}));
}

TEST(Autograd, GradcheckScatterMaskedSelect) {
  Tensor x = leaf({4, 3}, 65), xt = leaf_t(4, 3, 66), src = leaf({4, 3}, 67);
  Tensor idx = from_vector<int64_t>({0, 2, 1, 0, 2, 1, 0, 1}, Shape{4, 2});  // no duplicate per row
  // src is larger than the index: its last column gets no gradient
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return scatter(t[0], 1, idx, t[1]); }, {xt, src}));
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return scatter(t[0], 1, idx, 2.0); }, {x}));
  Tensor dup = from_vector<int64_t>({0, 0, 1, 1, 2, 2, 0, 2}, Shape{4, 2});
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return scatter_add(t[0], 1, dup, t[1]); }, {x, src}));
  Tensor mask = gt(leaf({3}, 68).detach(), 0.0);
  EXPECT_TRUE(gradcheck([&](const Ts& t) { return masked_select(t[0], mask); }, {xt}));
  Tensor x1 = from_vector<double>({1, 2}).requires_grad_();
  Tensor empty_sel = masked_select(x1, zeros({2}, DType::b8));
  EXPECT_TRUE(empty_sel.requires_grad());
  sum(empty_sel).backward();
  EXPECT_EQ(x1.grad().to_vector<double>(), (std::vector<double>{0, 0}));
}

TEST(Autograd, GradGradcheckMoreRules) {
  Tensor x = leaf({3, 4}, 69, 0.5, 1.5), w = leaf({4}, 70), b = leaf({3, 4}, 71);
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return gelu(t[0]) * silu(t[0]); }, {w}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return gelu(t[0], "tanh"); }, {w}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return atan2(t[0], t[1]); }, {x, w}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return lerp(t[0], t[1], t[0]); }, {x, w}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return maximum(t[0], t[1]) * t[0]; }, {x, b}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return var(t[0], {1}); }, {x}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return prod(t[0], {1}); }, {x}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return cumprod(t[0], 1); }, {x}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return cumsum(t[0] * t[0], 0); }, {x}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return sort(t[0] * t[0], 1).values; }, {x}));
}

TEST(Autograd, GradGradcheck) {
  Tensor x = leaf({3, 4}, 27), w = leaf({4}, 28);
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return tanh(t[0]); }, {x}));
  EXPECT_TRUE(gradgradcheck([](const Ts& t) { return t[0] * t[1] * t[0]; }, {x, w}));
}

TEST(Autograd, GradcheckReportsTheWorstElement) {
  Tensor x = leaf({3}, 29);
  // A function whose recorded graph (x * 2) disagrees with its value under NoGradGuard (x * 3).
  auto wrong = [](const Ts& t) { return grad_enabled() ? t[0] * 2.0 : t[0] * 3.0; };
  std::string msg = testing::message_of<ValueError>([&] { gradcheck(wrong, {x}); });
  EXPECT_NE(msg.find("gradcheck: gradient mismatch at input 0 element "), std::string::npos) << msg;
  EXPECT_NE(msg.find("analytic"), std::string::npos) << msg;
  EXPECT_NE(msg.find("numeric"), std::string::npos) << msg;
}

// y = w2 . relu(W1 x + b1), loss = sum(y): gradients by hand.
TEST(Autograd, TwoLayerMlpMatchesHandDerivedGradients) {
  Tensor x = leaf({5, 3}, 30).detach();
  Tensor w1 = leaf({3, 4}, 31), b1 = leaf({4}, 32), w2 = leaf({4, 2}, 33);
  Tensor h_pre = matmul(x, w1) + b1;
  Tensor h = relu(h_pre);
  Tensor loss = sum(square(matmul(h, w2)));
  loss.backward();
  autograd::NoGradGuard no_grad;
  Tensor y = matmul(h, w2);
  Tensor dy = 2.0 * y;                                        // [5, 2]
  Tensor dw2 = matmul(h.t(), dy);                             // [4, 2]
  Tensor dh = matmul(dy, w2.t()) * gt(h_pre, 0.0).to(DType::f64);  // [5, 4]
  Tensor dw1 = matmul(x.t(), dh);
  Tensor db1 = sum(dh, {0});
  auto close = [](const Tensor& a, const Tensor& b) {
    auto av = a.to_vector<double>(), bv = b.to_vector<double>();
    ASSERT_EQ(av.size(), bv.size());
    for (size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(av[i], bv[i], 1e-12);
  };
  close(w2.grad(), dw2);
  close(w1.grad(), dw1);
  close(b1.grad(), db1);
  EXPECT_EQ(b1.grad().shape(), Shape{4});
}

TEST(Autograd, DeepChainRunsWithoutRecursion) {
  Tensor x = scalar_tensor(1.0, DType::f64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = y * 1.0001;
  y.backward();
  EXPECT_NEAR(x.grad().item(), std::pow(1.0001, 10000), 1e-9);
}

TEST(Autograd, SharedSubexpressionsAccumulate) {
  Tensor x = from_vector<double>({2.0, -3.0}).requires_grad_();
  Tensor y = x * x + x;
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5.0, -5.0}));
  sum(x * 2.0).backward();  // a second backward accumulates into .grad
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{7.0, -3.0}));
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, LeafAndNonLeafSemantics) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  Tensor y = x * 3.0;
  Tensor z = y * y;
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  y.retain_grad();
  sum(z).backward();
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{6.0, 12.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{18.0, 36.0}));
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.shares_storage(y));
  EXPECT_FALSE(gt(x, 1.0).requires_grad());  // bool outputs never require grad
  EXPECT_FALSE(argmax(x).requires_grad());
  EXPECT_THROW_MSG(from_vector<int64_t>({1}).requires_grad_(), DTypeError, "only floating");
}

TEST(Autograd, GradReturnsWithoutTouchingGrad) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  Tensor y = x * x * x;
  auto g = autograd::grad({sum(y)}, {x}, {}, true, true);
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{3.0, 12.0}));
  EXPECT_FALSE(x.grad().defined());
  auto gg = autograd::grad({sum(g[0])}, {x}, {}, true);  // d/dx 3x^2 = 6x
  EXPECT_EQ(gg[0].to_vector<double>(), (std::vector<double>{6.0, 12.0}));
  auto gy = autograd::grad({sum(y * 2.0)}, {y});  // a non-leaf input
  EXPECT_EQ(gy[0].to_vector<double>(), (std::vector<double>{2.0, 2.0}));
}

TEST(Autograd, Errors) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  Tensor plain = from_vector<double>({1.0, 2.0});
  EXPECT_THROW_MSG(sum(plain).backward(), ValueError, "does not require grad");
  EXPECT_THROW_MSG((x * 2.0).backward(), ValueError, "shape [2]", "pass gradient=");
  EXPECT_THROW_MSG((x * 2.0).backward(zeros({3}, DType::f64)), ShapeError,
                   "gradient of shape [3] does not match the output's shape [2]");
  Tensor loss = sum(x * x);
  loss.backward();
  EXPECT_THROW_MSG(loss.backward(), ValueError, "second time", "'mul'", "retain_graph=true");
  Tensor kept = sum(x * x);
  kept.backward({}, /*retain_graph=*/true);
  kept.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{6.0, 12.0}));
}

TEST(Autograd, InPlaceChecks) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  Tensor w = from_vector<double>({3.0, 4.0});
  Tensor y = sum(x * w);
  w.fill_(5.0);  // w was saved by mul
  EXPECT_THROW_MSG(y.backward(), ValueError, "input 1 of 'mul'", "modified by an in-place");
  EXPECT_THROW_MSG(x.fill_(0.0), ValueError, "fill_: cannot write in place", "NoGradGuard");
  EXPECT_THROW_MSG(w.copy_(x), ValueError, "copy_: the source of shape [2] requires grad");
  {
    autograd::NoGradGuard no_grad;
    x.fill_(0.5);  // allowed: not recorded
  }
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{0.5, 0.5}));
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  {
    autograd::NoGradGuard no_grad;
    Tensor y = exp(x * 2.0).view({2, 1});
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    {
      autograd::EnableGradGuard on;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Autograd, SavedTensorsAreReleasedByBackward) {
  Tensor x = leaf({64, 64}, 40), w = leaf({64, 64}, 41);
  auto forward = [&] { return sum(tanh(matmul(x, w)) * exp(x)); };
  forward().backward();  // x.grad and w.grad now exist
  const int64_t scalar_bytes = [] {
    int64_t before = cpu_memory_stats().allocated;
    Tensor s = scalar_tensor(0.0, DType::f64);
    return cpu_memory_stats().allocated - before;
  }();
  const int64_t before = cpu_memory_stats().allocated;
  {
    Tensor loss = forward();
    EXPECT_GT(cpu_memory_stats().allocated, before + 64 * 64 * 8);  // intermediates saved
    loss.backward();
    EXPECT_EQ(cpu_memory_stats().allocated, before + scalar_bytes);  // only loss itself
  }
  EXPECT_EQ(cpu_memory_stats().allocated, before);
}

TEST(Autograd, OpsReportRules) {
  EXPECT_TRUE(autograd::has_rule(OpId::mul));
  EXPECT_TRUE(autograd::has_rule(OpId::matmul));
  EXPECT_TRUE(autograd::has_rule(OpId::cat));
  EXPECT_TRUE(autograd::has_rule(OpId::sin));
  EXPECT_FALSE(autograd::has_rule(OpId::unique));
}

TEST(AutogradHooks, LeafHookFiresOnceWithTheWholeGradient) {
  Tensor x = from_vector<double>({2.0, -3.0}).requires_grad_();
  int calls = 0;
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_vector<double>();
    return Tensor();  // leave it unchanged
  });
  sum(x * x + x).backward();  // three edges deliver into x
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, (std::vector<double>{5.0, -5.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5.0, -5.0}));
  sum(x * 2.0).backward();  // once per backward; the hook sees this backward's gradient only
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, (std::vector<double>{2.0, 2.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{7.0, -3.0}));
}

TEST(AutogradHooks, NonLeafReplacementFlowsDownstream) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  Tensor y = x * 3.0;
  Tensor z = y * y;
  int calls = 0;
  std::vector<double> seen;
  y.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_vector<double>();
    return g * 10.0;
  });
  y.retain_grad();
  sum(z).backward();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, (std::vector<double>{6.0, 12.0}));  // dz/dy = 2y
  EXPECT_EQ(y.grad().to_vector<double>(), (std::vector<double>{60.0, 120.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{180.0, 360.0}));
}

TEST(AutogradHooks, ChainRemoveAndGrad) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  std::vector<double> second_saw;
  const size_t h0 = x.register_hook([](const Tensor& g) { return g + 1.0; });
  x.register_hook([&](const Tensor& g) {
    second_saw = g.to_vector<double>();
    return g * 2.0;
  });
  sum(x * 3.0).backward();
  EXPECT_EQ(second_saw, (std::vector<double>{4.0, 4.0}));  // hooks run in order
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{8.0, 8.0}));
  x.remove_hook(h0);
  auto g = autograd::grad({sum(x * 3.0)}, {x});  // hooks also run for autograd::grad
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{6.0, 6.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{8.0, 8.0}));
  Tensor root = x * 1.0;  // a hook on the tensor backward() starts from
  root.register_hook([](const Tensor& g) { return g * 5.0; });
  x.zero_grad();
  root.backward(from_vector<double>({1.0, -1.0}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{10.0, -10.0}));
}

TEST(AutogradHooks, Errors) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  EXPECT_THROW_MSG(from_vector<double>({1.0}).register_hook([](const Tensor&) {
    return Tensor();
  }), ValueError, "register_hook: the tensor of shape [1] does not require grad");
  EXPECT_THROW_MSG(x.register_hook(nullptr), ValueError, "the hook is empty");
  x.register_hook([](const Tensor&) { return zeros({3}, DType::f64); });
  EXPECT_THROW_MSG(sum(x * 2.0).backward(), ShapeError,
                   "hook 0 returned a gradient of shape [3] for a gradient of shape [2]");
  x.remove_hook(0);
  EXPECT_THROW_MSG(x.remove_hook(0), IndexError, "no hook with handle 0", "1 registered");
  EXPECT_THROW_MSG(x.remove_hook(7), IndexError, "no hook with handle 7");
  x.zero_grad();
  sum(x * 2.0).backward();  // the removed hook no longer runs
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2.0, 2.0}));
}

TEST(Autograd, ZeroGrad) {
  Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
  x.zero_grad();  // nothing to clear
  x.zero_grad(false);
  EXPECT_FALSE(x.grad().defined());
  sum(x * x).backward();
  Tensor before = x.grad();
  x.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(x.grad().defined());
  EXPECT_TRUE(x.grad().shares_storage(before));  // zeroed in place
  EXPECT_EQ(before.to_vector<double>(), (std::vector<double>{0.0, 0.0}));
  sum(x * 3.0).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3.0, 3.0}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum(x * 3.0).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3.0, 3.0}));
  x.zero_grad();
  sum(x * x * x).backward({}, false, /*create_graph=*/true);
  ASSERT_TRUE(x.grad().requires_grad());
  x.zero_grad(false);  // a gradient with history is replaced, not written into
  EXPECT_FALSE(x.grad().requires_grad());
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0.0, 0.0}));
}

TEST(AutogradAnomaly, NamesTheNodeAndItsForwardCall) {
  Tensor x = from_vector<double>({0.0, 4.0}).requires_grad_();
  {
    autograd::AnomalyGuard anomaly;
    EXPECT_TRUE(autograd::anomaly_enabled());
    Tensor y = sum(sqrt(x) * 2.0);
    EXPECT_THROW_MSG(y.backward(), Error, "backward (anomaly mode)", "'sqrt'",
                     "input 0 (shape [2])", "1 NaN/Inf element(s) of 2", "flat index 0",
                     "created by sqrt(f64[2]) -> f64[2]");
    EXPECT_THROW_MSG(sum(log(x)).backward(), Error, "'log'", "log(f64[2]) -> f64[2]");
    Tensor v = x.reshape({2, 1});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW_MSG(v.backward(from_vector<double>({1.0, nan}, Shape{2, 1})), Error,
                     "'view(reshape)'", "flat index 1",
                     "created by view(reshape)(f64[2]) -> f64[2, 1]");
  }
  EXPECT_FALSE(x.grad().defined());
  Tensor unrecorded = sum(sqrt(x));  // forward outside anomaly mode: no description kept
  {
    autograd::AnomalyGuard anomaly;
    EXPECT_THROW_MSG(unrecorded.backward(), Error, "'sqrt'", "while anomaly mode was off");
  }
}

TEST(AutogradAnomaly, OffLetsNonFiniteGradientsThrough) {
  autograd::AnomalyGuard off(false);
  EXPECT_FALSE(autograd::anomaly_enabled());
  Tensor x = from_vector<double>({-1.0, 4.0}).requires_grad_();
  sum(sqrt(x)).backward();
  const auto g = x.grad().to_vector<double>();
  EXPECT_TRUE(std::isnan(g[0]));
  EXPECT_EQ(g[1], 0.25);
  Tensor z = from_vector<double>({0.0, 2.0}).requires_grad_();
  sum(log(z)).backward();
  EXPECT_EQ(z.grad().to_vector<double>(),
            (std::vector<double>{std::numeric_limits<double>::infinity(), 0.5}));
}

}  // namespace
}  // namespace ember
