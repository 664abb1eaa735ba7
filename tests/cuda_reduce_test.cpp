// The CUDA reductions, softmax and scans (kernels/cuda/{reduce,softmax,scan}.cu) against the CPU
// kernels: every op and dtype, reductions over each dim, several dims and all dims, keepdim,
// transposed, sliced and broadcast (stride 0) views, sizes 0, 1 and odd, shapes that take every
// parallelisation (sub-warp, warp, block and split reductions; row and column softmax/scans),
// NaN, infinities and ties; a 1M-element sum on the two-pass path and bitwise determinism across
// schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/registry.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tensor/storage.h"
#include "tests/cuda_test_util.h"

namespace ember {
namespace {

using namespace ::ember::testing;  // NOLINT: the shared CUDA test helpers
using CudaReduce = CudaTest;

const std::vector<DType> kAllTypes = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i8,
                                      DType::u8,  DType::i32, DType::i64, DType::b8};

using Fn = std::function<Tensor(const Tensor&)>;

// f on the cpu tensor and on the cuda tensor: the same result, or the same error.
void check(const Fn& f, const Tensor& x, const Tensor& xc, const std::string& what) {
  Tensor want;
  try {
    want = f(x);
  } catch (const Error& e) {
    try {
      f(xc);
      ADD_FAILURE() << what << ": the cpu threw \"" << e.what() << "\", cuda did not";
    } catch (const Error& ec) {
      EXPECT_EQ(std::string(ec.what()), std::string(e.what())) << what;
    }
    return;
  }
  expect_match(want, f(xc), what);
}

// Bytes of a tensor (copied to the cpu), for bitwise comparisons.
std::vector<unsigned char> bits_of(const Tensor& t) {
  const Tensor c = t.to(Device::cpu()).contiguous();
  std::vector<unsigned char> b(static_cast<size_t>(c.numel()) * element_size(c.dtype()));
  if (!b.empty()) std::memcpy(b.data(), c.data_ptr(), b.size());
  return b;
}

// The values of a (cuda) tensor, read on the cpu.
template <typename T>
std::vector<T> values(const Tensor& t) {
  return t.to(Device::cpu()).to_vector<T>();
}
template <typename T>
T value(const Tensor& t) {
  return t.to(Device::cpu()).item<T>();
}

// Values away from 0 with random signs, |x| in [0.5, 1.5): products of a few thousand of them
// stay far from overflow in every accumulation order (a prod of random_input's [-3, 3) can
// overflow f32 in one association and not in another).
Tensor product_input(const Shape& shape, DType dtype, uint64_t seed) {
  if (!is_floating(dtype)) return random_input(shape, dtype, seed);
  Generator gen(seed);
  const Tensor mag = uniform(shape, 0.5, 1.5, DType::f32, &gen);
  const Tensor sgn = sign(uniform(shape, -1.0, 1.0, DType::f32, &gen));
  return mul(mag, sgn).to(dtype);
}

// An input layout and the dim sets each reduction runs over ({} = all dims).
struct ReduceCase {
  Shape shape;
  int view;  // 0 plain, 1 transposed [n, m] view, 2 a slice dropping the first column,
             // 3 row 0 broadcast (stride 0) over dim 0
  std::vector<Shape> dims;
};

const std::vector<ReduceCase>& reduce_cases() {
  static const std::vector<ReduceCase> cases = {
      {Shape{}, 0, {{}}},
      {Shape{0}, 0, {{}, {0}}},
      {Shape{1}, 0, {{}, {0}}},
      {Shape{7}, 0, {{}, {-1}}},
      {Shape{1031}, 0, {{}}},
      {Shape{40000}, 0, {{}}},  // split in two chunks: the two-pass path for every op
      {Shape{3, 0, 5}, 0, {{}, {1}, {0, 2}}},
      {Shape{13, 17}, 0, {{}, {0}, {1}}},
      {Shape{13, 17}, 1, {{}, {0}, {1}}},
      {Shape{9, 33}, 2, {{}, {0}, {1}}},
      {Shape{13, 17}, 3, {{}, {0}, {1}}},
      {Shape{6, 64}, 3, {{0}, {1}}},
      {Shape{2, 3, 5, 7}, 0, {{}, {0}, {1}, {2}, {3}, {0, 2}, {1, 3}, {0, 1, 3}}},
      {Shape{1, 1}, 1, {{}, {1}}},
      {Shape{5, 64}, 0, {{1}, {0}}},         // aligned rows: 16-byte loads
      {Shape{3, 2500}, 0, {{1}, {}}},        // few long rows: several warps per row
      {Shape{2500, 3}, 0, {{0}}},            // few outputs along the fast dim: split lanes
      {Shape{40, 6, 50}, 0, {{0, 2}, {1}}},  // several reduced dims around a kept one
  };
  return cases;
}

std::pair<Tensor, Tensor> make_case_input(const ReduceCase& c, DType dt, uint64_t seed,
                                          bool for_prod) {
  const Shape& s = c.shape;
  auto gen = [&](const Shape& shape) {
    return for_prod ? product_input(shape, dt, seed) : random_input(shape, dt, seed);
  };
  if (c.view == 1) {
    const Tensor base = gen(Shape{s[1], s[0]});
    return {base.t(), base.to(kCuda).t()};
  }
  if (c.view == 3) {
    const Tensor base = gen(Shape{1, s[1]});
    return {base.expand(s), base.to(kCuda).expand(s)};
  }
  if (c.view == 2) {
    const Tensor base = gen(Shape{s[0], s[1] + 1});
    return {base.slice(1, 1), base.to(kCuda).slice(1, 1)};
  }
  const Tensor base = gen(s);
  return {base, base.to(kCuda)};
}

struct ReduceOpCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Shape&, bool)> f;
  std::vector<DType> dtypes;
};

TEST_F(CudaReduce, KernelsAreRegistered) {
  for (const char* op : {"sum", "prod", "amax", "amin", "all", "any", "var", "argmax", "argmin",
                         "softmax", "log_softmax", "cumsum", "cumprod"}) {
    EXPECT_TRUE(has_kernel(*op_by_name(op), DeviceType::cuda)) << op;
  }
}

TEST_F(CudaReduce, ReductionsMatchCpu) {
  const std::vector<ReduceOpCase> ops = {
      {"sum", [](const Tensor& x, const Shape& d, bool k) { return sum(x, d, k); }, kAllTypes},
      {"mean", [](const Tensor& x, const Shape& d, bool k) { return mean(x, d, k); }, kFloatTypes},
      {"prod", [](const Tensor& x, const Shape& d, bool k) { return prod(x, d, k); }, kAllTypes},
      {"amax", [](const Tensor& x, const Shape& d, bool k) { return amax(x, d, k); }, kAllTypes},
      {"amin", [](const Tensor& x, const Shape& d, bool k) { return amin(x, d, k); }, kAllTypes},
      {"all", [](const Tensor& x, const Shape& d, bool k) { return all(x, d, k); }, kAllTypes},
      {"any", [](const Tensor& x, const Shape& d, bool k) { return any(x, d, k); }, kAllTypes},
      {"var", [](const Tensor& x, const Shape& d, bool k) { return var(x, d, 1, k); }, kFloatTypes},
      {"var0", [](const Tensor& x, const Shape& d, bool k) { return var(x, d, 0, k); },
       kFloatTypes},
      {"std", [](const Tensor& x, const Shape& d, bool k) { return ember::std(x, d, 1, k); },
       kFloatTypes},
  };
  under_schedules([&] {
    uint64_t seed = 100;
    bool keepdim = false;
    for (const ReduceOpCase& op : ops) {
      for (DType dt : op.dtypes) {
        for (const ReduceCase& c : reduce_cases()) {
          const auto [x, xc] = make_case_input(c, dt, ++seed, std::string(op.name) == "prod");
          for (const Shape& dims : c.dims) {
            keepdim = !keepdim;
            check([&](const Tensor& t) { return op.f(t, dims, keepdim); }, x, xc,
                  str(op.name, " ", dtype_name(dt), " ", c.shape, " view ", c.view, " dims ", dims,
                      keepdim ? " keepdim" : ""));
          }
        }
      }
    }
  });
}

// max/min(dim) and argmax/argmin (with a dim, and over the flattened tensor): values and the
// first index of the extreme; integer and bool inputs hold many ties.
TEST_F(CudaReduce, ArgReductionsMatchCpu) {
  under_schedules([&] {
    uint64_t seed = 900;
    bool keepdim = false;
    for (DType dt : kAllTypes) {
      for (const ReduceCase& c : reduce_cases()) {
        const auto [x, xc] = make_case_input(c, dt, ++seed, false);
        const std::string what = str(dtype_name(dt), " ", c.shape, " view ", c.view);
        check([](const Tensor& t) { return argmax(t); }, x, xc, "argmax " + what);
        check([](const Tensor& t) { return argmin(t); }, x, xc, "argmin " + what);
        for (int64_t d = 0; d < x.dim(); ++d) {
          keepdim = !keepdim;
          const std::string wd = str(what, " dim ", d, keepdim ? " keepdim" : "");
          for (const bool is_max : {true, false}) {
            const auto f = [&](const Tensor& t) {
              return is_max ? max(t, d, keepdim) : min(t, d, keepdim);
            };
            ValuesIndices want;
            try {
              want = f(x);
            } catch (const Error&) {  // an empty dim: the same error on cuda
              check([&](const Tensor& t) { return f(t).values; }, x, xc, wd);
              continue;
            }
            const ValuesIndices got = f(xc);
            expect_match(want.values, got.values, (is_max ? "max " : "min ") + wd);
            expect_match(want.indices, got.indices, (is_max ? "argmax " : "argmin ") + wd);
          }
        }
      }
    }
  });
}

// NaN propagates through amax/amin/sum; argmax/argmin pick the first NaN; ties pick the first
// index; in long rows (split across blocks) as in short ones.
TEST_F(CudaReduce, NanAndTies) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = from_vector<float>({1, 5, 5, nan, nan, 2,  //
                                       3, 3, -1, 3, 0, -1,    //
                                       -2, 7, -2, 7, 7, -2},
                                      Shape{3, 6});
  const Tensor xc = x.to(kCuda);
  under_schedules([&] {
    EXPECT_EQ(values<int64_t>(argmax(xc, 1)), (std::vector<int64_t>{3, 0, 1}));
    EXPECT_EQ(values<int64_t>(argmin(xc, 1)), (std::vector<int64_t>{3, 2, 0}));
    EXPECT_EQ(values<int64_t>(argmax(xc, 0)), (std::vector<int64_t>{1, 2, 0, 0, 0, 0}));
    const std::vector<float> mx = values<float>(amax(xc, {1}));
    EXPECT_TRUE(std::isnan(mx[0]));
    EXPECT_EQ(mx[1], 3.0f);
    EXPECT_EQ(mx[2], 7.0f);
    EXPECT_TRUE(std::isnan(value<float>(amin(xc))));
    EXPECT_EQ(value<int64_t>(argmax(xc)), 3);
    for (const Fn& f : std::vector<Fn>{
             [](const Tensor& t) { return amax(t, {1}); },
             [](const Tensor& t) { return amin(t, {0}); },
             [](const Tensor& t) { return sum(t, {1}); },
             [](const Tensor& t) { return var(t, {0}); },
             [](const Tensor& t) { return max(t, 1).values; },
             [](const Tensor& t) { return min(t, 0).indices; },
         }) {
      check(f, x, xc, "nan/ties");
    }
  });
  // A long row: the NaNs and the tied maxima sit in different chunks of the split.
  const int64_t n = 200000;
  Tensor big = random_input(Shape{n}, DType::f32, 5);
  Tensor ties = big.clone();
  ties.select(0, 150001).fill_(10.0);
  ties.select(0, 70001).fill_(10.0);
  ties.select(0, 190001).fill_(10.0);
  big.select(0, 123457).fill_(nan);
  big.select(0, 9999).fill_(nan);
  const Tensor bigc = big.to(kCuda), tiesc = ties.to(kCuda);
  under_schedules([&] {
    EXPECT_EQ(value<int64_t>(argmax(bigc)), 9999);
    EXPECT_EQ(value<int64_t>(argmin(bigc)), 9999);
    EXPECT_TRUE(std::isnan(value<float>(amax(bigc))));
    EXPECT_EQ(value<int64_t>(argmax(tiesc)), 70001);
    EXPECT_EQ(value<float>(amax(tiesc)), 10.0f);
  });
}

// A 1M-element reduction takes the two-pass path (a workspace from the caching allocator on top
// of the output), matches the CPU's pairwise double sum, and has the same bits under every
// schedule and on every run.
TEST_F(CudaReduce, MillionElementSumIsTwoPassAndDeterministic) {
  const int64_t n = int64_t{1} << 20;
  const Tensor x = random_input(Shape{n}, DType::f32, 11), h = x.to(DType::f16);
  const Tensor xc = x.to(kCuda), hc = h.to(kCuda);
  const int64_t before = cuda_memory_stats().allocations;
  const Tensor s = sum(xc);
  EXPECT_EQ(cuda_memory_stats().allocations - before, 2) << "output and workspace";
  const std::vector<std::pair<std::string, Fn>> fns = {
      {"sum", [](const Tensor& t) { return sum(t); }},
      {"mean", [](const Tensor& t) { return mean(t); }},
      {"var", [](const Tensor& t) { return var(t); }},
      {"amax", [](const Tensor& t) { return amax(t); }},
      {"argmin", [](const Tensor& t) { return argmin(t); }},
  };
  for (const auto& [name, f] : fns) {
    std::vector<std::vector<unsigned char>> bits, half_bits;
    under_schedules([&] {
      check(f, x, xc, name + " f32");
      check(f, h, hc, name + " f16");
      bits.push_back(bits_of(f(xc)));
      bits.push_back(bits_of(f(xc)));
      half_bits.push_back(bits_of(f(hc)));
    });
    for (size_t i = 1; i < bits.size(); ++i) EXPECT_EQ(bits[i], bits[0]) << name << " run " << i;
    for (size_t i = 1; i < half_bits.size(); ++i)
      EXPECT_EQ(half_bits[i], half_bits[0]) << name << " f16 run " << i;
  }
  // The f32 sum of 1M values is within f32 rounding of the CPU's: no looser tolerance needed.
  EXPECT_EQ(value<float>(s), sum(x).item<float>());
  // Data with a large offset: var stays exact where a one-pass sum of squares would not.
  const Tensor shifted = add(x.to(DType::f64), 1e6);
  check([](const Tensor& t) { return var(t); }, shifted, shifted.to(kCuda), "var offset 1e6");
}

// Column reductions split across blocks (few outputs, many rows): deterministic and matching.
TEST_F(CudaReduce, ColumnSplitIsDeterministic) {
  const Tensor x = random_input(Shape{4096, 64}, DType::f32, 21);
  const Tensor xc = x.to(kCuda);
  std::vector<std::vector<unsigned char>> bits;
  under_schedules([&] {
    check([](const Tensor& t) { return sum(t, {0}); }, x, xc, "sum dim 0");
    check([](const Tensor& t) { return var(t, {0}); }, x, xc, "var dim 0");
    check([](const Tensor& t) { return argmax(t, 0); }, x, xc, "argmax dim 0");
    bits.push_back(bits_of(sum(xc, {0})));
  });
  for (size_t i = 1; i < bits.size(); ++i) EXPECT_EQ(bits[i], bits[0]);
}

// Softmax and log_softmax over every dim of several shapes (rows short and long, lines along
// a non-last dim few and many), rows with -inf, NaN, +inf and large values.
TEST_F(CudaReduce, SoftmaxMatchesCpu) {
  struct Case {
    Shape shape;
    bool transposed;
  };
  const std::vector<Case> cases = {
      {Shape{}, false},           {Shape{1}, false},       {Shape{7}, false},
      {Shape{0, 4}, false},       {Shape{13, 17}, false},  {Shape{13, 17}, true},
      {Shape{2, 3, 5, 7}, false}, {Shape{4, 1024}, false}, {Shape{3, 5000}, false},
      {Shape{64, 33}, false},     {Shape{600, 3}, false},
  };
  under_schedules([&] {
    uint64_t seed = 3000;
    for (DType dt : kFloatTypes) {
      for (const Case& c : cases) {
        const auto [x, xc] = make_pair(Layout{c.shape, c.transposed}, dt, ++seed);
        for (int64_t d = 0; d < std::max<int64_t>(x.dim(), 1); ++d) {
          const std::string what =
              str(dtype_name(dt), " ", c.shape, c.transposed ? " transposed" : "", " dim ", d);
          check([d](const Tensor& t) { return softmax(t, d); }, x, xc, "softmax " + what);
          check([d](const Tensor& t) { return log_softmax(t, d); }, x, xc, "log_softmax " + what);
        }
      }
    }
  });
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor special = from_vector<float>({-inf, -inf, -inf,  -inf,   // only -inf
                                             -inf, 1,    2,     -inf,   // some -inf
                                             1,    nan,  2,     3,      // a NaN
                                             1,    inf,  2,     3,      // +inf
                                             1000, 999,  -1000, 1000},  // large values
                                            Shape{5, 4});
  under_schedules([&] {
    for (DType dt : kFloatTypes) {
      const Tensor x = special.to(dt), xc = x.to(kCuda);
      for (int64_t d : {0, 1}) {
        const std::string what = str(dtype_name(dt), " special dim ", d);
        check([d](const Tensor& t) { return softmax(t, d); }, x, xc, "softmax " + what);
        check([d](const Tensor& t) { return log_softmax(t, d); }, x, xc, "log_softmax " + what);
      }
    }
    const std::vector<float> row1 = values<float>(softmax(special.to(kCuda), 1));
    EXPECT_TRUE(std::isnan(row1[0]));
    EXPECT_EQ(row1[4], 0.0f);
    EXPECT_EQ(values<float>(log_softmax(special.to(kCuda), 1))[7], -inf);
  });
}

// cumsum/cumprod over every dim: int and bool inputs give i64; long rows scan in chunks with a
// carry; lines along a non-last dim are split into segments when few.
TEST_F(CudaReduce, ScansMatchCpu) {
  struct Case {
    Shape shape;
    bool transposed;
  };
  const std::vector<Case> cases = {
      {Shape{}, false},        {Shape{0}, false},      {Shape{1}, false},
      {Shape{7}, false},       {Shape{1031}, false},   {Shape{3, 0, 5}, false},
      {Shape{13, 17}, false},  {Shape{13, 17}, true},  {Shape{2, 3, 5, 7}, false},
      {Shape{2, 5000}, false}, {Shape{600, 3}, false}, {Shape{4, 1024}, false},
  };
  under_schedules([&] {
    uint64_t seed = 7000;
    for (DType dt : kAllTypes) {
      for (const Case& c : cases) {
        for (const bool product : {false, true}) {
          const Shape& s = c.shape;
          Tensor x, xc;
          if (c.transposed) {
            const Tensor base = product_input(Shape{s[1], s[0]}, dt, ++seed);
            x = base.t();
            xc = base.to(kCuda).t();
          } else {
            x = product ? product_input(s, dt, ++seed) : random_input(s, dt, ++seed);
            xc = x.to(kCuda);
          }
          for (int64_t d = 0; d < std::max<int64_t>(x.dim(), 1); ++d) {
            const std::string what = str(product ? "cumprod " : "cumsum ", dtype_name(dt), " ", s,
                                         c.transposed ? " transposed" : "", " dim ", d);
            if (product) {
              check([d](const Tensor& t) { return cumprod(t, d); }, x, xc, what);
            } else {
              check([d](const Tensor& t) { return cumsum(t, d); }, x, xc, what);
            }
          }
        }
      }
    }
  });
  // Integer inputs give i64, and the sums are exact.
  const Tensor v = from_vector<int32_t>({2147483647, 1, -5, 7}, Shape{4}).to(kCuda);
  EXPECT_EQ(cumsum(v, 0).dtype(), DType::i64);
  EXPECT_EQ(values<int64_t>(cumsum(v, 0)),
            (std::vector<int64_t>{2147483647, 2147483648LL, 2147483643LL, 2147483650LL}));
  const Tensor flags = from_vector(std::vector<bool>{true, true, false, true}).to(kCuda);
  EXPECT_EQ(values<int64_t>(cumprod(flags, 0)), (std::vector<int64_t>{1, 1, 0, 0}));
}

}  // namespace
}  // namespace ember
