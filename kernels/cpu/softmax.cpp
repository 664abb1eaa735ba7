// CPU softmax and log_softmax along one dim of a contiguous tensor viewed as
// [outer, len, inner] (DimArgs).
//
// Design. Numerically stable: every line subtracts its maximum before exponentiating, so
// inputs like 1000 never overflow. Three passes over a line: the maximum; exp(x - max) and its
// sum (softmax stores the exponentials in the output); then the scaling by 1/sum (softmax) or
// x - max - log(sum) (log_softmax). On a CPU a line is cache resident, so this beats a
// one-pass online max-sum, which needs two exps per element. f32 uses a polynomial exp
// written in branch-free arithmetic (fast_exp, under 1 ulp from the true value) so the
// exp loops vectorise; `omp simd` reductions let the compiler reorder the max and sum. f64
// uses std::exp. f16/bf16 lines are converted to an f32 scratch line, computed as f32 and
// rounded once on the way out, so their hot loops are the f32 ones. A NaN anywhere in a line
// makes its sum NaN and so the whole line NaN, as do +inf (inf - inf) and a line of only
// -inf, like PyTorch. inner == 1 is the fast path (contiguous rows, parallel over rows);
// inner > 1 walks a block of adjacent lines together so each step reads one contiguous
// slice, without transposing; (outer, block) pairs run in parallel.
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
// Below -88 the power of two is 2^-127, whose bits are those of 0.0f: results under about
// 1e-38 flush to 0 and -inf gives 0. NaN gives NaN. No branches and no select on computed
// values, so the compiler vectorises loops calling it.
inline float fast_exp(float x) {
  constexpr float kLo = -88.0f, kHi = 88.0f;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Clamp to [kLo, kHi] with integer compares on the bits and a bitwise select: a float
  // compare may trap (NaN), so GCC turns a ?: on floats into a branch and the loop does not
  // vectorise. Unsigned order of the bits: positives ascend up to +inf (0x7f800000),
  // negatives ascend in magnitude up to -inf (0xff800000); NaNs are in neither range and
  // pass through.
  constexpr uint32_t kLoBits = std::bit_cast<uint32_t>(kLo);
  constexpr uint32_t kHiBits = std::bit_cast<uint32_t>(kHi);
  const uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t below = -static_cast<uint32_t>((u > kLoBits) & (u <= 0xff800000u));
  const uint32_t above = -static_cast<uint32_t>((u > kHiBits) & (u <= 0x7f800000u));
  const float xc =
      std::bit_cast<float>((u & ~(below | above)) | (kLoBits & below) | (kHiBits & above));
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
  return p * std::bit_cast<float>((ni + 127) << 23);
}

template <typename A>
inline A exp_acc(A x) {
  if constexpr (std::is_same_v<A, float>) {
    return fast_exp(x);
  } else {
    return std::exp(x);
  }
}

// --- inner == 1: one contiguous row, A = float or double ----------------------------------

// The exponentials go to y first in both ops (a plain map loop, then a plain sum), which the
// compiler vectorises; a fused exp-and-sum loop does not vectorise with GCC.
template <typename A, bool kLog>
void softmax_row(const A* x, A* y, int64_t n) {
  A m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  for (int64_t i = 0; i < n; ++i) y[i] = exp_acc<A>(x[i] - m);
  A s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += y[i];
  if constexpr (kLog) {
    const A log_s = std::log(s);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_s;
  } else {
    const A inv = A(1) / s;
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

// --- inner > 1: w adjacent lines; element l of line j is at x[l * xs + j], y[l * ys + j] ------

constexpr int64_t kBlock = 64;

template <typename A, bool kLog>
void softmax_block(const A* x, int64_t xs, A* y, int64_t ys, int64_t len, int64_t w) {
  A m[kBlock], s[kBlock];
  for (int64_t j = 0; j < w; ++j) {
    m[j] = -INFINITY;
    s[j] = 0;
  }
  for (int64_t l = 0; l < len; ++l) {
    const A* xl = x + l * xs;
    for (int64_t j = 0; j < w; ++j) m[j] = std::max(m[j], xl[j]);
  }
  for (int64_t l = 0; l < len; ++l) {
    const A* xl = x + l * xs;
    if constexpr (kLog) {
      for (int64_t j = 0; j < w; ++j) s[j] += exp_acc<A>(xl[j] - m[j]);
    } else {
      A* yl = y + l * ys;
      for (int64_t j = 0; j < w; ++j) {
        A v = exp_acc<A>(xl[j] - m[j]);
        yl[j] = v;
        s[j] += v;
      }
    }
  }
  for (int64_t j = 0; j < w; ++j) s[j] = kLog ? std::log(s[j]) : A(1) / s[j];
  for (int64_t l = 0; l < len; ++l) {
    const A* xl = x + l * xs;
    A* yl = y + l * ys;
    if constexpr (kLog) {
      for (int64_t j = 0; j < w; ++j) yl[j] = (xl[j] - m[j]) - s[j];
    } else {
      for (int64_t j = 0; j < w; ++j) yl[j] *= s[j];
    }
  }
}

template <bool kLog>
void softmax_kernel(const DimArgs& a) {
  if (a.outer * a.len * a.inner == 0) return;
  dispatch_dtype<kFloat>(
      a.in_dtype,
      [&]<typename T>() {
        using A = acc_t<T>;
        // f16/bf16 go through two f32 scratch areas (input and output of the f32 code).
        constexpr bool kStaged = is_half_v<T>;
        const T* in = reinterpret_cast<const T*>(a.in);
        T* out = reinterpret_cast<T*>(a.out);
        const int64_t len = a.len, inner = a.inner;
        // An exp costs several elementwise operations: weigh the work accordingly.
        const int64_t work = a.outer * len * inner * 4;
        if (inner == 1) {
          guarded_parallel_for(a.outer, work, [&](int64_t rb, int64_t re) {
            std::vector<A> scratch(kStaged ? static_cast<size_t>(2 * len) : 0);
            for (int64_t r = rb; r < re; ++r) {
              const T* x = in + r * len;
              T* y = out + r * len;
              if constexpr (kStaged) {
                A* xf = scratch.data();
                A* yf = xf + len;
                for (int64_t i = 0; i < len; ++i) xf[i] = static_cast<A>(x[i]);
                softmax_row<A, kLog>(xf, yf, len);
                for (int64_t i = 0; i < len; ++i) y[i] = static_cast<T>(yf[i]);
              } else {
                softmax_row<A, kLog>(x, y, len);
              }
            }
          });
          return;
        }
        const int64_t blocks = (inner + kBlock - 1) / kBlock;
        guarded_parallel_for(a.outer * blocks, work, [&](int64_t tb, int64_t te) {
          std::vector<A> scratch(kStaged ? static_cast<size_t>(2 * len * kBlock) : 0);
          for (int64_t t = tb; t < te; ++t) {
            const int64_t o = t / blocks, j0 = (t % blocks) * kBlock;
            const int64_t w = std::min(kBlock, inner - j0);
            const T* x = in + o * len * inner + j0;
            T* y = out + o * len * inner + j0;
            if constexpr (kStaged) {
              A* xf = scratch.data();
              A* yf = xf + len * w;
              for (int64_t l = 0; l < len; ++l)
                for (int64_t j = 0; j < w; ++j) xf[l * w + j] = static_cast<A>(x[l * inner + j]);
              softmax_block<A, kLog>(xf, w, yf, w, len, w);
              for (int64_t l = 0; l < len; ++l)
                for (int64_t j = 0; j < w; ++j) y[l * inner + j] = static_cast<T>(yf[l * w + j]);
            } else {
              softmax_block<A, kLog>(x, inner, y, inner, len, w);
            }
          }
        });
      },
      [](DType) {});
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, softmax, &softmax_kernel<false>);
EMBER_REGISTER_KERNEL(cpu, log_softmax, &softmax_kernel<true>);

}  // namespace ember::cpu
