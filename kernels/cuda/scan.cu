// CUDA scans along one dim of a contiguous tensor viewed as [outer, len, inner] (DimArgs):
// cumsum and cumprod, with the CPU kernel's types (kernels/cpu/scan.cpp): integer and bool
// inputs accumulate in wrapping 64-bit integers and are written as i64; f16/bf16 accumulate in
// f32, f32 and f64 in f64; each output is rounded once.
//
// Design.
//  - inner == 1 (contiguous rows): a power-of-two group of lanes scans a row in chunks of
//    lanes x kVec elements (kVec = one 16-byte load of the input): each lane scans its kVec
//    consecutive elements in registers, the lanes' totals are scanned with warp shuffles
//    (Hillis-Steele over shfl_up), warps' totals through shared memory, and the chunk's total
//    is carried into the next chunk. Short rows get a sub-warp (several rows per warp, no
//    shared memory or barriers); long rows widen the group up to a 512-thread block while the
//    rows alone cannot fill the device. Loads and stores are 16-byte vectors when the rows are
//    aligned (scalars otherwise).
//  - inner > 1 (scan over a non-last dim): threadIdx.x takes consecutive lines, so each step
//    along len reads and writes consecutive addresses across the warp. When the lines are too
//    few to fill the device, threadIdx.y cuts len into contiguous segments: a first walk sums
//    each segment, each thread folds the totals of the segments before its own (in order,
//    from shared memory), and a second walk scans its segment from that prefix.
// Every combination order is fixed by the shapes, so results are bitwise reproducible; floating
// results differ from the CPU's sequential scan only by the association of the additions
// (within DESIGN.md tolerances, in the wider accumulator).
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

constexpr int64_t kMinSegment = 16;           // elements per segment before splitting a line

// The accumulator and output types of a scan over T (as kernels/cpu/scan.cpp).
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

template <typename Acc>
struct Add {
  static constexpr Acc kIdentity = Acc(0);
  __device__ __forceinline__ Acc operator()(Acc a, Acc b) const { return a + b; }
};
template <typename Acc>
struct Mul {
  static constexpr Acc kIdentity = Acc(1);
  __device__ __forceinline__ Acc operator()(Acc a, Acc b) const { return a * b; }
};

// --- kernels ----------------------------------------------------------------------------------

// inner == 1: blockDim.x lanes per row, blockDim.y rows per block; `vec`: rows 16-byte aligned
// for the input and the output.
template <typename T, typename Op>
__global__ void scan_rows_kernel(const T* in, typename ScanTypes<T>::Out* out, int64_t rows,
                                 int64_t len, int64_t groups, bool vec, Op op) {
  using Acc = typename ScanTypes<T>::Acc;
  using Out = typename ScanTypes<T>::Out;
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  constexpr int kOutVecs = kVec * static_cast<int>(sizeof(Out)) / 16;
  __shared__ Acc warp_total[kMaxThreads / kWarp];
  const int bx = static_cast<int>(blockDim.x);
  const int lane = static_cast<int>(threadIdx.x), y = static_cast<int>(threadIdx.y);
  const int width = bx < kWarp ? bx : kWarp;
  const int wl = lane % width;  // lane within its warp (or sub-warp group)
  const int warps = bx / kWarp, w = lane / kWarp;
  const int64_t chunk = static_cast<int64_t>(bx) * kVec;
  for (int64_t grp = blockIdx.x; grp < groups; grp += gridDim.x) {
    const int64_t row = grp * blockDim.y + y;
    const bool live = row < rows;
    const T* x = in + (live ? row : 0) * len;
    Out* o = out + (live ? row : 0) * len;
    Acc carry = Op::kIdentity;
    for (int64_t c0 = 0; c0 < len; c0 += chunk) {  // the same trip count for a block's rows
      const int64_t p = c0 + static_cast<int64_t>(lane) * kVec;
      Acc v[kVec];
      if (live && vec && p < len) {
        const uint4 raw = *reinterpret_cast<const uint4*>(x + p);
        T t[kVec];
        memcpy(static_cast<void*>(t), &raw, 16);
#pragma unroll
        for (int u = 0; u < kVec; ++u) v[u] = static_cast<Acc>(t[u]);
      } else {
#pragma unroll
        for (int u = 0; u < kVec; ++u)
          v[u] = live && p + u < len ? static_cast<Acc>(x[p + u]) : Op::kIdentity;
      }
#pragma unroll
      for (int u = 1; u < kVec; ++u) v[u] = op(v[u - 1], v[u]);
      // Inclusive scan of the lanes' totals within the warp (or group).
      Acc incl = v[kVec - 1];
      for (int d = 1; d < width; d *= 2) {
        const Acc t = __shfl_up_sync(0xffffffffu, incl, static_cast<unsigned>(d), width);
        if (wl >= d) incl = op(t, incl);
      }
      Acc excl = __shfl_up_sync(0xffffffffu, incl, 1u, width);
      if (wl == 0) excl = Op::kIdentity;
      Acc total = __shfl_sync(0xffffffffu, incl, width - 1, width);
      if (warps > 1) {
        if (wl == kWarp - 1) warp_total[y * warps + w] = incl;
        __syncthreads();
        Acc before = Op::kIdentity;
        total = Op::kIdentity;
        for (int j = 0; j < warps; ++j) {
          if (j == w) before = total;
          total = op(total, warp_total[y * warps + j]);
        }
        excl = op(before, excl);
        __syncthreads();  // warp_total is rewritten by the next chunk
      }
      const Acc prefix = op(carry, excl);
      carry = op(carry, total);
      if (!live || p >= len) continue;
      Out r[kVec];
#pragma unroll
      for (int u = 0; u < kVec; ++u) r[u] = static_cast<Out>(op(prefix, v[u]));
      if (vec) {
#pragma unroll
        for (int q = 0; q < kOutVecs; ++q) {
          uint4 raw;
          memcpy(&raw, reinterpret_cast<const unsigned char*>(r) + 16 * q, 16);
          reinterpret_cast<uint4*>(o + p)[q] = raw;
        }
      } else {
#pragma unroll
        for (int u = 0; u < kVec; ++u)
          if (p + u < len) o[p + u] = r[u];
      }
    }
  }
}

// inner > 1: threadIdx.x takes line c = grp * blockDim.x + x of the outer * inner lines,
// threadIdx.y the contiguous segment [y * seg, (y + 1) * seg) of len.
template <typename T, typename Op>
__global__ void scan_cols_kernel(const T* in, typename ScanTypes<T>::Out* out, int64_t lines,
                                 int64_t len, int64_t inner, int64_t seg, int64_t groups, Op op) {
  using Acc = typename ScanTypes<T>::Acc;
  using Out = typename ScanTypes<T>::Out;
  EMBER_DYNAMIC_SHARED(Acc, seg_total);
  const int64_t bx = blockDim.x, by = blockDim.y, x = threadIdx.x, y = threadIdx.y;
  for (int64_t grp = blockIdx.x; grp < groups; grp += gridDim.x) {
    const int64_t c = grp * bx + x;
    const bool live = c < lines;
    const int64_t base = live ? (c / inner) * len * inner + c % inner : 0;
    const int64_t l0 = y * seg, l1 = !live ? 0 : (l0 + seg < len ? l0 + seg : len);
    Acc acc = Op::kIdentity;
    if (by > 1) {
      for (int64_t l = l0; l < l1; ++l) acc = op(acc, static_cast<Acc>(in[base + l * inner]));
      seg_total[y * bx + x] = acc;
      __syncthreads();
      acc = Op::kIdentity;
      for (int64_t j = 0; j < y; ++j) acc = op(acc, seg_total[j * bx + x]);
      __syncthreads();  // seg_total is rewritten by the next group
    }
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t i = base + l * inner;
      acc = op(acc, static_cast<Acc>(in[i]));
      out[i] = static_cast<Out>(acc);
    }
  }
}

// --- launchers --------------------------------------------------------------------------------


template <typename T, typename Op>
void scan_typed(const DimArgs& a, Op op) {
  using Acc = typename ScanTypes<T>::Acc;
  using Out = typename ScanTypes<T>::Out;
  const T* in = reinterpret_cast<const T*>(a.in);
  Out* out = reinterpret_cast<Out*>(a.out);
  if (a.inner == 1) {
    constexpr int64_t kVec = 16 / static_cast<int64_t>(sizeof(T));
    const bool vec = reinterpret_cast<uintptr_t>(a.in) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(a.out) % 16 == 0 &&
                     (a.len * static_cast<int64_t>(sizeof(T))) % 16 == 0;
    const int64_t loads = ceil_div(a.len, kVec);
    int bx = pow2_at_least(loads, kWarp);
    while (bx < kMaxThreads && a.outer * bx < kFillThreads && loads >= 2 * bx) bx *= 2;
    const int by = rows_per_block(bx, a.outer);
    const int64_t groups = ceil_div(a.outer, by);
    EMBER_LAUNCH((scan_rows_kernel<T, Op>), dim3(grid_of(groups)),
                 dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by)), 0, nullptr, in, out,
                 a.outer, a.len, groups, vec, op);
    return;
  }
  const int64_t lines = a.outer * a.inner;
  const int bx = pow2_at_least(lines, kTileThreads);
  const int64_t groups = ceil_div(lines, bx);
  int by = 1;
  while (bx * by < kMaxThreads && groups * bx * by < kFillThreads && a.len >= 2 * by * kMinSegment)
    by *= 2;
  const int64_t seg = ceil_div(a.len, by);
  const std::size_t smem = by > 1 ? sizeof(Acc) * bx * by : 0;
  EMBER_LAUNCH((scan_cols_kernel<T, Op>), dim3(grid_of(groups)),
               dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by)), smem, nullptr, in, out,
               lines, a.len, a.inner, seg, groups, op);
}

template <bool kProduct>
void scan_kernel(const DimArgs& a) {
  constexpr OpId kOp = kProduct ? OpId::cumprod : OpId::cumsum;
  const DType want = is_floating(a.in_dtype) ? a.in_dtype : DType::i64;
  if (a.out_dtype != want) fn::mismatched_dtype(kOp, "cuda", 0, a.out_dtype, want);
  if (a.outer * a.len * a.inner == 0) return;
  dispatch_dtype<kAll>(
      a.in_dtype,
      [&]<typename T>() {
        using Acc = typename ScanTypes<T>::Acc;
        if constexpr (kProduct) {
          scan_typed<T>(a, Mul<Acc>{});
        } else {
          scan_typed<T>(a, Add<Acc>{});
        }
      },
      [](DType d) { fn::unsupported_dtype(kOp, "cuda", d, kAll); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, cumsum, &scan_kernel<false>);
EMBER_REGISTER_KERNEL(cuda, cumprod, &scan_kernel<true>);

}  // namespace ember::cuda
