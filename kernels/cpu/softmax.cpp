// CPU softmax and log_softmax along one dim of a contiguous tensor viewed as
// [outer, len, inner] (DimArgs).
//
// Design. Numerically stable: every line subtracts its maximum before exponentiating, so
// inputs like 1000 never overflow. Three passes over a line: the maximum; exp(x - max) and its
// sum (softmax stores the exponentials in the output, or in an f32 scratch row for f16/bf16);
// then the scaling by 1/sum (softmax) or x - max - log(sum) (log_softmax). On a CPU the rows
// are cache resident, so this beats a one-pass online max-sum, which needs two exps per
// element. f16/bf16/f32 compute in f32 with a polynomial exp written in plain arithmetic
// (fast_exp, within 2 ulp of expf) so the loops vectorise; `omp simd` reductions let the
// compiler reorder the max and sum. f64 uses std::exp. A NaN anywhere in a line makes its
// sum NaN and so the whole line NaN, as do +inf (inf - inf) and a line of only -inf, like
// PyTorch. inner == 1 is the fast path (contiguous rows, parallel over rows); inner > 1 walks
// a block of adjacent lines together so each step reads one contiguous slice, without
// transposing; (outer, block) pairs run in parallel.
#include <bit>
#include <cmath>
#include <exception>
#include <vector>

#include "kernels/cpu/loops.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

// e^x for x <= 88 (Cephes expf: round-to-nearest range reduction by ln 2 in two parts, a
// degree-6 polynomial on [-ln2/2, ln2/2], the power of two built in the exponent bits).
// Inputs below -87.3 give 0 (no subnormal results); NaN gives NaN.
inline float fast_exp(float x) {
  constexpr float kLo = -87.3f, kHi = 88.0f;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float xc = x < kLo ? kLo : x;
  xc = xc > kHi ? kHi : xc;
  float t = xc * kLog2e + kShift;
  float n = t - kShift;
  int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kShift);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  float scale = std::bit_cast<float>((ni + 127) << 23);
  float y = p * scale;
  return x < kLo ? 0.0f : y;
}

template <typename A>
inline A exp_acc(A x) {
  if constexpr (std::is_same_v<A, float>) {
    return fast_exp(x);
  } else {
    return std::exp(x);
  }
}

// --- inner == 1: one contiguous row -------------------------------------------------------

// `e` receives exp(x - max) (softmax only): the output itself when T is the compute type,
// else a scratch row.
template <typename T, bool kLog>
void softmax_row(const T* x, T* y, acc_t<T>* e, int64_t n) {
  using A = acc_t<T>;
  A m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<A>(x[i]));
  A s = 0;
  if constexpr (kLog) {
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += exp_acc<A>(static_cast<A>(x[i]) - m);
    const A log_s = std::log(s);
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>((static_cast<A>(x[i]) - m) - log_s);
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) {
      A v = exp_acc<A>(static_cast<A>(x[i]) - m);
      e[i] = v;
      s += v;
    }
    const A inv = A(1) / s;
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(e[i] * inv);
  }
}

// --- inner > 1: a block of w adjacent lines, element l of line j at offset l * inner + j ------

constexpr int64_t kBlock = 64;

template <typename T, bool kLog>
void softmax_block(const T* x, T* y, int64_t len, int64_t inner, int64_t w, acc_t<T>* scratch) {
  using A = acc_t<T>;
  A m[kBlock], s[kBlock];
  for (int64_t j = 0; j < w; ++j) {
    m[j] = -INFINITY;
    s[j] = 0;
  }
  for (int64_t l = 0; l < len; ++l) {
    const T* xl = x + l * inner;
    for (int64_t j = 0; j < w; ++j) m[j] = std::max(m[j], static_cast<A>(xl[j]));
  }
  // Softmax keeps the exponentials: in the output (stride inner) or in scratch (stride w).
  constexpr bool kInPlace = std::is_same_v<T, A>;
  for (int64_t l = 0; l < len; ++l) {
    const T* xl = x + l * inner;
    if constexpr (kLog) {
      for (int64_t j = 0; j < w; ++j) s[j] += exp_acc<A>(static_cast<A>(xl[j]) - m[j]);
    } else {
      A* el = kInPlace ? reinterpret_cast<A*>(y + l * inner) : scratch + l * w;
      for (int64_t j = 0; j < w; ++j) {
        A v = exp_acc<A>(static_cast<A>(xl[j]) - m[j]);
        el[j] = v;
        s[j] += v;
      }
    }
  }
  for (int64_t j = 0; j < w; ++j) s[j] = kLog ? std::log(s[j]) : A(1) / s[j];
  for (int64_t l = 0; l < len; ++l) {
    const T* xl = x + l * inner;
    T* yl = y + l * inner;
    if constexpr (kLog) {
      for (int64_t j = 0; j < w; ++j)
        yl[j] = static_cast<T>((static_cast<A>(xl[j]) - m[j]) - s[j]);
    } else {
      const A* el = kInPlace ? reinterpret_cast<const A*>(yl) : scratch + l * w;
      for (int64_t j = 0; j < w; ++j) yl[j] = static_cast<T>(el[j] * s[j]);
    }
  }
}

template <typename F>
void guarded_parallel_for(int64_t n, int64_t work, F&& f) {
  std::exception_ptr error;
  parallel_for(n, work, [&](int64_t b, int64_t e) {
    try {
      f(b, e);
    } catch (...) {
#pragma omp critical(ember_softmax_error)
      if (!error) error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
}

template <bool kLog>
void softmax_kernel(const DimArgs& a) {
  if (a.outer * a.len * a.inner == 0) return;
  dispatch_dtype<kFloat>(
      a.in_dtype,
      [&]<typename T>() {
        using A = acc_t<T>;
        constexpr bool kNeedScratch = !kLog && !std::is_same_v<T, A>;
        const T* in = reinterpret_cast<const T*>(a.in);
        T* out = reinterpret_cast<T*>(a.out);
        const int64_t len = a.len, inner = a.inner;
        // An exp costs several elementwise operations: weigh the work accordingly.
        const int64_t work = a.outer * len * inner * 4;
        if (inner == 1) {
          guarded_parallel_for(a.outer, work, [&](int64_t rb, int64_t re) {
            std::vector<A> scratch(kNeedScratch ? static_cast<size_t>(len) : 0);
            for (int64_t r = rb; r < re; ++r) {
              T* y = out + r * len;
              A* e = kNeedScratch ? scratch.data() : reinterpret_cast<A*>(y);
              softmax_row<T, kLog>(in + r * len, y, e, len);
            }
          });
          return;
        }
        const int64_t blocks = (inner + kBlock - 1) / kBlock;
        guarded_parallel_for(a.outer * blocks, work, [&](int64_t tb, int64_t te) {
          std::vector<A> scratch(kNeedScratch ? static_cast<size_t>(len * kBlock) : 0);
          for (int64_t t = tb; t < te; ++t) {
            const int64_t o = t / blocks, j0 = (t % blocks) * kBlock;
            const int64_t off = o * len * inner + j0;
            softmax_block<T, kLog>(in + off, out + off, len, inner,
                                   std::min(kBlock, inner - j0), scratch.data());
          }
        });
      },
      [](DType) {});
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, softmax, &softmax_kernel<false>);
EMBER_REGISTER_KERNEL(cpu, log_softmax, &softmax_kernel<true>);

}  // namespace ember::cpu
