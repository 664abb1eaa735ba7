// CPU scans along one dim of a contiguous tensor viewed as [outer, len, inner] (DimArgs):
// cumsum and cumprod.
//
// Design. Each of the outer*inner lines is an independent sequential scan. With inner == 1 a
// line is a contiguous row; rows run in parallel, and each thread scans kRows rows in
// lockstep so the latency of one row's chain of adds hides behind the others. With
// inner > 1 the lines of one outer index are interleaved, so the kernel walks them together:
// for each step along len it updates a block of up to kBlock adjacent accumulators from one
// contiguous slice of the input, a plain loop the compiler vectorises; (outer, block) pairs
// run in parallel. Numerics: integer and bool inputs accumulate in 64-bit unsigned arithmetic
// (wrapping like two's complement, never undefined) and are written as i64; f16/bf16
// accumulate in f32 and f32 in f64 (as PyTorch's CPU scans do), each output rounded once to
// the output dtype.
#include "kernels/cpu/loops.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

// The accumulator and output types of a scan over T.
template <typename T>
struct ScanTypes {
  using Acc = std::conditional_t<is_half_v<T>, float, double>;
  using Out = T;
};
template <typename T>
requires(!is_float_v<T>) struct ScanTypes<T> {
  using Acc = uint64_t;
  using Out = int64_t;
};

constexpr int64_t kBlock = 256;
constexpr int64_t kRows = 8;

template <typename T, typename Op>
void scan_typed(const DimArgs& a, Op op, typename ScanTypes<T>::Acc init) {
  using Acc = typename ScanTypes<T>::Acc;
  using Out = typename ScanTypes<T>::Out;
  const T* in = reinterpret_cast<const T*>(a.in);
  Out* out = reinterpret_cast<Out*>(a.out);
  const int64_t len = a.len, inner = a.inner;
  const int64_t work = a.outer * len * inner;
  if (inner == 1) {
    parallel_for(a.outer, work, [&](int64_t rb, int64_t re) {
      int64_t r = rb;
      // kRows rows at a time: independent dependency chains keep the adder busy.
      for (; r + kRows <= re; r += kRows) {
        const T* x = in + r * len;
        Out* y = out + r * len;
        Acc acc[kRows];
        for (int64_t k = 0; k < kRows; ++k) acc[k] = init;
        for (int64_t l = 0; l < len; ++l) {
          for (int64_t k = 0; k < kRows; ++k) {
            acc[k] = op(acc[k], static_cast<Acc>(x[k * len + l]));
            y[k * len + l] = static_cast<Out>(acc[k]);
          }
        }
      }
      for (; r < re; ++r) {
        const T* x = in + r * len;
        Out* y = out + r * len;
        Acc acc = init;
        for (int64_t l = 0; l < len; ++l) {
          acc = op(acc, static_cast<Acc>(x[l]));
          y[l] = static_cast<Out>(acc);
        }
      }
    });
    return;
  }
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_for(a.outer * blocks, work, [&](int64_t tb, int64_t te) {
    Acc acc[kBlock];
    for (int64_t t = tb; t < te; ++t) {
      const int64_t o = t / blocks, j0 = (t % blocks) * kBlock;
      const int64_t w = std::min(kBlock, inner - j0);
      const T* x = in + o * len * inner + j0;
      Out* y = out + o * len * inner + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] = init;
      for (int64_t l = 0; l < len; ++l, x += inner, y += inner) {
        for (int64_t j = 0; j < w; ++j) {
          acc[j] = op(acc[j], static_cast<Acc>(x[j]));
          y[j] = static_cast<Out>(acc[j]);
        }
      }
    }
  });
}

template <bool kProduct>
void scan_kernel(const DimArgs& a) {
  if (a.outer * a.len * a.inner == 0) return;
  dispatch_dtype<kAll>(
      a.in_dtype,
      [&]<typename T>() {
        using Acc = typename ScanTypes<T>::Acc;
        if constexpr (kProduct) {
          scan_typed<T>(
              a, [](Acc s, Acc v) { return s * v; }, Acc{1});
        } else {
          scan_typed<T>(
              a, [](Acc s, Acc v) { return s + v; }, Acc{0});
        }
      },
      [](DType) {});
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, cumsum, &scan_kernel<false>);
EMBER_REGISTER_KERNEL(cpu, cumprod, &scan_kernel<true>);

}  // namespace ember::cpu
