// ember's SIMT GEMM (CUDA cores, no tensor cores): batched C = alpha * A @ B + beta * C for
// f32 and f64, for f16/bf16 where tensor cores are unavailable (f32 accumulation, one rounding)
// and for the integer dtypes (i64 accumulation, then alpha/beta in double, as the CPU kernel).
//
// Design (the classic register-blocked SGEMM, cf. CUTLASS's SIMT path):
//  - Block tile BM x BN, K consumed BK at a time. f32/f16/bf16: 128 x 128 x 8 with 256
//    threads (8 warps as 2 x 4, warp tile 64 x 32, lanes as 8 x 4), each thread an 8 x 8
//    register micro-tile split into 2 x 2 sub-blocks of 4 x 4 spaced 32 rows / 16 columns
//    apart. f64: 128 x 64 x 8, 8 x 4 per thread. Integers: 64 x 64 x 8, 4 x 4 per thread (i64
//    accumulators). All at launch_bounds(256, 2): two blocks (16 warps) per SM, 128 registers.
//  - Shared memory holds both tiles K-major (As[k][m], Bs[k][n]) in the accumulator type, rows
//    padded by 4 elements. Per k a thread reads its A column and B row as 16-byte vectors
//    (LDS.128): in a warp 8 distinct A vectors (128 contiguous bytes) and 4 distinct B vectors,
//    the rest broadcasts, so the reads are conflict-free; 64 FMAs per 4 LDS.128.
//  - Double buffering: while tile kt is multiplied out of one smem buffer, tile kt + 1 is
//    already loaded from global memory into registers; they go to the other buffer afterwards.
//    One __syncthreads per k-tile.
//  - Global loads, chosen per operand on the host and compiled per choice (SimtLoad, a template
//    parameter, so each kernel carries only its own addressing): 16-byte vectors along K when the
//    operand is K-contiguous and aligned (stored transposed into smem; the 4-element row pad
//    makes those scalar stores conflict-free), 16-byte vectors along M/N when it is contiguous
//    that way (a transposed view: stored as vectors), else scalar loads with consecutive threads
//    along the operand's smaller stride. Every load is bounds-checked (zeros outside M/N/K), so
//    any M, N, K and any strides work; a vector straddling the edge is loaded element-wise.
//  - Epilogue in the accumulator type: alpha * acc (+ beta * C only when beta != 0: C is never
//    read otherwise), stores masked to the matrix, 16-byte vector stores when C rows are
//    contiguous and aligned.
//  - Grid: x = output tiles in grouped order (gemm_common.cuh), y = batch (strided loop past
//    65535).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "kernels/cuda/gemm_common.cuh"
#include "kernels/cuda/launch.h"
#include "kernels/dtype.h"
#include "kernels/error.h"

namespace ember::cuda::gemm {

// How a block reads an operand tile (R rows = M for A, N for B; BK along K) from global memory;
// a template parameter of the kernel, so each instantiation carries only its own addressing.
enum SimtLoad : int {
  kLoadVecK = 0,    // 16-byte vectors along K: K stride 1, aligned
  kLoadVecRow = 1,  // 16-byte vectors along M/N: row stride 1, aligned
  kLoadScalar = 2,  // scalars (any strides), consecutive threads along the smaller stride
};

template <typename T>
struct SimtTypes {
  // The accumulator, which is also the shared-memory element type.
  using Acc = std::conditional_t<is_half_v<T>, float,
                                 std::conditional_t<std::is_integral_v<T>, int64_t, T>>;
  // alpha and beta: float for f32/f16/bf16 (as the CPU's sgemm), double otherwise.
  using Scale = std::conditional_t<std::is_same_v<Acc, float>, float, double>;
};

template <typename T>
struct SimtParams : GemmOperands<T, typename SimtTypes<T>::Scale> {
  bool a_k_first = false, b_k_first = false;  // kLoadScalar: consecutive threads along K
  bool c_vec = false;  // C rows unit-stride and 16-byte aligned: vector stores
};

template <int BM_, int BN_, int BK_, int WM_, int WN_, int TM_, int TN_, int MinBlocks_>
struct SimtConfig {
  static constexpr int kBM = BM_, kBN = BN_, kBK = BK_, kWM = WM_, kWN = WN_, kTM = TM_, kTN = TN_,
                       kMinBlocks = MinBlocks_;
  static constexpr int kWarpsM = kBM / kWM, kWarpsN = kBN / kWN;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int kLanesM = kWM / kTM, kLanesN = kWN / kTN;
  static constexpr int kSubM = kTM / 4, kSubN = kTN / 4;  // 4-wide sub-blocks per thread
  static constexpr int kPad = 4;
  static constexpr int kLdA = kBM + kPad, kLdB = kBN + kPad;
  static constexpr int kSmemElems = 2 * kBK * (kLdA + kLdB);  // two buffers of each tile
  static_assert(kLanesM * kLanesN == 32, "a warp's lanes must tile the warp tile");
  static_assert(kTM % 4 == 0 && kTN % 4 == 0, "micro-tiles are made of 4 x 4 sub-blocks");
};

// f32 and f16/bf16 (f32 accumulate): 128 x 128 x 8, 8 x 8 per thread, two blocks per SM.
// f64 (registers hold half as many values): 128 x 64 x 8, 8 x 4 per thread. Integers (i64
// accumulators): 64 x 64 x 8, 4 x 4 per thread.
template <typename T>
using SimtConfigFor = std::conditional_t<
    std::is_integral_v<T>, SimtConfig<64, 64, 8, 32, 16, 4, 4, 2>,
    std::conditional_t<std::is_same_v<T, double>, SimtConfig<128, 64, 8, 64, 16, 8, 4, 2>,
                       SimtConfig<128, 128, 8, 64, 32, 8, 8, 2>>>;

// A thread's share of one operand tile (R rows x BK), staged in registers between the global
// load and the shared-memory store. Element (row, k) of the operand is x[row * rs + k * ks].
// The thread holds kSlots slots of kW elements (a 16-byte vector, or one scalar): slot s starts
// at tile position (rr0 + s * drr, kk0 + s * dkk), its elements run along K (kLoadVecK) or
// along the rows (kLoadVecRow). The global pointer of slot 0 is kept and advanced by BK
// columns per k-tile, so a load costs one add per slot, not an index computation.
template <typename T, typename S, int R, int BK, int NT, int kMode>
struct SimtLoader {
  static constexpr bool kVector = kMode != kLoadScalar;
  static constexpr int kW = kVector ? static_cast<int>(16 / sizeof(T)) : 1;
  static constexpr int kSlots = R * BK / NT / kW;
  static_assert(!kVector || std::is_same_v<T, S>, "vector loads need T == the smem type");
  static_assert(R * BK % (NT * kW) == 0 && BK % kW == 0 && R % kW == 0,
                "the tile must split evenly over the threads");
  static_assert(kMode != kLoadVecK || NT % (BK / kW) == 0, "vector slots along K");
  static_assert(kMode != kLoadVecRow || NT % (R / kW) == 0, "vector slots along the rows");

  const T* ptr;       // slot 0 of the current k-tile
  int64_t step;       // pointer distance between slots
  int64_t rows_left;  // rows - (r0 + rr0): slot s's row is inside when s * drr < rows_left
  int rr0, kk0, drr, dkk;
  S reg[kSlots * kW];

  __device__ __forceinline__ SimtLoader(const T* x, int64_t rows, int64_t rs, int64_t ks,
                                        int64_t r0, bool k_first, int tid) {
    if constexpr (kMode == kLoadVecK) {
      rr0 = tid / (BK / kW);
      kk0 = tid % (BK / kW) * kW;
      drr = NT * kW / BK;
      dkk = 0;
    } else if constexpr (kMode == kLoadVecRow) {
      rr0 = tid % (R / kW) * kW;
      kk0 = tid / (R / kW);
      drr = 0;
      dkk = NT * kW / R;
    } else {
      rr0 = k_first ? tid / BK : tid % R;
      kk0 = k_first ? tid % BK : tid / R;
      drr = k_first ? NT / BK : 0;
      dkk = k_first ? 0 : NT / R;
    }
    ptr = x + (r0 + rr0) * rs + kk0 * ks;
    step = drr * rs + dkk * ks;
    rows_left = rows - r0 - rr0;
  }

  // Loads the k-tile starting at column k0 (the pointer must be at it) and moves to the next.
  __device__ __forceinline__ void load(int64_t kext, int64_t k0, int64_t ks) {
    const int64_t k_left = kext - k0 - kk0;  // slot s's column is inside when s * dkk < k_left
#pragma unroll
    for (int sl = 0; sl < kSlots; ++sl) {
      const T* const q = ptr + sl * step;
      S* const dst = reg + sl * kW;
      const bool row_in = sl * drr < rows_left, k_in = sl * dkk < k_left;
      if constexpr (kVector) {
        // Elements available along the vector; the other dim must be inside.
        const int64_t avail = kMode == kLoadVecK ? k_left - sl * dkk : rows_left - sl * drr;
        const bool across = kMode == kLoadVecK ? row_in : k_in;
        if (across && avail >= kW) {
          const Vec16<T> w = *reinterpret_cast<const Vec16<T>*>(q);
#pragma unroll
          for (int j = 0; j < kW; ++j) dst[j] = w.v[j];
        } else {
#pragma unroll
          for (int j = 0; j < kW; ++j) dst[j] = across && j < avail ? q[j] : S(0);
        }
      } else {
        dst[0] = row_in && k_in ? static_cast<S>(*q) : S(0);
      }
    }
    ptr += BK * ks;
  }

  // Into the K-major tile s[k][row] (row length kLd).
  template <int kLd>
  __device__ __forceinline__ void store(S* s) const {
#pragma unroll
    for (int sl = 0; sl < kSlots; ++sl) {
      S* const d = s + (kk0 + sl * dkk) * kLd + rr0 + sl * drr;
      if constexpr (kMode == kLoadVecRow) {
        Vec16<S> w;
#pragma unroll
        for (int j = 0; j < kW; ++j) w.v[j] = reg[sl * kW + j];
        *reinterpret_cast<Vec16<S>*>(d) = w;
      } else {
#pragma unroll
        for (int j = 0; j < kW; ++j) d[j * kLd] = reg[sl * kW + j];
      }
    }
  }
};

// Four consecutive accumulator-type elements from shared memory, as 16-byte vector loads.
template <typename S>
__device__ __forceinline__ void load4(S* dst, const S* src) {
  constexpr int kPer = Vec16<S>::kSize;
  static_assert(kPer <= 4 && 4 % kPer == 0);
#pragma unroll
  for (int q = 0; q < 4 / kPer; ++q) {
    const Vec16<S> w = *reinterpret_cast<const Vec16<S>*>(src + q * kPer);
#pragma unroll
    for (int j = 0; j < kPer; ++j) dst[q * kPer + j] = w.v[j];
  }
}

// alpha * acc + beta * c, converted to T; the caller reads c only when beta != 0. Integers: in
// double, as the CPU kernel.
template <typename T, typename Acc, typename Scale>
__device__ __forceinline__ T simt_epilogue(Acc acc, Scale alpha, Scale beta, T c) {
  if constexpr (std::is_integral_v<T>) {
    double v = alpha * static_cast<double>(acc);
    if (beta != 0) v += beta * static_cast<double>(c);
    // Through i64, so a result outside T wraps (as the CPU's conversion does on x86) instead
    // of saturating (the GPU's direct cvt).
    return static_cast<T>(static_cast<int64_t>(v));
  } else {
    Acc v = alpha * acc;
    if (beta != 0) v += beta * static_cast<Acc>(c);
    return static_cast<T>(v);
  }
}

template <typename T, typename Cfg, int kALoad, int kBLoad>
__global__ void __launch_bounds__(Cfg::kThreads, Cfg::kMinBlocks)
    gemm_simt_kernel(const SimtParams<T> p) {
  using S = typename SimtTypes<T>::Acc;
  constexpr int kBM = Cfg::kBM, kBN = Cfg::kBN, kBK = Cfg::kBK, kTM = Cfg::kTM, kTN = Cfg::kTN;
  constexpr int kLdA = Cfg::kLdA, kLdB = Cfg::kLdB, kNT = Cfg::kThreads;
  EMBER_DYNAMIC_SHARED(S, smem);
  S* const as = smem;                   // [2][kBK][kLdA]
  S* const bs = smem + 2 * kBK * kLdA;  // [2][kBK][kLdB]

  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / 32, lane = tid % 32;
  const int warp_m = warp % Cfg::kWarpsM, warp_n = warp / Cfg::kWarpsM;
  const int lane_m = lane / Cfg::kLanesN, lane_n = lane % Cfg::kLanesN;
  // First row / column of the thread's sub-blocks within the block tile.
  const int row0 = warp_m * Cfg::kWM + lane_m * 4;
  const int col0 = warp_n * Cfg::kWN + lane_n * 4;
  constexpr int kRowStep = Cfg::kWM / Cfg::kSubM, kColStep = Cfg::kWN / Cfg::kSubN;

  const TileCoord tile = grouped_tile(static_cast<int>(blockIdx.x), p.tiles_m, p.tiles_n);
  const int64_t m0 = static_cast<int64_t>(tile.m) * kBM, n0 = static_cast<int64_t>(tile.n) * kBN;
  const int64_t k_tiles = (p.k + kBK - 1) / kBK;

  for (int64_t z = blockIdx.y; z < p.batch.count; z += gridDim.y) {
    const BatchOffsets off = batch_offsets(p.batch, z);
    SimtLoader<T, S, kBM, kBK, kNT, kALoad> la(p.a + off.a, p.m, p.a_rs, p.a_ks, m0, p.a_k_first,
                                               tid);
    SimtLoader<T, S, kBN, kBK, kNT, kBLoad> lb(p.b + off.b, p.n, p.b_rs, p.b_ks, n0, p.b_k_first,
                                               tid);

    S acc[kTM][kTN];
#pragma unroll
    for (int i = 0; i < kTM; ++i)
#pragma unroll
      for (int j = 0; j < kTN; ++j) acc[i][j] = S(0);

    if (k_tiles > 0) {
      la.load(p.k, 0, p.a_ks);
      lb.load(p.k, 0, p.b_ks);
      la.template store<kLdA>(as);
      lb.template store<kLdB>(bs);
    }
    __syncthreads();

    for (int64_t kt = 0; kt < k_tiles; ++kt) {
      const int cur = static_cast<int>(kt & 1);
      const bool more = kt + 1 < k_tiles;
      if (more) {  // in flight while this tile is multiplied
        la.load(p.k, (kt + 1) * kBK, p.a_ks);
        lb.load(p.k, (kt + 1) * kBK, p.b_ks);
      }
      const S* const at = as + cur * kBK * kLdA + row0;
      const S* const bt = bs + cur * kBK * kLdB + col0;
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        S af[kTM], bf[kTN];
#pragma unroll
        for (int h = 0; h < Cfg::kSubM; ++h) load4(af + 4 * h, at + kk * kLdA + h * kRowStep);
#pragma unroll
        for (int h = 0; h < Cfg::kSubN; ++h) load4(bf + 4 * h, bt + kk * kLdB + h * kColStep);
#pragma unroll
        for (int i = 0; i < kTM; ++i)
#pragma unroll
          for (int j = 0; j < kTN; ++j) acc[i][j] += af[i] * bf[j];
      }
      if (more) {
        la.template store<kLdA>(as + (cur ^ 1) * kBK * kLdA);
        lb.template store<kLdB>(bs + (cur ^ 1) * kBK * kLdB);
      }
      __syncthreads();
    }

    // Epilogue: sub-block (hm, hn) of the thread covers rows row0 + hm * kRowStep + 0..3 and
    // columns col0 + hn * kColStep + 0..3 of the block tile.
    T* const cbase = p.c + off.c + (m0 + row0) * p.c_rs + (n0 + col0) * p.c_cs;
    const int64_t rows_left = p.m - m0 - row0, cols_left = p.n - n0 - col0;
#pragma unroll
    for (int hm = 0; hm < Cfg::kSubM; ++hm) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int r = hm * kRowStep + i;
        if (r >= rows_left) continue;
        T* const crow = cbase + r * p.c_rs;
#pragma unroll
        for (int hn = 0; hn < Cfg::kSubN; ++hn) {
          const int cj = hn * kColStep;
          const S* const v = acc[hm * 4 + i] + hn * 4;
          T* const cp = crow + cj * p.c_cs;
          if constexpr (std::is_same_v<T, S>) {
            if (p.c_vec && cj + 4 <= cols_left) {  // c_cs == 1
              constexpr int kPer = Vec16<T>::kSize;
#pragma unroll
              for (int q = 0; q < 4 / kPer; ++q) {
                Vec16<T> w;
                if (p.beta != 0) w = *reinterpret_cast<const Vec16<T>*>(cp + q * kPer);
#pragma unroll
                for (int j = 0; j < kPer; ++j)
                  w.v[j] = simt_epilogue<T>(v[q * kPer + j], p.alpha, p.beta, w.v[j]);
                *reinterpret_cast<Vec16<T>*>(cp + q * kPer) = w;
              }
              continue;
            }
          }
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            if (cj + j < cols_left) {
              T* const e = cp + j * p.c_cs;
              *e = simt_epilogue<T>(v[j], p.alpha, p.beta, p.beta != 0 ? *e : T(0));
            }
          }
        }
      }
    }
  }
}

// --- host side

// How to read an operand whose element (row, k) is at x[row * rs + k * ks] (rows x kext):
// 16-byte vectors along a unit-stride dim when everything is aligned (f32, f64), else scalars
// with consecutive threads along the smaller stride (`k_first`).
struct SimtOperand {
  int mode;
  bool k_first;
};

template <typename T>
SimtOperand simt_operand(const void* x, int64_t rows, int64_t kext, int64_t rs, int64_t ks,
                         const int64_t* batch_strides, const GemmArgs& g) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    const auto size = static_cast<int64_t>(sizeof(T));
    if (ks == 1 && kext > 1 &&
        vector_aligned(x, size, rows, rs, batch_strides, g.batch_sizes, g.batch_ndim))
      return {kLoadVecK, false};
    if (rs == 1 && rows > 1 &&
        vector_aligned(x, size, kext, ks, batch_strides, g.batch_sizes, g.batch_ndim))
      return {kLoadVecRow, false};
  }
  return {kLoadScalar, rows == 1 || (kext > 1 && std::llabs(ks) < std::llabs(rs))};
}

template <typename T, typename Cfg, int kALoad, int kBLoad>
void launch_simt(const SimtParams<T>& p, cudaStream_t stream) {
  using S = typename SimtTypes<T>::Acc;
  const dim3 grid(static_cast<unsigned>(static_cast<int64_t>(p.tiles_m) * p.tiles_n),
                  static_cast<unsigned>(std::min<int64_t>(p.batch.count, 65535)));
  EMBER_LAUNCH((gemm_simt_kernel<T, Cfg, kALoad, kBLoad>), grid, dim3(Cfg::kThreads),
               Cfg::kSmemElems * sizeof(S), stream, p);
}

// The instantiation for B's load mode.
template <typename T, typename Cfg, int kALoad>
void launch_simt_b(const SimtParams<T>& p, int b_mode, cudaStream_t stream) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (b_mode == kLoadVecK) return launch_simt<T, Cfg, kALoad, kLoadVecK>(p, stream);
    if (b_mode == kLoadVecRow) return launch_simt<T, Cfg, kALoad, kLoadVecRow>(p, stream);
  }
  launch_simt<T, Cfg, kALoad, kLoadScalar>(p, stream);
}

// Runs the SIMT GEMM of GemmArgs g (dtype T) on `stream`.
template <typename T>
void gemm_simt(const GemmArgs& g, cudaStream_t stream) {
  using Cfg = SimtConfigFor<T>;
  using S = typename SimtTypes<T>::Acc;
  SimtParams<T> p;
  set_operands(p, g);
  if (g.m == 0 || g.n == 0 || p.batch.count == 0) return;
  const SimtOperand a = simt_operand<T>(g.a, g.m, g.k, g.rsa, g.csa, g.a_batch_strides, g);
  const SimtOperand b = simt_operand<T>(g.b, g.n, g.k, g.csb, g.rsb, g.b_batch_strides, g);
  p.a_k_first = a.k_first;
  p.b_k_first = b.k_first;
  p.c_vec =
      std::is_same_v<T, S> && g.csc == 1 &&
      vector_aligned(g.c, sizeof(T), g.m, g.rsc, g.c_batch_strides, g.batch_sizes, g.batch_ndim);
  const int64_t tiles_m = (g.m + Cfg::kBM - 1) / Cfg::kBM,
                tiles_n = (g.n + Cfg::kBN - 1) / Cfg::kBN;
  EMBER_CHECK(tiles_m * tiles_n <= 0x7fffffff, ValueError, "matmul: a ", g.m, " x ", g.n,
              " output has too many tiles for one launch; expected at most 2^31 - 1 tiles of ",
              Cfg::kBM, " x ", Cfg::kBN);
  p.tiles_m = static_cast<int>(tiles_m);
  p.tiles_n = static_cast<int>(tiles_n);
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (a.mode == kLoadVecK) return launch_simt_b<T, Cfg, kLoadVecK>(p, b.mode, stream);
    if (a.mode == kLoadVecRow) return launch_simt_b<T, Cfg, kLoadVecRow>(p, b.mode, stream);
  }
  launch_simt_b<T, Cfg, kLoadScalar>(p, b.mode, stream);
}

}  // namespace ember::cuda::gemm
