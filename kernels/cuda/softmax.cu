// CUDA softmax and log_softmax along one dim of a contiguous tensor viewed as
// [outer, len, inner] (DimArgs), with the CPU kernel's results (kernels/cpu/softmax.cpp).
//
// Design. Two passes over a line: an online pass keeps a running maximum m and the sum s of
// exp(x - m), rescaling s by exp(m_old - m_new) when the maximum grows, so the input is read
// once for both; the write pass reads the line again (now in L2) and writes exp(x - m) / s or
// (x - m) - log(s). Partial (m, s) pairs of the lanes sharing a line merge by
// m = max(m1, m2), s = s1 e^(m1 - m) + s2 e^(m2 - m), a symmetric rule, so a butterfly leaves
// every lane with the same bits.
//  - inner == 1 (contiguous rows): a power-of-two group of lanes per row: a sub-warp for short
//    rows (several rows per warp), a warp, or up to a 512-thread block for long rows when the
//    rows alone cannot fill the device. Lanes read interleaved 16-byte vectors when the rows
//    are 16-byte aligned (scalars otherwise). Lanes merge by xor shuffles, warps through
//    shared memory, every thread merging the warps in the same order.
//  - inner > 1 (softmax over a non-last dim): threadIdx.x takes consecutive lines (consecutive
//    addresses at each step along len, so a warp's loads coalesce); threadIdx.y splits len
//    when the lines are too few to fill the device, merged by a fixed tree in shared memory.
// Numerics: f16/bf16 and f32 compute in f32, f64 in f64; one rounding on the store. Special
// values as on the CPU (and PyTorch): a NaN or +inf anywhere in a line, or a line of only
// -inf, makes the whole line NaN; -inf elements of other lines give 0 (log_softmax: -inf).
// The online pass skips -inf elements (they add exp(-inf) = 0 to any finite maximum) and a
// line's result is made NaN when its maximum is +-inf.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/cuda/block_shape.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/functors.h"
#include "kernels/kernel_args.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

constexpr int64_t kMinLoads = 8;              // loads per lane before widening pays

template <typename A>
__device__ __forceinline__ A exp_a(A x) {
  if constexpr (std::is_same_v<A, float>) {
    return expf(x);
  } else {
    return exp(x);
  }
}

template <typename A>
__device__ __forceinline__ A log_a(A x) {
  if constexpr (std::is_same_v<A, float>) {
    return logf(x);
  } else {
    return log(x);
  }
}

// Running maximum and sum of exp(x - m).
template <typename A>
struct MaxSum {
  A m, s;
};

template <typename A>
__device__ __forceinline__ MaxSum<A> max_sum_init() {
  return {-std::numeric_limits<A>::infinity(), A(0)};
}

template <typename A>
__device__ __forceinline__ void online(MaxSum<A>& a, A x) {
  if (x > a.m) {
    a.s = a.s * exp_a(a.m - x) + A(1);
    a.m = x;
  } else if (x != -std::numeric_limits<A>::infinity()) {  // NaN lands here and sticks
    a.s += exp_a(x - a.m);
  }
}

template <typename A>
__device__ __forceinline__ A scaled(const MaxSum<A>& a, A m) {
  return a.s == A(0) ? A(0) : a.s * exp_a(a.m - m);
}

template <typename A>
__device__ __forceinline__ MaxSum<A> merge(const MaxSum<A>& a, const MaxSum<A>& b) {
  const A m = a.m > b.m ? a.m : b.m;
  return {m, scaled(a, m) + scaled(b, m)};
}

template <typename A>
__device__ __forceinline__ MaxSum<A> shfl_xor(const MaxSum<A>& a, int lane_mask) {
  return {__shfl_xor_sync(0xffffffffu, a.m, lane_mask),
          __shfl_xor_sync(0xffffffffu, a.s, lane_mask)};
}

// What the write pass needs: the maximum and 1/s (softmax) or log(s) (log_softmax); NaN for a
// line holding NaN or +inf, or only -inf.
template <typename A, bool kLog>
struct LineScale {
  A m, k;
  __device__ explicit LineScale(const MaxSum<A>& a) : m(a.m) {
    const bool finite_max =
        a.m > -std::numeric_limits<A>::infinity() && a.m < std::numeric_limits<A>::infinity();
    const A s = finite_max ? a.s : std::numeric_limits<A>::quiet_NaN();
    k = kLog ? log_a(s) : A(1) / s;
  }
  __device__ A operator()(A x) const { return kLog ? (x - m) - k : exp_a(x - m) * k; }
};

// --- kernels ----------------------------------------------------------------------------------

// inner == 1: blockDim.x lanes per row, blockDim.y rows per block; `vec`: rows 16-byte aligned.
template <typename T, bool kLog>
__global__ void softmax_rows_kernel(const T* in, T* out, int64_t rows, int64_t len, int64_t groups,
                                    bool vec) {
  using A = acc_t<T>;
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  __shared__ MaxSum<A> warp_part[kMaxThreads / kWarp];
  const int bx = static_cast<int>(blockDim.x);
  const int lane = static_cast<int>(threadIdx.x), y = static_cast<int>(threadIdx.y);
  const int warps = bx / kWarp;
  const int64_t nv = vec ? len / kVec : 0;
  for (int64_t grp = blockIdx.x; grp < groups; grp += gridDim.x) {
    const int64_t row = grp * blockDim.y + y;
    const bool live = row < rows;
    const T* x = in + (live ? row : 0) * len;
    T* o = out + (live ? row : 0) * len;
    MaxSum<A> ms = max_sum_init<A>();
    if (live) {
      for (int64_t k = lane; k < nv; k += bx) {
        const uint4 raw = reinterpret_cast<const uint4*>(x)[k];
        T v[kVec];
        memcpy(static_cast<void*>(v), &raw, 16);
#pragma unroll
        for (int u = 0; u < kVec; ++u) online(ms, static_cast<A>(v[u]));
      }
      for (int64_t l = nv * kVec + lane; l < len; l += bx) online(ms, static_cast<A>(x[l]));
    }
    for (int off = (bx < kWarp ? bx : kWarp) / 2; off > 0; off /= 2)
      ms = merge(ms, shfl_xor(ms, off));
    if (warps > 1) {
      if (lane % kWarp == 0) warp_part[y * warps + lane / kWarp] = ms;
      __syncthreads();
      ms = warp_part[y * warps];
      for (int w = 1; w < warps; ++w) ms = merge(ms, warp_part[y * warps + w]);
    }
    const LineScale<A, kLog> f(ms);
    if (live) {
      for (int64_t k = lane; k < nv; k += bx) {
        const uint4 raw = reinterpret_cast<const uint4*>(x)[k];
        T v[kVec];
        memcpy(static_cast<void*>(v), &raw, 16);
#pragma unroll
        for (int u = 0; u < kVec; ++u) v[u] = static_cast<T>(f(static_cast<A>(v[u])));
        uint4 res;
        memcpy(&res, v, 16);
        reinterpret_cast<uint4*>(o)[k] = res;
      }
      for (int64_t l = nv * kVec + lane; l < len; l += bx)
        o[l] = static_cast<T>(f(static_cast<A>(x[l])));
    }
    if (warps > 1) __syncthreads();  // warp_part is reused by the next group
  }
}

// inner > 1: threadIdx.x takes line c = grp * blockDim.x + x of the outer * inner lines,
// threadIdx.y the positions y, y + blockDim.y, ... along len.
template <typename T, bool kLog>
__global__ void softmax_cols_kernel(const T* in, T* out, int64_t lines, int64_t len, int64_t inner,
                                    int64_t groups) {
  using A = acc_t<T>;
  EMBER_DYNAMIC_SHARED(MaxSum<A>, part);
  const int64_t bx = blockDim.x, by = blockDim.y, x = threadIdx.x, y = threadIdx.y;
  for (int64_t grp = blockIdx.x; grp < groups; grp += gridDim.x) {
    const int64_t c = grp * bx + x;
    const bool live = c < lines;
    const int64_t base = live ? (c / inner) * len * inner + c % inner : 0;
    MaxSum<A> ms = max_sum_init<A>();
    if (live) {
      for (int64_t l = y; l < len; l += by) online(ms, static_cast<A>(in[base + l * inner]));
    }
    if (by > 1) {
      part[y * bx + x] = ms;
      __syncthreads();
      for (int64_t s = by / 2; s > 0; s /= 2) {
        if (y < s) {
          ms = merge(ms, part[(y + s) * bx + x]);
          part[y * bx + x] = ms;
        }
        __syncthreads();
      }
      ms = part[x];
      __syncthreads();  // part is reused by the next group
    }
    const LineScale<A, kLog> f(ms);
    if (live) {
      for (int64_t l = y; l < len; l += by) {
        const int64_t i = base + l * inner;
        out[i] = static_cast<T>(f(static_cast<A>(in[i])));
      }
    }
  }
}

// --- launchers --------------------------------------------------------------------------------


template <typename T, bool kLog>
void softmax_typed(const DimArgs& a) {
  const T* in = reinterpret_cast<const T*>(a.in);
  T* out = reinterpret_cast<T*>(a.out);
  if (a.inner == 1) {
    const bool vec = reinterpret_cast<uintptr_t>(a.in) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(a.out) % 16 == 0 &&
                     (a.len * static_cast<int64_t>(sizeof(T))) % 16 == 0;
    const int64_t loads = vec ? ceil_div(a.len, 16 / static_cast<int64_t>(sizeof(T))) : a.len;
    int bx = pow2_at_least(loads, kWarp);
    while (bx < kMaxThreads && a.outer * bx < kFillThreads && loads >= 2 * bx * kMinLoads) bx *= 2;
    const int by = rows_per_block(bx, a.outer);
    const int64_t groups = ceil_div(a.outer, by);
    EMBER_LAUNCH((softmax_rows_kernel<T, kLog>), dim3(grid_of(groups)),
                 dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by)), 0, nullptr, in, out,
                 a.outer, a.len, groups, vec);
    return;
  }
  const int64_t lines = a.outer * a.inner;
  const int bx = pow2_at_least(lines, kTileThreads);
  const int64_t groups = ceil_div(lines, bx);
  int by = 1;
  while (bx * by < kMaxThreads && groups * bx * by < kFillThreads && a.len >= 2 * by * kMinLoads)
    by *= 2;
  const std::size_t smem = by > 1 ? sizeof(MaxSum<acc_t<T>>) * bx * by : 0;
  EMBER_LAUNCH((softmax_cols_kernel<T, kLog>), dim3(grid_of(groups)),
               dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by)), smem, nullptr, in, out,
               lines, a.len, a.inner, groups);
}

template <bool kLog>
void softmax_kernel(const DimArgs& a) {
  constexpr OpId kOp = kLog ? OpId::log_softmax : OpId::softmax;
  if (a.out_dtype != a.in_dtype) fn::mismatched_dtype(kOp, "cuda", 0, a.out_dtype, a.in_dtype);
  if (a.outer * a.len * a.inner == 0) return;
  dispatch_dtype<kFloat>(
      a.in_dtype, [&]<typename T>() { softmax_typed<T, kLog>(a); },
      [](DType d) { fn::unsupported_dtype(kOp, "cuda", d, kFloat); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, softmax, &softmax_kernel<false>);
EMBER_REGISTER_KERNEL(cuda, log_softmax, &softmax_kernel<true>);

}  // namespace ember::cuda
