// CUDA reductions: sum (mean), prod, amax, amin, all, any, var, argmax, argmin over any set of
// dims (ReduceLoop, kernels/kernel_args.h), with the CPU kernel's accumulation types, output
// dtypes and NaN/tie rules (kernels/cpu/reduce.cpp is the reference).
//
// Design. Every op is a reducer (init / step / merge / store, as on the CPU) run by one kernel
// whose thread block is a 2-d tile: one axis of the block indexes outputs, the other splits
// each output's reduction into `lanes` that every thread walks with a fixed stride. The host
// reorders the kept dims by decreasing input stride and picks the mapping from the innermost
// strides:
//  - inner (the reduced dim is the fast one, e.g. sum over the last dim): threadIdx.x are the
//    lanes of one output, threadIdx.y indexes outputs. Rows shorter than a warp get a sub-warp
//    (a power of two of lanes, several outputs per warp); long rows with few outputs widen the
//    lanes to a whole block (up to 512 threads). Unit-stride rows whose base is 16-byte aligned
//    are read with 16-byte vector loads; other strides with 4 independent loads in flight.
//  - outer (a kept dim is the fast one, e.g. sum over dim 0 of a row-major [N, M]):
//    threadIdx.x indexes consecutive outputs, so a warp reads consecutive addresses; threadIdx.y
//    splits the reduction when the outputs alone are too few to fill the device.
// Lanes are combined by a fixed tree: warp shuffles (xor butterfly), then shared memory across
// warps (inner) or a halving tree over threadIdx.y in shared memory (outer). When the tile
// still leaves the device idle (few outputs, long reductions, e.g. a full sum), the reduction
// is cut into fixed chunks along gridDim.y: pass 1 writes one partial accumulator per (output,
// chunk) to a workspace from ember's caching allocator, pass 2 merges each output's partials in
// order with one warp per output. No atomics: the split, the lane walk and the trees depend
// only on the shapes, strides and alignment, so a result is bitwise reproducible under any
// schedule. Sizes steering the choice are those of an H100 (132 SMs x 2048 threads), constants
// rather than queried, so the emulator runs exactly the GPU's partitioning.
// Registers: __launch_bounds__(512, 2) holds the kernel to 64 registers, so an SM keeps 1024
// threads (two 16-byte loads in flight each) streaming. Index math: kept and reduced coordinates
// come from precomputed 32-bit magic-number divisions (64-bit division when an index range passes
// 2^31), dims stored innermost first. Numerics as on the CPU: sums and products of f32/f64
// accumulate in double, of f16/bf16 in f32, of integers and bool in wrapping 64-bit integers; mean
// divides once in the accumulator. var works in double: each thread folds batches of 2-16 loaded
// elements (batch mean, then squared deviations from it) into a running (n, mean, M2) with Chan's
// formula, which also merges lanes and chunks; M2 / max(n - correction, 0) as on the CPU. amax/amin
// propagate NaN; argmax/argmin take the first NaN, and ties go to the smaller position (the merge
// orders by value, then by position, so the tree shape cannot change which index wins).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "kernels/cuda/block_shape.h"
#include "kernels/cuda/device_api.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/workspace.h"
#include "kernels/dtype.h"
#include "kernels/error.h"
#include "kernels/functors.h"
#include "kernels/kernel_args.h"
#include "kernels/reducers.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

constexpr int64_t kMinLoads = 8;              // loads per lane before widening or splitting pays
constexpr int64_t kMaxSplits = 65535;         // gridDim.y
constexpr int64_t kChunkAlign = 16;           // chunk starts stay 16-byte aligned for any dtype

// --- index math -------------------------------------------------------------------------------

// n / d for 0 <= n < 2^31 by a multiply-high and a shift (Granlund-Montgomery), or plain 64-bit
// division when `fast` is off.
struct Divider {
  int64_t d = 1;
  uint32_t magic = 1, shift = 0;
  bool fast = false;

  static Divider make(int64_t d, bool fast) {
    Divider v;
    v.d = d;
    v.fast = fast && d >= 1 && d < (int64_t{1} << 31);  // size 0: an empty loop, never divided
    if (v.fast) {
      while ((int64_t{1} << v.shift) < d) ++v.shift;
      v.magic = static_cast<uint32_t>(
          ((uint64_t{1} << 32) * ((uint64_t{1} << v.shift) - d)) / static_cast<uint64_t>(d) + 1);
    }
    return v;
  }
  __device__ __forceinline__ int64_t div(int64_t n) const {
    if (fast) {
      const uint32_t u = static_cast<uint32_t>(n);
      const uint32_t t = static_cast<uint32_t>((static_cast<uint64_t>(u) * magic) >> 32);
      return static_cast<int64_t>((t + u) >> shift);
    }
    return n / d;
  }
};

// The loop as the kernels walk it. Dims are stored innermost first; kept dims are ordered by
// decreasing input stride, so kept dim 0 is the one consecutive outputs step along.
struct Geometry {
  int kept_ndim = 0;
  Divider kept_div[kMaxDims];
  int64_t kept_in[kMaxDims] = {};
  int64_t kept_out[kMaxDims] = {};
  int red_ndim = 0;
  Divider red_div[kMaxDims];
  int64_t red_stride[kMaxDims] = {};
  int64_t outputs = 1;  // product of the kept sizes
  int64_t total = 1;    // product of the reduced sizes
};

struct Offsets {
  int64_t in = 0, out = 0;
};

// Input and output offsets of output o (row-major over the kept dims).
__device__ __forceinline__ Offsets kept_offsets(const Geometry& g, int64_t o) {
  Offsets r;
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k >= g.kept_ndim) break;
    int64_t i = o;
    if (k + 1 < g.kept_ndim) {
      const int64_t q = g.kept_div[k].div(o);
      i = o - q * g.kept_div[k].d;
      o = q;
    }
    r.in += i * g.kept_in[k];
    r.out += i * g.kept_out[k];
  }
  return r;
}

// Input offset of reduced position p (row-major over the reduced dims).
__device__ __forceinline__ int64_t red_offset(const Geometry& g, int64_t p) {
  int64_t off = 0;
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k >= g.red_ndim) break;
    int64_t i = p;
    if (k + 1 < g.red_ndim) {
      const int64_t q = g.red_div[k].div(p);
      i = p - q * g.red_div[k].d;
      p = q;
    }
    off += i * g.red_stride[k];
  }
  return off;
}

__device__ __forceinline__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Any trivially copyable value moved across the warp by 32-bit words.
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int lane_mask) {
  constexpr int kWords = (static_cast<int>(sizeof(T)) + 3) / 4;
  unsigned w[kWords] = {};
  memcpy(w, &v, sizeof(T));
#pragma unroll
  for (int i = 0; i < kWords; ++i) w[i] = __shfl_xor_sync(0xffffffffu, w[i], lane_mask);
  memcpy(&v, w, sizeof(T));
  return v;
}

// --- reducers: kernels/reducers.h, shared with the CPU --------------------------------------

using namespace reducers;  // NOLINT: the reducers both devices share

// N elements loaded together, at positions pos, pos + pstep, ...
template <int N, typename Op, typename In>
__device__ __forceinline__ void step_n(const Op& op, typename Op::Acc& a, const In (&x)[N],
                                       int64_t pos, int64_t pstep) {
  if constexpr (Op::kBatched) {
    op.template batch<N>(a, x);
  } else {
#pragma unroll
    for (int u = 0; u < N; ++u) op.step(a, x[u], pos + u * pstep);
  }
}

// --- kernels ----------------------------------------------------------------------------------

// How the block tile maps onto the loop (chosen on the host, see plan()).
struct Config {
  bool inner = true;   // lanes along threadIdx.x (inner) or threadIdx.y (outer)
  bool vec = false;    // unit-stride, 16-byte aligned rows: 16-byte loads
  int64_t chunk = 1;   // reduced positions per split (gridDim.y splits)
  int64_t groups = 1;  // output groups: one block column each
};

// One lane's walk over positions r0 + lane, r0 + lane + lanes, ... < r1 of the region at base.
// kMulti: more than one reduced dim (coordinates from red_offset).
template <bool kMulti, typename Op, typename In>
__device__ __forceinline__ void walk(const Op& op, typename Op::Acc& acc, const In* base,
                                     const Geometry& g, int64_t r0, int64_t r1, int64_t lane,
                                     int64_t lanes) {
  const int64_t s = g.red_ndim > 0 ? g.red_stride[0] : 0;
  int64_t r = r0 + lane;
  for (; r + 3 * lanes < r1; r += 4 * lanes) {
    In x[4];
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const int64_t p = r + u * lanes;
      x[u] = base[kMulti ? red_offset(g, p) : p * s];
    }
    step_n<4>(op, acc, x, r, lanes);
  }
  for (; r < r1; r += lanes) op.step(acc, base[kMulti ? red_offset(g, r) : r * s], r);
}

// The same over a unit-stride row whose base + r0 is 16-byte aligned: 16 bytes per load.
template <typename Op, typename In>
__device__ __forceinline__ void walk_vec(const Op& op, typename Op::Acc& acc, const In* base,
                                         int64_t r0, int64_t r1, int64_t lane, int64_t lanes) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(In));
  const int64_t nv = (r1 - r0) / kVec;
  const uint4* pv = reinterpret_cast<const uint4*>(base + r0);
  int64_t k = lane;
  for (; k + lanes < nv; k += 2 * lanes) {
    const uint4 ra = pv[k], rb = pv[k + lanes];
    In a[kVec], b[kVec];
    memcpy(static_cast<void*>(a), &ra, 16);
    memcpy(static_cast<void*>(b), &rb, 16);
    step_n<kVec>(op, acc, a, r0 + k * kVec, 1);
    step_n<kVec>(op, acc, b, r0 + (k + lanes) * kVec, 1);
  }
  if (k < nv) {
    const uint4 ra = pv[k];
    In a[kVec];
    memcpy(static_cast<void*>(a), &ra, 16);
    step_n<kVec>(op, acc, a, r0 + k * kVec, 1);
  }
  for (int64_t r = r0 + nv * kVec + lane; r < r1; r += lanes) op.step(acc, base[r], r);
}

// Combines the lanes of each output of the block by a fixed tree; the result is valid in the
// lane-0 thread of each output. Every thread of the block must call it.
template <typename Op>
__device__ typename Op::Acc combine_lanes(const Op& op, typename Op::Acc acc, bool inner,
                                          typename Op::Acc* smem) {
  using Acc = typename Op::Acc;
  const int bx = static_cast<int>(blockDim.x), by = static_cast<int>(blockDim.y);
  const int x = static_cast<int>(threadIdx.x), y = static_cast<int>(threadIdx.y);
  if (inner) {
    const int width = bx < kWarp ? bx : kWarp;
    for (int off = width / 2; off > 0; off /= 2) {
      const Acc other = shfl_xor(acc, off);
      op.merge(acc, other);
    }
    if (bx > kWarp) {
      const int warps = bx / kWarp, w = x / kWarp, l = x % kWarp;
      if (l == 0) smem[y * warps + w] = acc;
      __syncthreads();
      if (w == 0) {  // the first warp of each output's row
        acc = l < warps ? smem[y * warps + l] : op.init();
        for (int off = warps / 2; off > 0; off /= 2) {
          const Acc other = shfl_xor(acc, off);
          op.merge(acc, other);
        }
      }
    }
  } else if (by > 1) {
    smem[y * bx + x] = acc;
    __syncthreads();
    for (int s = by / 2; s > 0; s /= 2) {
      if (y < s) {
        op.merge(acc, smem[(y + s) * bx + x]);
        smem[y * bx + x] = acc;
      }
      __syncthreads();
    }
  }
  return acc;
}

// Pass 1 (or the only pass): block column grp reduces outputs [grp * per_block, ...) over the
// positions of split blockIdx.y. With one split the result is stored, else its partial.
template <typename Op, typename In>
__global__ void __launch_bounds__(kMaxThreads, 2)
    reduce_kernel(Geometry g, Config c, const In* in, char* out, int64_t* indices, DType out_dtype,
                  int64_t out_esize, typename Op::Acc* partial, Op op) {
  using Acc = typename Op::Acc;
  EMBER_DYNAMIC_SHARED(Acc, smem);
  const int64_t per_block = c.inner ? blockDim.y : blockDim.x;
  const int64_t slot = c.inner ? threadIdx.y : threadIdx.x;
  const int64_t lane = c.inner ? threadIdx.x : threadIdx.y;
  const int64_t lanes = c.inner ? blockDim.x : blockDim.y;
  const int64_t split = blockIdx.y, splits = gridDim.y;
  const int64_t r0 = split * c.chunk, r1 = min64(g.total, r0 + c.chunk);
  for (int64_t grp = blockIdx.x; grp < c.groups; grp += gridDim.x) {
    const int64_t o = grp * per_block + slot;
    Acc acc = op.init();
    Offsets off;
    if (o < g.outputs) {
      off = kept_offsets(g, o);
      const In* base = in + off.in;
      if (c.vec) {
        walk_vec(op, acc, base, r0, r1, lane, lanes);
      } else if (g.red_ndim > 1) {
        walk<true>(op, acc, base, g, r0, r1, lane, lanes);
      } else {
        walk<false>(op, acc, base, g, r0, r1, lane, lanes);
      }
    }
    acc = combine_lanes(op, acc, c.inner, smem);
    if (lane == 0 && o < g.outputs) {
      if (splits == 1) {
        op.store(out + off.out * out_esize, indices != nullptr ? indices + off.out : nullptr,
                 out_dtype, acc, g.total);
      } else {
        partial[o * splits + split] = acc;
      }
    }
    __syncthreads();  // shared memory is reused by the next group
  }
}

// Pass 2: one warp per output merges its `splits` partials (lane l takes l, l + 32, ...; then
// the xor tree) and stores the result.
template <typename Op>
__global__ void combine_kernel(Geometry g, const typename Op::Acc* partial, int64_t splits,
                               int64_t groups, char* out, int64_t* indices, DType out_dtype,
                               int64_t out_esize, Op op) {
  using Acc = typename Op::Acc;
  for (int64_t grp = blockIdx.x; grp < groups; grp += gridDim.x) {
    const int64_t o = grp * blockDim.y + threadIdx.y;
    Acc acc = op.init();
    if (o < g.outputs) {
      for (int64_t s = threadIdx.x; s < splits; s += kWarp) op.merge(acc, partial[o * splits + s]);
    }
    for (int off = kWarp / 2; off > 0; off /= 2) {
      const Acc other = shfl_xor(acc, off);
      op.merge(acc, other);
    }
    if (threadIdx.x == 0 && o < g.outputs) {
      const Offsets oo = kept_offsets(g, o);
      op.store(out + oo.out * out_esize, indices != nullptr ? indices + oo.out : nullptr, out_dtype,
               acc, g.total);
    }
  }
}

// --- launchers --------------------------------------------------------------------------------

int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

Geometry make_geometry(const ReduceLoop& L) {
  Geometry g;
  int order[kMaxDims];
  for (int d = 0; d < L.kept_ndim; ++d) order[d] = d;
  // Insertion sort by decreasing |input stride| (stable), so outputs step fastest along the
  // kept dim with the smallest input stride.
  for (int i = 1; i < L.kept_ndim; ++i) {
    for (int j = i;
         j > 0 && abs64(L.kept_in_strides[order[j]]) > abs64(L.kept_in_strides[order[j - 1]]);
         --j) {
      std::swap(order[j], order[j - 1]);
    }
  }
  for (int d = 0; d < L.kept_ndim; ++d) g.outputs *= L.kept_sizes[d];
  for (int d = 0; d < L.red_ndim; ++d) g.total *= L.red_sizes[d];
  const bool kept32 = g.outputs < (int64_t{1} << 31), red32 = g.total < (int64_t{1} << 31);
  g.kept_ndim = L.kept_ndim;
  for (int k = 0; k < L.kept_ndim; ++k) {
    const int d = order[L.kept_ndim - 1 - k];
    g.kept_div[k] = Divider::make(L.kept_sizes[d], kept32);
    g.kept_in[k] = L.kept_in_strides[d];
    g.kept_out[k] = L.kept_out_strides[d];
  }
  g.red_ndim = L.red_ndim;
  for (int k = 0; k < L.red_ndim; ++k) {
    const int d = L.red_ndim - 1 - k;
    g.red_div[k] = Divider::make(L.red_sizes[d], red32);
    g.red_stride[k] = L.red_strides[d];
  }
  return g;
}

struct Plan {
  Config c;
  int bx = 1, by = 1;
  int64_t splits = 1;
  int64_t smem_accs = 0;  // shared-memory accumulators per block
};

Plan plan(const Geometry& g, const ReduceLoop& L) {
  Plan p;
  const int64_t esize = static_cast<int64_t>(element_size(L.in_dtype));
  const int64_t n = g.outputs, total = g.total;
  Config& c = p.c;
  c.inner = g.kept_ndim == 0 || (g.red_ndim > 0 && abs64(g.red_stride[0]) <= abs64(g.kept_in[0]));
  int64_t per_lane_base;  // loads of one output's reduction
  if (c.inner) {
    c.vec = g.red_ndim == 1 && g.red_stride[0] == 1 && reinterpret_cast<uintptr_t>(L.in) % 16 == 0;
    for (int k = 0; k < g.kept_ndim; ++k) c.vec = c.vec && (g.kept_in[k] * esize) % 16 == 0;
    const int64_t loads = c.vec ? ceil_div(total, 16 / esize) : total;
    p.bx = pow2_at_least(loads, kWarp);
    while (p.bx < kMaxThreads && n * p.bx < kFillThreads && loads >= 2 * p.bx * kMinLoads)
      p.bx *= 2;
    p.by = rows_per_block(p.bx, n);
    c.groups = ceil_div(n, p.by);
    per_lane_base = loads;
    p.smem_accs = p.bx > kWarp ? p.by * (p.bx / kWarp) : 0;
  } else {
    p.bx = pow2_at_least(n, kTileThreads);
    c.groups = ceil_div(n, p.bx);
    while (p.bx * p.by < kMaxThreads && c.groups * p.bx * p.by < kFillThreads &&
           total >= 2 * p.by * kMinLoads)
      p.by *= 2;
    per_lane_base = total;
    p.smem_accs = p.by > 1 ? static_cast<int64_t>(p.bx) * p.by : 0;
  }
  const int64_t lanes = c.inner ? p.bx : p.by;
  const int64_t threads = c.groups * p.bx * p.by;
  if (threads < kFillThreads && per_lane_base >= 2 * lanes * kMinLoads) {
    int64_t splits = ceil_div(kFillThreads, threads);
    splits = std::min(splits, per_lane_base / (lanes * kMinLoads));
    splits = std::min(splits, kMaxSplits);
    if (splits > 1) {
      c.chunk = ceil_div(ceil_div(total, splits), kChunkAlign) * kChunkAlign;
      p.splits = ceil_div(total, c.chunk);
    }
  }
  if (p.splits == 1) c.chunk = total;
  return p;
}

template <typename In, typename Op>
void reduce_typed(const ReduceLoop& L, const Op& op) {
  using Acc = typename Op::Acc;
  const Geometry g = make_geometry(L);
  if (g.outputs == 0) return;
  const Plan p = plan(g, L);
  const int64_t out_esize = static_cast<int64_t>(element_size(L.out_dtype));
  const int64_t grid_x = std::min<int64_t>(p.c.groups, std::numeric_limits<int32_t>::max());
  const dim3 grid(static_cast<unsigned>(grid_x), static_cast<unsigned>(p.splits));
  const dim3 block(static_cast<unsigned>(p.bx), static_cast<unsigned>(p.by));
  const std::size_t smem = static_cast<std::size_t>(p.smem_accs) * sizeof(Acc);
  const In* in = reinterpret_cast<const In*>(L.in);
  if (p.splits == 1) {
    EMBER_LAUNCH((reduce_kernel<Op, In>), grid, block, smem, nullptr, g, p.c, in, L.out, L.indices,
                 L.out_dtype, out_esize, static_cast<Acc*>(nullptr), op);
    return;
  }
  // Partial accumulators of every (output, split): a block of ember's caching allocator,
  // returned to it when this call ends (every op runs on the default stream, so pass 2 has
  // read it before any later kernel can reuse it).
  DeviceBuffer<Acc> workspace(g.outputs * p.splits);
  Acc* partial = workspace.get();
  EMBER_LAUNCH((reduce_kernel<Op, In>), grid, block, smem, nullptr, g, p.c, in, L.out, L.indices,
               L.out_dtype, out_esize, partial, op);
  constexpr int kOutputsPerBlock = 8;
  const int64_t groups = ceil_div(g.outputs, kOutputsPerBlock);
  const dim3 grid2(static_cast<unsigned>(std::min<int64_t>(groups, 1 << 30)));
  const dim3 block2(kWarp, kOutputsPerBlock);
  EMBER_LAUNCH((combine_kernel<Op>), grid2, block2, 0, nullptr, g, static_cast<const Acc*>(partial),
               p.splits, groups, L.out, L.indices, L.out_dtype, out_esize, op);
}

void sum_kernel(const ReduceLoop& L, const ScalarArgs& args) {
  dispatch_dtype<kAll>(
      L.in_dtype,
      [&]<typename In>() {
        SumOp<In> op;
        op.mean = args.b != 0.0;
        reduce_typed<In>(L, op);
      },
      [](DType d) { fn::unsupported_dtype(OpId::sum, "cuda", d, kAll); });
}

void prod_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ProdOp<In>{}); },
      [](DType d) { fn::unsupported_dtype(OpId::prod, "cuda", d, kAll); });
}

template <bool kMax>
void extreme_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ExtremeOp<In, kMax>{}); },
      [](DType d) { fn::unsupported_dtype(kMax ? OpId::amax : OpId::amin, "cuda", d, kAll); });
}

template <bool kAll>
void logical_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<ember::kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, LogicalOp<In, kAll>{}); },
      [](DType d) { fn::unsupported_dtype(kAll ? OpId::all : OpId::any, "cuda", d, ember::kAll); });
}

// a = correction.
void var_kernel(const ReduceLoop& L, const ScalarArgs& args) {
  dispatch_dtype<kFloat>(
      L.in_dtype,
      [&]<typename In>() {
        VarOp<In> op;
        op.correction = args.a;
        reduce_typed<In>(L, op);
      },
      [](DType d) { fn::unsupported_dtype(OpId::var, "cuda", d, kFloat); });
}

template <bool kMax>
void arg_kernel(const ReduceLoop& L, const ScalarArgs&) {
  EMBER_CHECK(L.indices != nullptr, ValueError, kMax ? "argmax" : "argmin",
              ": the cuda kernel needs an indices output; got none");
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ArgOp<In, kMax>{}); },
      [](DType d) { fn::unsupported_dtype(kMax ? OpId::argmax : OpId::argmin, "cuda", d, kAll); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, sum, &sum_kernel);
EMBER_REGISTER_KERNEL(cuda, prod, &prod_kernel);
EMBER_REGISTER_KERNEL(cuda, amax, &extreme_kernel<true>);
EMBER_REGISTER_KERNEL(cuda, amin, &extreme_kernel<false>);
EMBER_REGISTER_KERNEL(cuda, all, &logical_kernel<true>);
EMBER_REGISTER_KERNEL(cuda, any, &logical_kernel<false>);
EMBER_REGISTER_KERNEL(cuda, var, &var_kernel);
EMBER_REGISTER_KERNEL(cuda, argmax, &arg_kernel<true>);
EMBER_REGISTER_KERNEL(cuda, argmin, &arg_kernel<false>);

}  // namespace ember::cuda
