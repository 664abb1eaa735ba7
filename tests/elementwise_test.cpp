// The elementwise families beyond the op-case table: dtype promotion of results, error types
// and messages, NaN and overflow semantics, integer edge cases, numerically hard inputs,
// operators, and elementwise ops on views written in place.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/registry.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor vec(const std::vector<double>& v, DType dtype = DType::f32) {
  return from_vector(v).to(dtype);
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// --- dtype promotion --------------------------------------------------------------------------

TEST(ElementwisePromotion, IntPlusHalfIsHalf) {
  Tensor r = add(vec({1, 2, 3}, DType::i32), vec({0.5, 0.25, 0.125}, DType::f16));
  EXPECT_EQ(r.dtype(), DType::f16);
  EXPECT_EQ(values(r), (std::vector<double>{1.5, 2.25, 3.125}));
}

TEST(ElementwisePromotion, U8PlusI8IsI32WithoutWrapping) {
  Tensor r = add(vec({250, 3}, DType::u8), vec({100, -4}, DType::i8));
  EXPECT_EQ(r.dtype(), DType::i32);
  EXPECT_EQ(values(r), (std::vector<double>{350, -1}));
}

TEST(ElementwisePromotion, HalfPlusBfloatIsF32) {
  Tensor r = mul(vec({1.5, -2}, DType::f16), vec({4, 0.5}, DType::bf16));
  EXPECT_EQ(r.dtype(), DType::f32);
  EXPECT_EQ(values(r), (std::vector<double>{6, -1}));
}

TEST(ElementwisePromotion, BoolPlusBoolIsI64) {
  Tensor t = from_vector(std::vector<bool>{true, true, false});
  Tensor f = from_vector(std::vector<bool>{true, false, false});
  Tensor r = add(t, f);
  EXPECT_EQ(r.dtype(), DType::i64);
  EXPECT_EQ(values(r), (std::vector<double>{2, 1, 0}));
}

TEST(ElementwisePromotion, IntTensorWithScalars) {
  Tensor x = vec({1, -2, 7}, DType::i32);
  Tensor frac = add(x, 2.5);
  EXPECT_EQ(frac.dtype(), DType::f32);
  EXPECT_EQ(values(frac), (std::vector<double>{3.5, 0.5, 9.5}));
  Tensor whole = add(x, 2.0);
  EXPECT_EQ(whole.dtype(), DType::i32);
  EXPECT_EQ(values(whole), (std::vector<double>{3, 0, 9}));
  Tensor left = sub(10.0, x);
  EXPECT_EQ(left.dtype(), DType::i32);
  EXPECT_EQ(values(left), (std::vector<double>{9, 12, 3}));
  // A float scalar never widens a half tensor.
  EXPECT_EQ(add(vec({1}, DType::f16), 2.5).dtype(), DType::f16);
}

TEST(ElementwisePromotion, CompareAndLogicalGiveBool) {
  Tensor a = vec({1, 5, 3}, DType::i64), b = vec({2, 5, 1}, DType::f64);
  Tensor lt_ab = lt(a, b);
  EXPECT_EQ(lt_ab.dtype(), DType::b8);
  EXPECT_EQ(values(lt_ab), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(values(eq(a, b)), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(values(ge(a, 3.0)), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(values(lt(a, 1.5)), (std::vector<double>{1, 0, 0}));
  Tensor la = logical_and(a, vec({0, 2, -1}, DType::i32));
  EXPECT_EQ(la.dtype(), DType::b8);
  EXPECT_EQ(values(la), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(logical_not(vec({0, 2})).dtype(), DType::b8);
}

TEST(ElementwisePromotion, IntegerDivisionIsFloat) {
  Tensor r = div(vec({7, -7, 1}, DType::i32), vec({2, 2, 3}, DType::i64));
  EXPECT_EQ(r.dtype(), DType::f32);
  std::vector<double> v = values(r);
  EXPECT_EQ(v[0], 3.5);
  EXPECT_EQ(v[1], -3.5);
  EXPECT_FLOAT_EQ(v[2], 1.0 / 3.0);
}

TEST(ElementwisePromotion, FloatMathOnIntegersIsF32) {
  Tensor r = sqrt(vec({4, 9}, DType::i64));
  EXPECT_EQ(r.dtype(), DType::f32);
  EXPECT_EQ(values(r), (std::vector<double>{2, 3}));
  Tensor rounded = round(vec({4, -9}, DType::i32));
  EXPECT_EQ(rounded.dtype(), DType::i32);
  EXPECT_EQ(values(rounded), (std::vector<double>{4, -9}));
}

// --- errors -----------------------------------------------------------------------------------

TEST(ElementwiseErrors, BroadcastMismatchNamesOpAndShapes) {
  EXPECT_THROW_MSG(add(zeros({3, 4}), zeros({5})), ShapeError, "add", "[3, 4]", "[5]");
  EXPECT_THROW_MSG(where(zeros({2}, DType::b8), zeros({3}), zeros({2})), ShapeError, "where", "[2]",
                   "[3]");
  EXPECT_THROW_MSG(lerp(zeros({2, 3}), zeros({2, 3}), zeros({4})), ShapeError, "lerp", "[4]");
}

TEST(ElementwiseErrors, WhereNeedsBoolCondition) {
  EXPECT_THROW_MSG(where(zeros({3}), zeros({3}), zeros({3})), DTypeError, "where", "bool", "f32");
  EXPECT_THROW_MSG(where(zeros({3}, DType::i64), zeros({3}), 1.0), DTypeError, "where", "i64");
}

TEST(ElementwiseErrors, GeluApproximateMustBeNoneOrTanh) {
  EXPECT_THROW_MSG(gelu(zeros({2}), "erf"), ValueError, "gelu", "\"erf\"", "none", "tanh");
}

TEST(ElementwiseErrors, BoolArithmeticIsRejected) {
  Tensor b = from_vector(std::vector<bool>{true, false});
  EXPECT_THROW_MSG(neg(b), DTypeError, "neg", "bool");
  EXPECT_THROW_MSG(abs(b), DTypeError, "abs", "bool");
  EXPECT_THROW_MSG(clamp(b, 0.0, 1.0), DTypeError, "clamp", "bool");
}

TEST(ElementwiseErrors, IntegerFmodByZeroRaises) {
  Tensor a = vec({5, 6, 7}, DType::i32);
  EXPECT_THROW_MSG(fmod(a, vec({2, 0, 3}, DType::i32)), ValueError, "fmod", "zero");
  EXPECT_THROW_MSG(fmod(a, 0.0), ValueError, "fmod", "zero");
  // Past the parallel threshold the error is still raised, after the threads joined.
  Tensor big = full({100000}, 3.0, DType::i64);
  Tensor divisor = full({100000}, 2.0, DType::i64);
  divisor.select(0, 77777).fill_(0.0);
  EXPECT_THROW_MSG(fmod(big, divisor), ValueError, "fmod", "i64");
  // Floating fmod by zero is NaN, as in C.
  EXPECT_TRUE(std::isnan(fmod(vec({1}), 0.0).item()));
}

TEST(ElementwiseErrors, KernelRejectsDtypeItWasNotBuiltFor) {
  // The front end never sends an integer tensor to exp; a direct kernel call must still fail
  // loudly rather than leave the output unwritten.
  Tensor in = vec({1, 2}, DType::i32), out = empty({2}, DType::i32);
  StridedLoop loop = make_loop(out, {&in});
  auto exp_kernel = kernel<ElementwiseKernel>(OpId::exp, DeviceType::cpu);
  EXPECT_THROW_MSG(exp_kernel(loop, ScalarArgs{}), DTypeError, "exp", "i32", "floating");
  Tensor b = from_vector(std::vector<bool>{true}), bout = empty({1}, DType::b8);
  StridedLoop bloop = make_loop(bout, {&b, &b});
  auto add_kernel = kernel<ElementwiseKernel>(OpId::add, DeviceType::cpu);
  EXPECT_THROW_MSG(add_kernel(bloop, ScalarArgs{}), DTypeError, "add", "bool");
  // Operands the front end failed to cast to one dtype.
  Tensor f = vec({1}), d = vec({1}, DType::f64), fout = empty({1});
  StridedLoop mixed = make_loop(fout, {&f, &d});
  EXPECT_THROW_MSG(add_kernel(mixed, ScalarArgs{}), DTypeError, "add", "operand 2", "f64", "f32");
}

// --- NaN, infinities, overflow ----------------------------------------------------------------

TEST(ElementwiseSemantics, MaximumMinimumPropagateNaN) {
  for (DType dt : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Tensor a = vec({kNaN, 1, 2, kNaN}, dt), b = vec({1, kNaN, 3, kNaN}, dt);
    for (const Tensor& r : {maximum(a, b), minimum(a, b), maximum(b, a), minimum(b, a)}) {
      std::vector<double> v = values(r);
      EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1]) && std::isnan(v[3])) << dtype_name(dt);
    }
    EXPECT_EQ(values(maximum(a, b))[2], 3);
    EXPECT_EQ(values(minimum(a, b))[2], 2);
  }
  EXPECT_TRUE(std::isnan(maximum(vec({kNaN}), 5.0).item()));
  EXPECT_TRUE(std::isnan(relu(vec({kNaN})).item()));
  EXPECT_TRUE(std::isnan(clamp(vec({kNaN}), 0.0, 1.0).item()));
}

TEST(ElementwiseSemantics, IntegerArithmeticWraps) {
  const double imin = std::numeric_limits<int32_t>::min();
  const double imax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(add(vec({imax}, DType::i32), 1.0).item(), imin);
  EXPECT_EQ(neg(vec({imin}, DType::i32)).item(), imin);
  EXPECT_EQ(abs(vec({imin}, DType::i32)).item(), imin);
  EXPECT_EQ(mul(vec({65536}, DType::i32), 65536.0).item(), 0);
  EXPECT_EQ(square(vec({-12}, DType::i8)).item(), 144 - 256);
  EXPECT_EQ(neg(vec({3}, DType::u8)).item(), 253);
  // INT_MIN % -1 traps in hardware; here it is 0.
  EXPECT_EQ(fmod(vec({imin}, DType::i32), -1.0).item(), 0);
  EXPECT_EQ(values(fmod(vec({-7, 7, -7}, DType::i64), vec({2, -2, -2}, DType::i64))),
            (std::vector<double>{-1, 1, -1}));
}

TEST(ElementwiseSemantics, IntegerPow) {
  Tensor base = vec({2, 3, -2, 0, 1, -1, -1, 5, 0}, DType::i64);
  Tensor expo = vec({10, 0, 3, 0, -5, -3, -2, -1, 2}, DType::i64);
  Tensor r = pow(base, expo);
  EXPECT_EQ(r.dtype(), DType::i64);
  EXPECT_EQ(values(r), (std::vector<double>{1024, 1, -8, 1, 1, -1, 1, 0, 0}));
  EXPECT_EQ(pow(vec({2}, DType::i64), 62.0).to_vector<int64_t>()[0], int64_t{1} << 62);
  EXPECT_EQ(pow(vec({7}, DType::i32), 2.0).dtype(), DType::i32);
  EXPECT_EQ(pow(vec({4}, DType::i32), 0.5).item(), 2.0);  // fractional exponent: f32
}

TEST(ElementwiseSemantics, SignAndRounding) {
  Tensor s = sign(vec({-3, 0, 2.5, -0.0, kNaN}));
  std::vector<double> v = values(s);
  EXPECT_EQ(v[0], -1);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 0);
  EXPECT_TRUE(std::isnan(v[4]));
  EXPECT_EQ(values(sign(vec({-4, 0, 9}, DType::i32))), (std::vector<double>{-1, 0, 1}));
  // Half-way cases go to the even neighbour.
  EXPECT_EQ(values(round(vec({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6}))),
            (std::vector<double>{-2, -2, -0.0, 0, 2, 2, 3}));
  EXPECT_EQ(values(floor(vec({-1.5, 1.5}))), (std::vector<double>{-2, 1}));
  EXPECT_EQ(values(ceil(vec({-1.5, 1.5}))), (std::vector<double>{-1, 2}));
  EXPECT_EQ(values(trunc(vec({-1.5, 1.5}))), (std::vector<double>{-1, 1}));
}

TEST(ElementwiseSemantics, StableForLargeMagnitudes) {
  Tensor x = vec({-1000, -100, 100, 1000});
  std::vector<double> sg = values(sigmoid(x));
  EXPECT_EQ(sg[0], 0);
  EXPECT_NEAR(sg[1], std::exp(-100.0), 1e-45);
  EXPECT_EQ(sg[2], 1);
  EXPECT_EQ(sg[3], 1);
  std::vector<double> si = values(silu(x));
  EXPECT_EQ(si[0], 0);  // -1000 * 0, not NaN
  EXPECT_EQ(si[3], 1000);
  // softplus with a threshold beyond exp's range still does not overflow.
  std::vector<double> sp = values(softplus(vec({-100, 100, 200}), 1.0, 1000.0));
  EXPECT_NEAR(sp[0], std::exp(-100.0), 1e-45);
  EXPECT_EQ(sp[1], 100);
  EXPECT_EQ(sp[2], 200);
  EXPECT_EQ(values(softplus(vec({30, 5}), 1.0, 20.0))[0], 30);  // linear above the threshold
  EXPECT_FLOAT_EQ(static_cast<float>(values(softplus(vec({5}), 2.0, 20.0))[0]),
                  static_cast<float>(std::log1p(std::exp(10.0)) / 2.0));
  std::vector<double> th = values(tanh(vec({-50, 50})));
  EXPECT_EQ(th[0], -1);
  EXPECT_EQ(th[1], 1);
}

TEST(ElementwiseSemantics, GeluKeepsRelativeAccuracyInTheTail) {
  // 0.5 x (1 + erf(x / sqrt 2)) computed naively in f32 loses every digit here.
  for (double x : {-5.0, -8.0, -12.0}) {
    double want = 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    double got = gelu(vec({x})).item();
    // f32 keeps ~4 digits: the rounded argument x / sqrt 2 is amplified by erfc's condition
    // number 2 z^2 (~140 at x = -12).
    EXPECT_NEAR(got, want, 1e-4 * std::fabs(want)) << x;
    double got64 = gelu(vec({x}, DType::f64)).item();
    EXPECT_NEAR(got64, want, 1e-12 * std::fabs(want)) << x;
  }
  EXPECT_EQ(gelu(vec({0})).item(), 0);
  EXPECT_NEAR(gelu(vec({1}), "tanh").item(), 0.8411919906082768, 1e-6);
  EXPECT_NEAR(gelu(vec({-3}), "tanh").item(), -0.0036373920817729943, 1e-8);
}

TEST(ElementwiseSemantics, ClampAndLerpEdges) {
  // lo > hi: hi wins (min(max(x, lo), hi)).
  EXPECT_EQ(values(clamp(vec({-5, 0, 5}), 2.0, 1.0)), (std::vector<double>{1, 1, 1}));
  // Integer clamp with one bound far outside the dtype's range.
  EXPECT_EQ(values(clamp(vec({-100, 0, 100}, DType::i8), -1e10, 50.0)),
            (std::vector<double>{-100, 0, 50}));
  EXPECT_EQ(clamp(vec({1}, DType::i8), -1e10, 50.0).dtype(), DType::i8);
  EXPECT_EQ(values(clamp(vec({-kInf, kInf}), -1.0, std::nullopt)), (std::vector<double>{-1, kInf}));
  // lerp reaches both ends exactly.
  Tensor a = vec({0.1, -3.7, 1e-3}), b = vec({0.7, 2.9, -5.5});
  EXPECT_EQ(values(lerp(a, b, 1.0)), values(b));
  EXPECT_EQ(values(lerp(a, b, 0.0)), values(a));
}

TEST(ElementwiseSemantics, LogicalOpsTreatNaNAsTrue) {
  Tensor x = vec({kNaN, 0, -0.0, 2});
  EXPECT_EQ(values(logical_not(x)), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(values(logical_or(x, 0.0)), (std::vector<double>{1, 0, 0, 1}));
  EXPECT_EQ(values(ne(x, x)), (std::vector<double>{1, 0, 0, 0}));
}

// --- operators and views ----------------------------------------------------------------------

TEST(ElementwiseOperators, ReadLikeArithmetic) {
  Tensor a = vec({1, -2, 3}), b = vec({4, 5, -6});
  EXPECT_EQ(values(a + b), (std::vector<double>{5, 3, -3}));
  EXPECT_EQ(values(a - b), (std::vector<double>{-3, -7, 9}));
  EXPECT_EQ(values(a * 2.0), (std::vector<double>{2, -4, 6}));
  EXPECT_EQ(values(2.0 * a + 1.0), (std::vector<double>{3, -3, 7}));
  EXPECT_EQ(values(1.0 - a), (std::vector<double>{0, 3, -2}));
  EXPECT_EQ(values(b / 2.0), (std::vector<double>{2, 2.5, -3}));
  EXPECT_EQ(values(-a), (std::vector<double>{-1, 2, -3}));
  Tensor less = a < b;
  EXPECT_EQ(less.dtype(), DType::b8);
  EXPECT_EQ(values(less), (std::vector<double>{1, 1, 0}));
  EXPECT_EQ(values(!less), (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(values(a >= 1.0), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(values(a == 3.0), (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(values(a != b), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(values((a > 0.0) && (b > 0.0)), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(values((a > 0.0) || (b > 0.0)), (std::vector<double>{1, 1, 1}));
}

TEST(ElementwiseViews, CopyIntoTransposedViewThenCompute) {
  std::vector<double> src_values;
  for (int i = 0; i < 3 * 5; ++i) src_values.push_back(0.5 * i - 3);
  Tensor src = vec(src_values).view({3, 5});
  Tensor buf = zeros({5, 3});
  Tensor view = buf.t();  // [3, 5], strides [1, 3]
  ASSERT_FALSE(view.is_contiguous());
  view.copy_(src);
  EXPECT_EQ(buf.at<float>({4, 2}), src.at<float>({2, 4}));

  Tensor r = view * 2.0 + view;  // elementwise ops reading a transposed view
  EXPECT_EQ(r.shape(), (Shape{3, 5}));
  Tensor mixed = view - src;  // transposed with contiguous
  Tensor e = exp(view);
  std::vector<double> rv = values(r), mv = values(mixed), ev = values(e);
  for (size_t i = 0; i < src_values.size(); ++i) {
    EXPECT_EQ(rv[i], 3 * src_values[i]) << i;
    EXPECT_EQ(mv[i], 0) << i;
    EXPECT_FLOAT_EQ(static_cast<float>(ev[i]), std::exp(static_cast<float>(src_values[i]))) << i;
  }

  // A broadcast (stride-0) operand and a transposed one in a threaded-size op.
  Tensor big = arange(600.0 * 700.0, DType::f32).view({600, 700}).t();  // [700, 600]
  Tensor row = arange(600.0, DType::f32);
  Tensor sum2 = big + row;
  EXPECT_EQ(sum2.at<float>({5, 7}), big.at<float>({5, 7}) + 7);
  EXPECT_EQ(sum2.at<float>({699, 599}), 599.0f * 700 + 699 + 599);
}

}  // namespace
}  // namespace ember
