// The CUDA device on the SIMT emulator (or a GPU): every op with a cuda kernel gives the CPU's
// result (DESIGN.md tolerances; random ops bit for bit) on random inputs with broadcast,
// non-contiguous views, sizes 0, 1 and odd, under the forward and reverse schedules; transfers
// and device errors. The caching allocator's tests are in cuda_allocator_test.cpp.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "kernels/cuda/device_api.h"
#include "kernels/cuda/elementwise_path.h"
#include "kernels/registry.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tests/cuda_test_util.h"
#include "tests/test_util.h"
#if defined(EMBER_SIMT)
#include "kernels/simt/simt.h"
#endif

namespace ember {
namespace {

using namespace ::ember::testing;  // NOLINT: the shared CUDA test helpers
using CudaOps = CudaTest;

using UnaryFn = std::function<Tensor(const Tensor&)>;
struct UnaryCase {
  const char* name;
  UnaryFn f;
  bool numeric;  // also integer dtypes
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {"neg", [](const Tensor& x) { return neg(x); }, true},
      {"abs", [](const Tensor& x) { return abs(x); }, true},
      {"sign", [](const Tensor& x) { return sign(x); }, true},
      {"relu", [](const Tensor& x) { return relu(x); }, true},
      {"square", [](const Tensor& x) { return square(x); }, true},
      {"clamp", [](const Tensor& x) { return clamp(x, -1.5, 2.0); }, true},
      {"exp", [](const Tensor& x) { return exp(x); }, false},
      {"exp2", [](const Tensor& x) { return exp2(x); }, false},
      {"log", [](const Tensor& x) { return log(x); }, false},
      {"log2", [](const Tensor& x) { return log2(x); }, false},
      {"log1p", [](const Tensor& x) { return log1p(x); }, false},
      {"expm1", [](const Tensor& x) { return expm1(x); }, false},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, false},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, false},
      {"sin", [](const Tensor& x) { return sin(x); }, false},
      {"cos", [](const Tensor& x) { return cos(x); }, false},
      {"tan", [](const Tensor& x) { return tan(x); }, false},
      {"tanh", [](const Tensor& x) { return tanh(x); }, false},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, false},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }, false},
      {"gelu", [](const Tensor& x) { return gelu(x); }, false},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, false},
      {"silu", [](const Tensor& x) { return silu(x); }, false},
      {"softplus", [](const Tensor& x) { return softplus(x, 2.0, 3.0); }, false},
      {"floor", [](const Tensor& x) { return floor(x); }, false},
      {"ceil", [](const Tensor& x) { return ceil(x); }, false},
      {"round", [](const Tensor& x) { return round(x); }, false},
      {"trunc", [](const Tensor& x) { return trunc(x); }, false},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, false},
      {"erf", [](const Tensor& x) { return erf(x); }, false},
      {"logical_not", [](const Tensor& x) { return logical_not(x); }, true},
  };
  return cases;
}

TEST_F(CudaOps, DeviceIsAvailable) {
  ASSERT_GE(cuda::device_count(), 1);
  const cuda::DeviceProperties p = cuda::device_properties(0);
  EXPECT_FALSE(p.name.empty());
#if defined(EMBER_SIMT)
  EXPECT_EQ(p.name, "SIMT emulator");
#endif
}

// The comparison every test below relies on does catch a wrong element.
TEST_F(CudaOps, ComparisonCatchesADifference) {
  EXPECT_NONFATAL_FAILURE(
      expect_match(full(Shape{1}, 1.0), full(Shape{1}, 1.001, DType::f32, kCuda), "probe"),
      "element 0 cpu 1 cuda 1.001");
  EXPECT_NONFATAL_FAILURE(expect_match(full(Shape{1}, 7.0, DType::i32),
                                       empty(Shape{1}, DType::i32, kCuda).fill_(6.0), "probe"),
                          "element 0");
}

TEST_F(CudaOps, UnaryMatchesCpu) {
  under_schedules([] {
    uint64_t seed = 1;
    for (const UnaryCase& c : unary_cases()) {
      EXPECT_TRUE(has_kernel(*op_by_name(c.name), DeviceType::cuda)) << c.name;
      for (DType dt : c.numeric ? kNumericTypes : kFloatTypes) {
        for (const Layout& l : kLayouts) {
          auto [x, xc] = make_pair(l, dt, ++seed);
          expect_match(
              c.f(x), c.f(xc),
              str(c.name, " ", dtype_name(dt), " ", l.shape, l.transposed ? " transposed" : ""));
        }
      }
    }
  });
}

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;
struct BinaryCase {
  const char* name;
  BinaryFn f;
  bool numeric;
};

TEST_F(CudaOps, BinaryMatchesCpuWithBroadcast) {
  const std::vector<BinaryCase> cases = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, true},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, true},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, true},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, false},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, true},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, true},
      {"fmod", [](const Tensor& a, const Tensor& b) { return fmod(a, b); }, false},
      {"atan2", [](const Tensor& a, const Tensor& b) { return atan2(a, b); }, false},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }, true},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }, true},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }, true},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }, true},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }, true},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }, true},
      {"logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, true},
      {"logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, true},
  };
  // (a, b) layouts: same shape, broadcast both ways, scalar, empty, transposed views.
  const std::vector<std::pair<Layout, Layout>> shapes = {
      {{Shape{1031}, false}, {Shape{1031}, false}},
      {{Shape{5, 1, 7}, false}, {Shape{4, 1}, false}},
      {{Shape{}, false}, {Shape{3, 11}, false}},
      {{Shape{13, 17}, true}, {Shape{17}, false}},
      {{Shape{13, 17}, true}, {Shape{13, 17}, true}},
      {{Shape{0, 3}, false}, {Shape{1, 3}, false}},
      {{Shape{1}, false}, {Shape{1}, false}},
  };
  under_schedules([&] {
    uint64_t seed = 1000;
    for (const BinaryCase& c : cases) {
      EXPECT_TRUE(has_kernel(*op_by_name(c.name), DeviceType::cuda)) << c.name;
      for (DType dt : c.numeric ? kNumericTypes : kFloatTypes) {
        for (const auto& [la, lb] : shapes) {
          auto [a, ac] = make_pair(la, dt, ++seed);
          auto [b, bc] = make_pair(lb, dt, ++seed);
          expect_match(c.f(a, b), c.f(ac, bc),
                       str(c.name, " ", dtype_name(dt), " ", la.shape, " ", lb.shape));
        }
      }
    }
  });
}

// Past kMaxBlocks * 256 elements each thread of the grid-stride loop takes several elements.
TEST_F(CudaOps, LargeTensorsTakeSeveralElementsPerThread) {
  const int64_t n = (int64_t{1} << 20) + 4099;
  const Tensor a = random_input(Shape{n}, DType::f32, 77),
               b = random_input(Shape{n}, DType::f32, 78);
  expect_match(add(a, b), add(a.to(kCuda), b.to(kCuda)), "add, contiguous");
  const Tensor m = random_input(Shape{1021, 1031}, DType::f32, 79);
  expect_match(m.t().contiguous(), m.to(kCuda).t().contiguous(), "copy of a transposed view");
  expect_match(mul(m.t(), 2.0), mul(m.to(kCuda).t(), 2.0), "mul, strided");
}

// Launches per path of the elementwise driver during f().
struct PathLaunches {
  int64_t vector = 0, contiguous = 0, strided = 0;
};
template <typename F>
PathLaunches launches_of(F&& f) {
  const cuda::ElementwisePathCounts& c = cuda::elementwise_path_counts();
  const PathLaunches before{c.vector.load(), c.contiguous.load(), c.strided.load()};
  f();
  return {c.vector.load() - before.vector, c.contiguous.load() - before.contiguous,
          c.strided.load() - before.strided};
}

enum class Path { kNone, kVector, kContiguous, kStrided };

// Contiguous loops whose operand bases are aligned to V * size (V = 16 / the largest operand
// size) take the driver's vector path, the n % V tail included; views that start one element
// in and broadcasts take the scalar kernels. Every path gives the CPU's values.
TEST_F(CudaOps, VectorPathMatchesCpuAndFallsBack) {
  const std::vector<DType> dtypes = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32,
                                     DType::u8};
  // Runs the cuda op once, checks the path its one launch took and its values.
  auto check = [](const std::string& what, const Tensor& want, Path path,
                  const std::function<Tensor()>& run) {
    Tensor got;
    const PathLaunches l = launches_of([&] { got = run(); });
    expect_match(want, got, what);
    EXPECT_EQ(l.vector, path == Path::kVector ? 1 : 0) << what;
    EXPECT_EQ(l.contiguous, path == Path::kContiguous ? 1 : 0) << what;
    EXPECT_EQ(l.strided, path == Path::kStrided ? 1 : 0) << what;
  };
  under_schedules([&] {
    uint64_t seed = 20000;
    for (DType dt : dtypes) {
      const auto v = static_cast<int64_t>(16 / element_size(dt));  // bool operands are narrower
      const DType wide = dt == DType::f64 ? DType::f16 : DType::f64;  // copy's other dtype
      for (int64_t n : {int64_t{0}, int64_t{1}, v - 1, v, v + 1, int64_t{1031},
                        (int64_t{1} << 16) + 3}) {
        // Each input has n + 1 elements: [0, n) is an aligned view, [1, n + 1) a misaligned one.
        const Shape s{n + 1};
        const Tensor x = random_input(s, dt, ++seed), y = random_input(s, dt, ++seed),
                     w = random_input(s, dt, ++seed), cond = random_input(s, DType::b8, ++seed);
        const Tensor xc = x.to(kCuda), yc = y.to(kCuda), wc = w.to(kCuda), condc = cond.to(kCuda);
        auto al = [n](const Tensor& t) { return t.slice(0, 0, n); };
        auto mis = [n](const Tensor& t) { return t.slice(0, 1, n + 1); };
        const Path vec = n == 0 ? Path::kNone : n >= v ? Path::kVector : Path::kContiguous;
        const Path scalar = n == 0 ? Path::kNone : Path::kContiguous;
        const Path strided = n <= 1 ? scalar : Path::kStrided;  // [1] + [1] is no broadcast
        const std::string tag = str(" ", dtype_name(dt), " n=", n);
        const bool fp = is_floating(dt);
        auto un = [fp](const Tensor& t) { return fp ? exp(t) : neg(t); };

        check("unary" + tag, un(al(x)), vec, [&] { return un(al(xc)); });
        check("unary misaligned" + tag, un(mis(x)), scalar, [&] { return un(mis(xc)); });
        check("add" + tag, add(al(x), al(y)), vec, [&] { return add(al(xc), al(yc)); });
        check("add misaligned" + tag, add(mis(x), al(y)), scalar,
              [&] { return add(mis(xc), al(yc)); });
        check("add broadcast" + tag, add(al(x), y.slice(0, 0, 1)), strided,
              [&] { return add(al(xc), yc.slice(0, 0, 1)); });
        check("lt" + tag, lt(al(x), al(y)), vec, [&] { return lt(al(xc), al(yc)); });
        check("lt misaligned" + tag, lt(al(x), mis(y)), scalar,
              [&] { return lt(al(xc), mis(yc)); });
        check("where" + tag, where(al(cond), al(x), al(y)), vec,
              [&] { return where(al(condc), al(xc), al(yc)); });
        check("where misaligned cond" + tag, where(mis(cond), al(x), al(y)), scalar,
              [&] { return where(mis(condc), al(xc), al(yc)); });
        if (fp) {
          check("lerp" + tag, lerp(al(x), al(y), al(w)), vec,
                [&] { return lerp(al(xc), al(yc), al(wc)); });
          check("lerp misaligned" + tag, lerp(al(x), al(y), mis(w)), scalar,
                [&] { return lerp(al(xc), al(yc), mis(wc)); });
        }
        const Path copy_vec = n == 0 ? Path::kNone : n >= 2 ? Path::kVector : Path::kContiguous;
        check("copy to " + std::string(dtype_name(wide)) + tag, al(x).to(wide), copy_vec,
              [&] { return al(xc).to(wide); });
        check("copy misaligned" + tag, mis(x).to(wide), scalar, [&] { return mis(xc).to(wide); });
        check("clone" + tag, al(x).clone(), vec, [&] { return al(xc).clone(); });
      }
    }
  });
}

TEST_F(CudaOps, IntegerFmodByZeroThrowsLikeCpu) {
  const Tensor a = full(Shape{5}, 7.0, DType::i32), b = zeros(Shape{5}, DType::i32);
  const std::string cpu_msg = testing::message_of<ValueError>([&] { fmod(a, b); });
  const std::string cuda_msg =
      testing::message_of<ValueError>([&] { fmod(a.to(kCuda), b.to(kCuda)); });
  EXPECT_NE(cpu_msg.find("integer division by zero"), std::string::npos) << cpu_msg;
  EXPECT_EQ(cuda_msg, cpu_msg);
  const Tensor ok = fmod(a.to(kCuda), full(Shape{5}, 4.0, DType::i32).to(kCuda));
  EXPECT_EQ(ok.to_vector<int32_t>(), std::vector<int32_t>(5, 3));
}

TEST_F(CudaOps, TernaryMatchesCpu) {
  const std::vector<std::pair<Layout, Layout>> shapes = {
      {{Shape{1031}, false}, {Shape{1031}, false}}, {{Shape{5, 1, 7}, false}, {Shape{4, 1}, false}},
      {{Shape{13, 17}, true}, {Shape{17}, false}},  {{Shape{0}, false}, {Shape{1}, false}},
      {{Shape{}, false}, {Shape{}, false}},
  };
  under_schedules([&] {
    uint64_t seed = 5000;
    for (const auto& [la, lb] : shapes) {
      auto [cond, condc] = make_pair(lb, DType::b8, ++seed);
      for (DType dt : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i8, DType::u8,
                       DType::i32, DType::i64, DType::b8}) {
        auto [a, ac] = make_pair(la, dt, ++seed);
        auto [b, bc] = make_pair(lb, dt, ++seed);
        expect_match(where(cond, a, b), where(condc, ac, bc),
                     str("where ", dtype_name(dt), " ", la.shape, " ", lb.shape));
      }
      for (DType dt : kFloatTypes) {
        auto [a, ac] = make_pair(la, dt, ++seed);
        auto [b, bc] = make_pair(lb, dt, ++seed);
        auto [w, wc] = make_pair(la, dt, ++seed);
        expect_match(lerp(a, b, w), lerp(ac, bc, wc),
                     str("lerp ", dtype_name(dt), " ", la.shape, " ", lb.shape));
      }
    }
  });
}

TEST_F(CudaOps, CopyCastsEveryDtypePairLikeCpu) {
  const std::vector<DType> all = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i8,
                                  DType::u8,  DType::i32, DType::i64, DType::b8};
  under_schedules([&] {
    uint64_t seed = 9000;
    for (DType from : all) {
      for (const Layout& l : {Layout{Shape{1031}, false}, Layout{Shape{13, 17}, true},
                              Layout{Shape{0}, false}, Layout{Shape{}, false}}) {
        auto [x, xc] = make_pair(l, from, ++seed);
        for (DType to : all) {
          expect_match(x.to(to), xc.to(to),
                       str("copy ", dtype_name(from), " -> ", dtype_name(to), " ", l.shape));
        }
        // A strided destination: copy_ into a transposed view of a cuda tensor.
        if (l.transposed) {
          Tensor dst = zeros(Shape{17, 13}, from, kCuda).t();
          dst.copy_(xc);
          expect_match(x, dst, str("copy_ into a view ", dtype_name(from)));
        }
      }
    }
  });
}

TEST_F(CudaOps, FillMatchesCpu) {
  under_schedules([] {
    for (DType dt : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i8, DType::u8,
                     DType::i32, DType::i64, DType::b8}) {
      expect_match(full(Shape{3, 37}, 2.5, dt), full(Shape{3, 37}, 2.5, dt, kCuda),
                   str("full ", dtype_name(dt)));
      Tensor view = zeros(Shape{6, 5}, dt, kCuda).slice(0, 0, 6, 2);
      view.fill_(1.0);
      Tensor want = zeros(Shape{6, 5}, dt);
      want.slice(0, 0, 6, 2).fill_(1.0);
      expect_match(want.slice(0, 0, 6, 2), view, str("fill_ of a strided view ", dtype_name(dt)));
    }
  });
}

TEST_F(CudaOps, RandomIsBitIdenticalToCpu) {
  under_schedules([] {
    for (DType dt : kFloatTypes) {
      for (int64_t n : {0, 1, 7, 1031}) {
        Generator g1(42), g2(42);
        g1.set_offset(5);
        g2.set_offset(5);
        const Tensor u = uniform(Shape{n}, -2.0, 3.0, dt, &g1);
        const Tensor uc = uniform(Shape{n}, -2.0, 3.0, dt, &g2, kCuda);
        EXPECT_EQ(u.to_vector<double>(), uc.to_vector<double>()) << dtype_name(dt) << " " << n;
        const Tensor z = normal(Shape{n}, 1.0, 2.0, dt, &g1);
        const Tensor zc = normal(Shape{n}, 1.0, 2.0, dt, &g2, kCuda);
        EXPECT_EQ(z.to_vector<double>(), zc.to_vector<double>()) << dtype_name(dt) << " " << n;
        EXPECT_EQ(g1.offset(), g2.offset());
      }
    }
    for (DType dt : {DType::i8, DType::u8, DType::i32, DType::i64, DType::f32}) {
      Generator g1(7), g2(7);
      const Tensor r = randint(0, 100, Shape{1031}, dt, &g1);
      const Tensor rc = randint(0, 100, Shape{1031}, dt, &g2, kCuda);
      EXPECT_EQ(r.to_vector<double>(), rc.to_vector<double>()) << dtype_name(dt);
    }
  });
}

TEST_F(CudaOps, TransfersRoundTripAndKeepViewsValues) {
  const Tensor x = random_input(Shape{9, 4}, DType::f32, 3);
  const Tensor back = x.to(kCuda).to(Device::cpu());
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
  const Tensor view = x.t().slice(0, 1, 3);  // non-contiguous
  const Tensor moved = view.to(kCuda);
  EXPECT_TRUE(moved.device().is_cuda());
  EXPECT_TRUE(moved.is_contiguous());
  EXPECT_EQ(moved.to(Device::cpu()).to_vector<float>(), view.to_vector<float>());
  EXPECT_EQ(empty(Shape{0, 3}, DType::f32, kCuda).to(Device::cpu()).numel(), 0);
  const std::string printed = full(Shape{2}, 1.5, DType::f32, kCuda).str();
  EXPECT_NE(printed.find("1.5"), std::string::npos) << printed;
  EXPECT_NE(printed.find("device=cuda:0"), std::string::npos) << printed;
  // Moving a tensor that requires grad across devices would lose its gradient: refused.
  Tensor w = ones(Shape{2});
  w.requires_grad_(true);
  EXPECT_THROW_MSG(w.to(kCuda), ValueError, "to: moving a tensor of shape [2] that requires grad",
                   "detach()");
  EXPECT_TRUE(w.detach().to(kCuda).device().is_cuda());
}

TEST_F(CudaOps, MixedDevicesThrowDeviceError) {
  const Tensor a = ones(Shape{3}), b = ones(Shape{3}, DType::f32, kCuda);
  EXPECT_THROW_MSG(add(a, b), DeviceError, "different devices", "cpu", "cuda:0");
  EXPECT_THROW_MSG(where(lt(b, 2.0), a, b), DeviceError, "different devices");
  EXPECT_THROW_MSG(empty(Shape{3}, DType::f32, Device::cuda(5)), DeviceError, "cuda:5");
}

}  // namespace
}  // namespace ember
