// The CUDA matmul kernel (kernels/cuda/matmul.cu) against the CPU kernel for every dtype the
// CPU accepts: edge sizes (0, 1, odd, non-multiples of the tiles), transposed, strided and
// unaligned operand views, batched and broadcast batches, addmm's alpha/beta (beta == 0 never
// reads a poisoned C), arbitrary C strides, vectors, the tensor-core pipeline under both of its
// tile shapes, and the EMBER_MATMUL switch; under several emulator schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernel_args.h"
#include "kernels/registry.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tests/cuda_test_util.h"

namespace ember {
namespace {

using namespace ::ember::testing;  // NOLINT: the shared CUDA test helpers
using CudaMatmul = CudaTest;

// Sets (or, with nullptr, unsets) EMBER_MATMUL for a scope.
class ScopedMatmulEnv {
 public:
  explicit ScopedMatmulEnv(const char* value) {
    if (const char* old = std::getenv("EMBER_MATMUL")) old_ = old;
    if (value != nullptr) {
      setenv("EMBER_MATMUL", value, 1);
    } else {
      unsetenv("EMBER_MATMUL");
    }
  }
  ~ScopedMatmulEnv() {
    if (old_) {
      setenv("EMBER_MATMUL", old_->c_str(), 1);
    } else {
      unsetenv("EMBER_MATMUL");
    }
  }
  ScopedMatmulEnv(const ScopedMatmulEnv&) = delete;
  ScopedMatmulEnv& operator=(const ScopedMatmulEnv&) = delete;

 private:
  std::optional<std::string> old_;
};

// Unit roundoff of the accumulation: f32 for f32/f16/bf16, f64 for f64.
double accumulation_roundoff(DType d) { return d == DType::f64 ? 0x1p-53 : 0x1p-24; }

// Expects the cuda product `got` to match the cpu product `want`. `mag` (an f64 cpu tensor of
// their shape) is sum_k |alpha a_ik b_kj| + |beta c_ij|. Floating dtypes:
//   |got - want| <= atol + rtol |want| + 4 (K + 2) u mag
// rtol/atol are the dtype's (cuda_test_util.h, DESIGN.md §8): the final rounding to the dtype.
// The last term bounds the accumulation error of both sides in K-term dot products, which
// tolerances relative to |want| cannot (cancellation): round-to-nearest on the CPU contributes
// (K + 2) u, the GPU up to twice that (tensor cores add with truncation). Integers: exact.
void expect_gemm_match(const Tensor& want, const Tensor& got, const Tensor& mag, int64_t k,
                       const std::string& what) {
  ASSERT_TRUE(got.device().is_cuda()) << what;
  ASSERT_EQ(want.dtype(), got.dtype()) << what;
  ASSERT_EQ(want.shape(), got.shape()) << what;
  ASSERT_EQ(want.shape(), mag.shape()) << what;
  const std::vector<double> w = want.to_vector<double>(), g = got.to_vector<double>();
  const std::vector<double> s = mag.to_vector<double>();
  const double rtol = rtol_of(want.dtype()), atol = rtol == 0.0 ? 0.0 : 1e-5;
  const double acc = is_floating(want.dtype())
                         ? 4.0 * static_cast<double>(k + 2) * accumulation_roundoff(want.dtype())
                         : 0.0;
  int bad = 0;
  for (size_t i = 0; i < w.size() && bad < 5; ++i) {
    if (std::fabs(w[i] - g[i]) <= atol + rtol * std::fabs(w[i]) + acc * s[i]) continue;
    ++bad;
    ADD_FAILURE() << what << ": element " << i << " of " << want.shape() << ": cpu " << w[i]
                  << " cuda " << g[i] << " (dtype " << dtype_name(want.dtype()) << ")";
  }
}

// sum_k |a_ik b_kj| of matmul(a, b), in f64 on the cpu.
Tensor abs_product(const Tensor& a, const Tensor& b) {
  return matmul(abs(a.to(DType::f64)), abs(b.to(DType::f64)));
}

// How an operand is laid out in memory.
enum class View {
  plain,       // contiguous
  transposed,  // .t() of a contiguous [cols, rows]: unit stride along rows
  strided,     // every other column of [rows, 2 cols]: no unit stride
  offset,      // columns 1..cols of [rows, cols + 1]: rows not 16-byte aligned
  padded,      // columns 0..cols-1 of [rows, cols rounded up to 8, plus 8]: aligned rows,
               // the last vector along the row partly outside the matrix
};

const char* view_name(View v) {
  switch (v) {
    case View::plain:
      return "plain";
    case View::transposed:
      return "transposed";
    case View::strided:
      return "strided";
    case View::offset:
      return "offset";
    case View::padded:
      return "padded";
  }
  return "?";
}

// A [rows, cols] operand of random values on the cpu, and the same values and view on cuda.
std::pair<Tensor, Tensor> operand(int64_t rows, int64_t cols, View v, DType dt, uint64_t seed) {
  auto both = [&](const Shape& base_shape, auto&& view) -> std::pair<Tensor, Tensor> {
    const Tensor base = random_input(base_shape, dt, seed);
    return {view(base), view(base.to(kCuda))};
  };
  switch (v) {
    case View::plain:
      return both(Shape{rows, cols}, [](const Tensor& t) { return t; });
    case View::transposed:
      return both(Shape{cols, rows}, [](const Tensor& t) { return t.t(); });
    case View::strided:
      return both(Shape{rows, 2 * cols}, [](const Tensor& t) { return t.slice(1, 0, {}, 2); });
    case View::offset:
      return both(Shape{rows, cols + 1}, [&](const Tensor& t) { return t.narrow(1, 1, cols); });
    case View::padded:
      return both(Shape{rows, (cols + 7) / 8 * 8 + 8},
                  [&](const Tensor& t) { return t.narrow(1, 0, cols); });
  }
  return {};
}

// matmul of [m, k] and [k, n] operands in views va, vb on both devices, compared.
void check_matmul(DType dt, int64_t m, int64_t n, int64_t k, View va, View vb, uint64_t seed) {
  const std::string what = str("matmul ", dtype_name(dt), " ", m, "x", n, "x", k, " A ",
                               view_name(va), " B ", view_name(vb));
  auto [a, a_cuda] = operand(m, k, va, dt, seed);
  auto [b, b_cuda] = operand(k, n, vb, dt, seed + 1);
  const Tensor want = matmul(a, b);
  const Tensor got = matmul(a_cuda, b_cuda);
  expect_gemm_match(want, got, abs_product(a, b), k, what);
}

// GemmArgs of C = alpha A @ B + beta C over the last two dims of each tensor, with their own
// strides (batch dims are the caller's to fill).
GemmArgs gemm_args(const Tensor& a, const Tensor& b, Tensor& c, double alpha, double beta) {
  GemmArgs g;
  g.m = a.size(-2);
  g.k = a.size(-1);
  g.n = b.size(-1);
  g.a = static_cast<const char*>(a.data_ptr());
  g.rsa = a.stride(-2);
  g.csa = a.stride(-1);
  g.b = static_cast<const char*>(b.data_ptr());
  g.rsb = b.stride(-2);
  g.csb = b.stride(-1);
  g.c = static_cast<char*>(c.data_ptr());
  g.rsc = c.stride(-2);
  g.csc = c.stride(-1);
  g.alpha = alpha;
  g.beta = beta;
  g.dtype = c.dtype();
  return g;
}

void run_kernel(DeviceType device, const GemmArgs& g) {
  kernel<GemmKernel>(OpId::matmul, device)(g);
}

TEST_F(CudaMatmul, EdgeSizesEveryDtype) {
  struct Size {
    int64_t m, n, k;
  };
  const std::vector<Size> sizes = {{1, 1, 1}, {7, 13, 5}, {129, 65, 33}, {3, 4, 0},
                                   {0, 4, 3}, {5, 0, 2},  {1, 37, 19},   {41, 1, 23}};
  under_schedules([&] {
    for (DType dt : kNumericTypes)
      for (const Size& s : sizes) check_matmul(dt, s.m, s.n, s.k, View::plain, View::plain, 11);
  });
}

TEST_F(CudaMatmul, MultiTileEveryDtype) {
  // Several block tiles in M and N, a K tail, and (f16/bf16) a K that rules out cp.async.
  for (DType dt : kNumericTypes) check_matmul(dt, 200, 300, 70, View::plain, View::plain, 21);
}

TEST_F(CudaMatmul, OperandViewsEveryDtype) {
  const std::vector<View> views = {View::plain, View::transposed, View::strided, View::offset,
                                   View::padded};
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      for (View va : views) {
        for (View vb : views) {
          // Aligned sizes take the vector / cp.async loads where the view allows; odd ones
          // load element-wise.
          check_matmul(dt, 40, 48, 32, va, vb, 31);
          check_matmul(dt, 37, 45, 29, va, vb, 41);
        }
      }
    }
  });
}

TEST_F(CudaMatmul, BatchedAndBroadcastEveryDtype) {
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      const std::string name = dtype_name(dt);
      auto check = [&](const Tensor& a, const Tensor& b, const Tensor& ac, const Tensor& bc,
                       const std::string& what) {
        expect_gemm_match(matmul(a, b), matmul(ac, bc), abs_product(a, b), a.size(-1),
                          what + " " + name);
      };
      {  // bmm
        const Tensor a = random_input({3, 37, 29}, dt, 51), b = random_input({3, 29, 41}, dt, 52);
        expect_gemm_match(bmm(a, b), bmm(a.to(kCuda), b.to(kCuda)), abs_product(a, b), 29,
                          "bmm " + name);
      }
      {  // broadcast batch dims: [2, 1, 20, 16] @ [3, 16, 24]
        const Tensor a = random_input({2, 1, 20, 16}, dt, 53);
        const Tensor b = random_input({3, 16, 24}, dt, 54);
        check(a, b, a.to(kCuda), b.to(kCuda), "broadcast batch");
      }
      {  // [b, m, k] @ [k, n]: one tall GEMM
        const Tensor a = random_input({4, 9, 8}, dt, 55), b = random_input({8, 3}, dt, 56);
        check(a, b, a.to(kCuda), b.to(kCuda), "3-d @ 2-d");
      }
      {  // a batch of transposed matrices, and a batch-broadcast (stride 0) operand
        const Tensor a = random_input({3, 24, 33}, dt, 57).transpose(1, 2);  // [3, 33, 24]
        const Tensor b = random_input({1, 24, 40}, dt, 58).expand({3, 24, 40});
        check(a, b, random_input({3, 24, 33}, dt, 57).to(kCuda).transpose(1, 2),
              random_input({1, 24, 40}, dt, 58).to(kCuda).expand({3, 24, 40}),
              "transposed batch @ expanded batch");
      }
    }
  });
}

TEST_F(CudaMatmul, AddmmAlphaBetaEveryDtype) {
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      const Tensor a = random_input({33, 27}, dt, 61), b = random_input({27, 45}, dt, 62);
      const Tensor bias = random_input({45}, dt, 63);
      for (auto [beta, alpha] : {std::pair{0.0, 1.5}, {0.5, -2.0}, {1.0, 1.0}}) {
        const Tensor want = addmm(bias, a, b, beta, alpha);
        const Tensor got = addmm(bias.to(kCuda), a.to(kCuda), b.to(kCuda), beta, alpha);
        const Tensor mag = add(mul(abs_product(a, b), std::fabs(alpha)),
                               mul(abs(bias.to(DType::f64)), std::fabs(beta)));
        expect_gemm_match(want, got, mag.expand(want.shape()).contiguous(), 27,
                          str("addmm ", dtype_name(dt), " beta ", beta, " alpha ", alpha));
      }
    }
  });
}

// Direct kernel calls: C with its own strides (transposed, padded rows), beta == 0 over a C full
// of NaN (C must not be read), beta != 0 reading C through those strides.
TEST_F(CudaMatmul, OutputStridesAndPoisonedC) {
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      for (int64_t k : {int64_t{32}, int64_t{19}}) {
        const int64_t m = 37, n = 40;
        const Tensor a = random_input({m, k}, dt, 71), b = random_input({k, n}, dt, 72);
        const Tensor a_cuda = a.to(kCuda), b_cuda = b.to(kCuda);
        const Tensor c0 = random_input({m, n}, dt, 73);
        struct CLayout {
          const char* name;
          Tensor (*make)(const Tensor&);
        };
        const CLayout layouts[] = {
            {"contiguous", [](const Tensor& t) { return t.clone(); }},
            {"transposed", [](const Tensor& t) { return t.t().contiguous().t(); }},
            {"padded rows",
             [](const Tensor& t) {
               Tensor wide = full({t.size(0), t.size(1) + 3}, 0.0, t.dtype(), t.device());
               Tensor v = wide.narrow(1, 0, t.size(1));
               v.copy_(t);
               return v;
             }},
        };
        for (const CLayout& lay : layouts) {
          for (auto [beta, alpha] : {std::pair{0.0, 1.5}, {0.5, -2.0}}) {
            const std::string what = str("direct ", dtype_name(dt), " k ", k, " C ", lay.name,
                                         " beta ", beta, " alpha ", alpha);
            // beta == 0: C starts as NaN (floats) or -1 and must not leak into the result.
            const Tensor start = beta == 0.0 ? full({m, n}, is_floating(dt) ? NAN : -1.0, dt) : c0;
            Tensor c_cpu = lay.make(start);
            Tensor c_cuda = lay.make(start.to(kCuda));
            run_kernel(DeviceType::cpu, gemm_args(a, b, c_cpu, alpha, beta));
            run_kernel(DeviceType::cuda, gemm_args(a_cuda, b_cuda, c_cuda, alpha, beta));
            Tensor mag = mul(abs_product(a, b), std::fabs(alpha));
            if (beta != 0.0) mag = add(mag, mul(abs(c0.to(DType::f64)), std::fabs(beta)));
            expect_gemm_match(c_cpu, c_cuda, mag, k, what);
          }
        }
      }
    }
  });
}

TEST_F(CudaMatmul, VectorsEveryDtype) {
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      const std::string name = dtype_name(dt);
      const Tensor v = random_input({17}, dt, 81), w = random_input({17}, dt, 82);
      const Tensor m = random_input({17, 6}, dt, 83), mt = random_input({5, 17}, dt, 84);
      auto check = [&](const Tensor& a, const Tensor& b, const std::string& what) {
        expect_gemm_match(matmul(a, b), matmul(a.to(kCuda), b.to(kCuda)), abs_product(a, b),
                          a.size(-1), what + " " + name);
      };
      check(v, w, "1-d @ 1-d");
      check(v, m, "1-d @ 2-d");
      check(mt, v, "2-d @ 1-d");
      const Tensor long_v = random_input({1000}, dt, 85), long_w = random_input({1000}, dt, 86);
      check(long_v, long_w, "1-d @ 1-d, K 1000");
      expect_gemm_match(outer(v, w), outer(v.to(kCuda), w.to(kCuda)),
                        abs_product(v.unsqueeze(1), w.unsqueeze(0)), 1, "outer " + name);
    }
  });
}

// The tensor-core kernel on a size with more k-tiles (8 of 32) than pipeline stages (4), a K
// tail of 8, and partial tiles in M and N, for each operand layout (cp.async into the K-major
// or the M/N-major swizzled tile, or the generic fill) under both block tiles.
TEST_F(CudaMatmul, TensorCorePipelineAndEdges) {
  const std::vector<View> views = {View::plain, View::transposed, View::strided};
  for (const char* tile : {"mma-128x128", "mma-128x256"}) {
    ScopedMatmulEnv env(tile);
    for (DType dt : {DType::f16, DType::bf16}) {
      for (View va : views) {
        for (View vb : views) {
          SCOPED_TRACE(tile);
          // The layouts under one schedule; the plain one under all of them.
          if (va == View::plain && vb == View::plain) {
            under_schedules([&] { check_matmul(dt, 200, 264, 232, va, vb, 91); });
          } else {
            check_matmul(dt, 200, 264, 232, va, vb, 92);
          }
        }
      }
    }
  }
}

// A batch over the grid's y dim with the tensor cores, beta != 0 and a strided batch of C.
TEST_F(CudaMatmul, TensorCoreBatchedAddmmStyle) {
  under_schedules([&] {
    for (DType dt : {DType::f16, DType::bf16}) {
      const Tensor a = random_input({3, 72, 40}, dt, 95), b = random_input({40, 3, 56}, dt, 96);
      const Tensor c0 = random_input({3, 72, 64}, dt, 97);
      const Tensor b_view = b.transpose(0, 1);  // [3, 40, 56], batch stride 56
      Tensor c_cpu = c0.narrow(2, 0, 56).clone();
      Tensor c_cuda_base = c0.to(kCuda);
      Tensor c_cuda = c_cuda_base.narrow(2, 0, 56);  // rows of 64, 56 used
      const Tensor b_cuda = b.to(kCuda).transpose(0, 1);
      const Tensor a_cuda = a.to(kCuda);
      auto args = [](const Tensor& a3, const Tensor& b3, Tensor& c3) {
        GemmArgs g = gemm_args(a3, b3, c3, 0.75, -1.25);
        g.batch_ndim = 1;
        g.batch_sizes[0] = 3;
        g.a_batch_strides[0] = a3.stride(0);
        g.b_batch_strides[0] = b3.stride(0);
        g.c_batch_strides[0] = c3.stride(0);
        return g;
      };
      run_kernel(DeviceType::cpu, args(a, b_view, c_cpu));
      run_kernel(DeviceType::cuda, args(a_cuda, b_cuda, c_cuda));
      const Tensor mag = add(mul(abs_product(a, b_view), 0.75),
                             mul(abs(c0.narrow(2, 0, 56).to(DType::f64)), 1.25));
      expect_gemm_match(c_cpu, c_cuda, mag, 40, str("batched tensor-core ", dtype_name(dt)));
      // The 8 columns past N in each row of C were not touched.
      const std::vector<double> tail = c_cuda_base.narrow(2, 56, 8).to_vector<double>();
      const std::vector<double> tail0 = c0.narrow(2, 56, 8).to_vector<double>();
      EXPECT_EQ(tail, tail0) << "columns past N were written";
    }
  });
}

// EMBER_MATMUL=simt runs f16/bf16 on the SIMT kernel (f32 accumulation), as on pre-sm_80 GPUs.
TEST_F(CudaMatmul, SimtPathForHalves) {
  ScopedMatmulEnv env("simt");
  under_schedules([&] {
    for (DType dt : {DType::f16, DType::bf16}) {
      check_matmul(dt, 129, 65, 33, View::plain, View::transposed, 101);
      check_matmul(dt, 40, 48, 32, View::strided, View::plain, 102);
    }
  });
}

TEST_F(CudaMatmul, MatmulEnvironmentVariable) {
  const Tensor a = random_input({9, 8}, DType::f32, 111).to(kCuda);
  const Tensor b = random_input({8, 7}, DType::f32, 112).to(kCuda);
  {
    ScopedMatmulEnv env("fastest");
    EXPECT_THROW(matmul(a, b), ValueError);
  }
#if defined(EMBER_SIMT)
  {
    ScopedMatmulEnv env("cublas");
    try {
      matmul(a, b);
      ADD_FAILURE() << "EMBER_MATMUL=cublas ran in the emulator build";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("GPU build"), std::string::npos) << e.what();
    }
  }
#else
  {  // cuBLAS where the layout allows it, ember's kernel where it does not (strided B).
    ScopedMatmulEnv env("cublas");
    for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
      for (View vb : {View::plain, View::transposed, View::strided}) {
        check_matmul(dt, 200, 264, 232, View::transposed, vb, 113);
      }
    }
  }
#endif
  {
    ScopedMatmulEnv env("auto");
    check_matmul(DType::f32, 9, 7, 8, View::plain, View::plain, 114);
  }
}

TEST_F(CudaMatmul, BoolIsRejected) {
  const Tensor a = zeros({2, 2}, DType::b8, kCuda), b = zeros({2, 2}, DType::b8, kCuda);
  Tensor c = zeros({2, 2}, DType::b8, kCuda);
  EXPECT_THROW(run_kernel(DeviceType::cuda, gemm_args(a, b, c, 1.0, 0.0)), DTypeError);
}

}  // namespace
}  // namespace ember
