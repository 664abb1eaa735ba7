// ember's tensor-core GEMM for f16 and bf16 (sm_80+): batched C = alpha * A @ B + beta * C
// with f32 accumulation on mma.sync.m16n8k16 (kernels/cuda/mma.h), rounded once to f16/bf16
// after alpha/beta.
//
// Design (the Ampere-style multistage GEMM, cf. CUTLASS sm80):
//  - Warp tile 64 x 64: 4 x 8 mma tiles of 16 x 8, 128 f32 accumulators per thread. Per k16
//    step a warp issues 4 ldmatrix.x4 for A, 4 for B and 32 mma: 4 KiB of shared-memory reads
//    per 128 Ki flops, which keeps the tensor cores, not shared memory, the limit.
//  - Block tiles (MmaConfig): 128 x 256 (8 warps as 2 x 4, 256 threads) for large problems,
//    128 x 128 (4 warps as 2 x 2, 128 threads) when the large tiles would not fill the SMs.
//    BK = 32, 4 stages: 24 KiB (16 KiB) of shared memory per stage, 96 KiB (64 KiB) in all.
//    About 250 registers per thread (no spills on sm_90): one large or two small blocks per SM.
//  - Pipeline: cp.async (16 bytes, .cg: L2 only) fills stage s + 3 while stage s is
//    multiplied; one commit group per stage, cp.async.wait_group(stages - 2) and one
//    __syncthreads per k-tile. Out-of-range chunks (M/N/K edges) are zero-filled by the
//    predicated cp.async, so edge tiles run the same code.
//  - Shared-memory layouts, chosen per operand at compile time, so that no operand is ever
//    copied: a K-contiguous operand (A row-major, or B = W^T of a row-major [N, K] W) is stored
//    [rows][32 k] and read with ldmatrix; an M/N-contiguous one (A^T views, B row-major) is
//    stored [32 k][rows] and read with ldmatrix.trans, which delivers the same fragments.
//    Both are XOR-swizzled in 16-byte chunks (K-major: chunk ^ (row / 2) % 4; M/N-major:
//    chunk ^ k % 8) so the 8 rows of every ldmatrix matrix, and the cp.async writes, hit 8
//    distinct bank groups: conflict-free.
//  - cp.async needs each 16-byte chunk contiguous and aligned: unit stride along the chunk,
//    the other stride, batch strides and base multiples of 8 elements, and the contiguous extent
//    a multiple of 8. An operand that fails this (any other strides, odd sizes, unaligned
//    views) is loaded by the same threads with bounds-checked scalar loads packed into 16-byte
//    shared-memory stores ("generic" fill), into the layout of its smaller stride: slower, but
//    without a temporary copy, and it keeps the pipeline's structure (the stage it fills was
//    freed by the previous barrier).
//  - Epilogue from registers: each lane owns pairs of adjacent columns, written as one 32-bit
//    store when C rows are contiguous and 4-byte aligned (a warp covers 8 rows x 32 bytes, whole
//    sectors); beta * C is read only when beta != 0.
//  - Grid: x = output tiles in grouped order (gemm_common.cuh), y = batch (strided loop).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/gemm_common.cuh"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/mma.h"
#include "kernels/error.h"
#include "kernels/half.h"

namespace ember::cuda::gemm {

template <int WarpsM, int WarpsN, int Stages>
struct MmaConfig {
  static constexpr int kWarpsM = WarpsM, kWarpsN = WarpsN, kStages = Stages;
  static constexpr int kWM = 64, kWN = 64, kBK = 32;
  static constexpr int kBM = kWarpsM * kWM, kBN = kWarpsN * kWN;
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
  static constexpr int kStageBytesA = kBM * kBK * 2, kStageBytesB = kBN * kBK * 2;
  static constexpr int kSmemBytes = kStages * (kStageBytesA + kStageBytesB);
};
using MmaSmall = MmaConfig<2, 2, 4>;  // 128 x 128, 64 KiB
using MmaLarge = MmaConfig<2, 4, 4>;  // 128 x 256, 96 KiB

template <typename T>
struct MmaParams : GemmOperands<T, float> {
  bool a_async = false, b_async = false;  // cp.async fill; else the generic fill
  bool c_pairs = false;                   // C rows unit-stride, pairs 4-byte aligned
};

// Byte offset of a 16-byte chunk in a swizzled stage tile (BK = 32 = 4 chunks of 8 along K).
// K-major [rows][4 chunks]: chunk c of row r.
__device__ __forceinline__ int kmajor_chunk(int r, int c) {
  return (r * 4 + (c ^ ((r >> 1) & 3))) * 16;
}
// M/N-major [32 k][rows / 8 chunks]: chunk c (rows 8c..8c+7) of k-row kr.
template <int kRows>
__device__ __forceinline__ int mnmajor_chunk(int kr, int c) {
  static_assert(kRows % 64 == 0, "the M/N-major swizzle needs at least 8 chunks per row");
  return (kr * (kRows / 8) + (c ^ (kr & 7))) * 16;
}

// Fills the stage tiles of one operand, k-tile after k-tile. Element (row, k) of the operand
// is x[row * rs + k * ks]. Chunk q of a tile (q = tid + i * NT) is 8 consecutive elements along
// K (K-major) or along the rows (M/N-major), so a thread's chunks are a fixed pointer step,
// and a fixed shared-memory step, apart: the filler keeps the global pointer of its chunk 0 and
// advances it by 32 columns per k-tile.
template <typename T, int R, bool kKMajor, int NT>
struct MmaFiller {
  static constexpr int kChunks = R * 32 / 8 / NT;  // per thread and tile
  static_assert(R * 32 / 8 % NT == 0, "the tile's chunks must split evenly over the threads");
  static constexpr int kDr = kKMajor ? NT / 4 : 0;      // rows between a thread's chunks
  static constexpr int kDk = kKMajor ? 0 : NT * 8 / R;  // k between a thread's chunks
  static constexpr int kSmemStep = kKMajor ? NT / 4 * 64 : NT * 16;  // bytes between them
  static_assert(kKMajor ? (NT / 4) % 8 == 0 : (NT * 8 / R) % 8 == 0,
                "chunk steps must keep the swizzle phase");

  const T* ptr;       // chunk 0 of the next k-tile
  int64_t rows_left;  // rows - (r0 + rr0): chunk i's rows are inside when i * kDr < rows_left
  int kk0, soff;      // chunk 0's column in the tile, byte offset in the stage tile

  __device__ __forceinline__ MmaFiller(const T* x, int64_t rows, int64_t rs, int64_t ks, int64_t r0,
                                       int tid) {
    int rr0;
    if constexpr (kKMajor) {
      rr0 = tid / 4;
      kk0 = tid % 4 * 8;
      soff = kmajor_chunk(rr0, tid % 4);
    } else {
      kk0 = tid / (R / 8);
      rr0 = tid % (R / 8) * 8;
      soff = mnmajor_chunk<R>(kk0, tid % (R / 8));
    }
    ptr = x + (r0 + rr0) * rs + kk0 * ks;
    rows_left = rows - r0 - rr0;
  }

  // Fills `stage` with the next k-tile, which has k_rest columns of the operand from its first
  // on. async: cp.async, zero-filling chunks outside the matrix (their source is `safe`, any
  // valid address, never read); else bounds-checked scalar loads and 16-byte stores.
  __device__ __forceinline__ void fill(unsigned char* stage, int64_t k_rest, int64_t rs, int64_t ks,
                                       bool async, const T* safe) {
    const int64_t k_left = k_rest - kk0;
    const int64_t step = kDr * rs + kDk * ks;
    if (async) {
#pragma unroll
      for (int i = 0; i < kChunks; ++i) {
        const bool ok = i * kDr < rows_left && i * kDk < k_left;
        cp_async_16(stage + soff + i * kSmemStep, ok ? ptr + i * step : safe, ok);
      }
    } else {
      const int64_t along = kKMajor ? ks : rs;  // stride between a chunk's elements
#pragma unroll 1
      for (int i = 0; i < kChunks; ++i) {
        const T* const q = ptr + i * step;
        uint32_t w[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          uint32_t pair = 0;
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int e = 2 * j + h;
            const bool ok =
                i * kDr + (kKMajor ? 0 : e) < rows_left && i * kDk + (kKMajor ? e : 0) < k_left;
            pair |= static_cast<uint32_t>(ok ? q[e * along].bits : 0) << (16 * h);
          }
          w[j] = pair;
        }
        *reinterpret_cast<uint4*>(stage + soff + i * kSmemStep) =
            make_uint4(w[0], w[1], w[2], w[3]);
      }
    }
    ptr += 32 * ks;
  }
};

// One stage (BK = 32, two k16 steps) of the warp's 64 x 64 tile.
template <typename T, typename Cfg, bool kAKMajor, bool kBKMajor>
__device__ __forceinline__ void mma_stage(const unsigned char* sa, const unsigned char* sb,
                                          float (&acc)[4][8][4], int warp_m, int warp_n, int lane) {
#pragma unroll
  for (int ks = 0; ks < 2; ++ks) {
    uint32_t af[4][4], bf[8][2];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      // Matrices 0..3 of the x4: (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15),
      // (rows 8-15, k 8-15) of the 16 x 16 A tile: a[0..3] of the mma fragment.
      const int row = warp_m * 64 + i * 16 + ((lane >> 3) & 1) * 8;
      if constexpr (kAKMajor) {
        ldmatrix_x4(af[i], sa + kmajor_chunk(row + (lane & 7), ks * 2 + (lane >> 4)));
      } else {
        ldmatrix_x4_trans(
            af[i], sa + mnmajor_chunk<Cfg::kBM>(ks * 16 + (lane >> 4) * 8 + (lane & 7), row / 8));
      }
    }
#pragma unroll
    for (int jp = 0; jp < 4; ++jp) {
      // Matrices 0..3: (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15):
      // b[0..1] of n-tile 2 jp, then of n-tile 2 jp + 1.
      const int col = warp_n * 64 + jp * 16 + (lane >> 4) * 8;
      uint32_t r[4];
      if constexpr (kBKMajor) {
        ldmatrix_x4(r, sb + kmajor_chunk(col + (lane & 7), ks * 2 + ((lane >> 3) & 1)));
      } else {
        ldmatrix_x4_trans(
            r, sb + mnmajor_chunk<Cfg::kBN>(ks * 16 + ((lane >> 3) & 1) * 8 + (lane & 7), col / 8));
      }
      bf[2 * jp][0] = r[0];
      bf[2 * jp][1] = r[1];
      bf[2 * jp + 1][0] = r[2];
      bf[2 * jp + 1][1] = r[3];
    }
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) mma_m16n8k16<T>(acc[i][j], af[i], bf[j], acc[i][j]);
  }
}

template <typename T>
__device__ __forceinline__ float mma_epilogue(float acc, float alpha, float beta, const T* c) {
  float v = alpha * acc;
  if (beta != 0.0f) v += beta * static_cast<float>(*c);
  return v;
}

template <typename T, typename Cfg, bool kAKMajor, bool kBKMajor>
__global__ void __launch_bounds__(Cfg::kThreads, 1) gemm_mma_kernel(const MmaParams<T> p) {
  constexpr int kBM = Cfg::kBM, kBN = Cfg::kBN, kBK = Cfg::kBK, kStages = Cfg::kStages;
  EMBER_DYNAMIC_SHARED(unsigned char, smem);
  unsigned char* const sa = smem;                                // [kStages][A tile]
  unsigned char* const sb = smem + kStages * Cfg::kStageBytesA;  // [kStages][B tile]

  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / 32, lane = tid % 32;
  const int warp_m = warp % Cfg::kWarpsM, warp_n = warp / Cfg::kWarpsM;
  const TileCoord tile = grouped_tile(static_cast<int>(blockIdx.x), p.tiles_m, p.tiles_n);
  const int64_t m0 = static_cast<int64_t>(tile.m) * kBM, n0 = static_cast<int64_t>(tile.n) * kBN;
  const int64_t k_tiles = (p.k + kBK - 1) / kBK;

  for (int64_t z = blockIdx.y; z < p.batch.count; z += gridDim.y) {
    const BatchOffsets off = batch_offsets(p.batch, z);
    T* const c = p.c + off.c;

    float acc[4][8][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    MmaFiller<T, kBM, kAKMajor, Cfg::kThreads> fa(p.a + off.a, p.m, p.a_rs, p.a_ks, m0, tid);
    MmaFiller<T, kBN, kBKMajor, Cfg::kThreads> fb(p.b + off.b, p.n, p.b_rs, p.b_ks, n0, tid);
    // Prologue: stages 0 .. kStages - 2 in flight, one commit group each (empty past K).
#pragma unroll
    for (int s = 0; s < kStages - 1; ++s) {
      if (s < k_tiles) {
        fa.fill(sa + s * Cfg::kStageBytesA, p.k - s * kBK, p.a_rs, p.a_ks, p.a_async, p.a);
        fb.fill(sb + s * Cfg::kStageBytesB, p.k - s * kBK, p.b_rs, p.b_ks, p.b_async, p.b);
      }
      cp_async_commit();
    }
    for (int64_t kt = 0; kt < k_tiles; ++kt) {
      cp_async_wait<kStages - 2>();  // this thread's copies of tile kt have landed
      __syncthreads();               // everyone's have; and stage (kt - 1) is free
      const int64_t next = kt + kStages - 1;
      if (next < k_tiles) {
        const int ns = static_cast<int>(next % kStages);
        fa.fill(sa + ns * Cfg::kStageBytesA, p.k - next * kBK, p.a_rs, p.a_ks, p.a_async, p.a);
        fb.fill(sb + ns * Cfg::kStageBytesB, p.k - next * kBK, p.b_rs, p.b_ks, p.b_async, p.b);
      }
      cp_async_commit();
      const int stage = static_cast<int>(kt % kStages);
      mma_stage<T, Cfg, kAKMajor, kBKMajor>(sa + stage * Cfg::kStageBytesA,
                                            sb + stage * Cfg::kStageBytesB, acc, warp_m, warp_n,
                                            lane);
    }
    cp_async_wait<0>();
    __syncthreads();  // the next batch element's prologue overwrites the stages

    // Epilogue: acc[i][j] holds rows g and g + 8 of the i-th 16-row, j-th 8-column mma tile,
    // columns 2t and 2t + 1.
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t row = m0 + warp_m * 64 + i * 16 + h * 8 + g;
        if (row >= p.m) continue;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const int64_t col = n0 + warp_n * 64 + j * 8 + 2 * t;
          T* const cp = c + row * p.c_rs + col * p.c_cs;
          const float v0 = acc[i][j][2 * h], v1 = acc[i][j][2 * h + 1];
          if (p.c_pairs && col + 1 < p.n) {
            uint32_t old = 0;
            if (p.beta != 0.0f) old = *reinterpret_cast<const uint32_t*>(cp);
            const T lo = T::from_bits(static_cast<uint16_t>(old & 0xffffu));
            const T hi = T::from_bits(static_cast<uint16_t>(old >> 16));
            const T r0(mma_epilogue(v0, p.alpha, p.beta, &lo));
            const T r1(mma_epilogue(v1, p.alpha, p.beta, &hi));
            *reinterpret_cast<uint32_t*>(cp) =
                static_cast<uint32_t>(r0.bits) | static_cast<uint32_t>(r1.bits) << 16;
          } else {
            if (col < p.n) *cp = T(mma_epilogue(v0, p.alpha, p.beta, cp));
            if (col + 1 < p.n) {
              T* const cp1 = cp + p.c_cs;
              *cp1 = T(mma_epilogue(v1, p.alpha, p.beta, cp1));
            }
          }
        }
      }
    }
  }
}

// --- host side

template <typename T, typename Cfg, bool kAKMajor, bool kBKMajor>
void launch_mma(const MmaParams<T>& p, int device, cudaStream_t stream) {
  // The dynamic shared-memory limit (above the default 48 KiB), set once per device.
  static std::atomic<uint64_t> smem_set{0};
  const uint64_t bit = uint64_t{1} << (device & 63);
  if ((smem_set.load(std::memory_order_acquire) & bit) == 0) {
    EMBER_CUDA_CHECK(cudaFuncSetAttribute(&gemm_mma_kernel<T, Cfg, kAKMajor, kBKMajor>,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          Cfg::kSmemBytes));
    smem_set.fetch_or(bit, std::memory_order_acq_rel);
  }
  const dim3 grid(static_cast<unsigned>(static_cast<int64_t>(p.tiles_m) * p.tiles_n),
                  static_cast<unsigned>(std::min<int64_t>(p.batch.count, 65535)));
  EMBER_LAUNCH((gemm_mma_kernel<T, Cfg, kAKMajor, kBKMajor>), grid, dim3(Cfg::kThreads),
               Cfg::kSmemBytes, stream, p);
}

// Whether an operand (rows x kext, element (row, k) at x[row * rs + k * ks]) can be filled by
// cp.async in the K-major layout (k_major) or the row-major one.
inline bool mma_async_ok(bool k_major, const void* x, int64_t rows, int64_t kext, int64_t rs,
                         int64_t ks, const int64_t* batch_strides, const GemmArgs& g) {
  if (k_major) {
    return ks == 1 && kext % 8 == 0 &&
           vector_aligned(x, 2, rows, rs, batch_strides, g.batch_sizes, g.batch_ndim);
  }
  return rs == 1 && rows % 8 == 0 &&
         vector_aligned(x, 2, kext, ks, batch_strides, g.batch_sizes, g.batch_ndim);
}

// The layout and fill of one operand: cp.async in whichever layout allows it (prefer_k_major
// first), else the generic fill in the layout of the smaller stride.
struct MmaOperand {
  bool k_major, async;
};
inline MmaOperand mma_operand(bool prefer_k_major, const void* x, int64_t rows, int64_t kext,
                              int64_t rs, int64_t ks, const int64_t* batch_strides,
                              const GemmArgs& g) {
  for (bool km : {prefer_k_major, !prefer_k_major})
    if (mma_async_ok(km, x, rows, kext, rs, ks, batch_strides, g)) return {km, true};
  const bool k_major = rows == 1 || (kext > 1 && std::llabs(ks) <= std::llabs(rs));
  return {k_major, false};
}

enum class MmaTile { kAuto, kSmall, kLarge };

// Runs the tensor-core GEMM of GemmArgs g (T = f16 or bf16) on `stream`. kAuto takes the
// 128 x 256 tiles when they make at least one full wave over the device's `sms` SMs.
template <typename T>
void gemm_mma(const GemmArgs& g, MmaTile tile, int sms, int device, cudaStream_t stream) {
  MmaParams<T> p;
  set_operands(p, g);
  if (g.m == 0 || g.n == 0 || p.batch.count == 0) return;
  const MmaOperand a = mma_operand(true, g.a, g.m, g.k, g.rsa, g.csa, g.a_batch_strides, g);
  const MmaOperand b = mma_operand(false, g.b, g.n, g.k, g.csb, g.rsb, g.b_batch_strides, g);
  p.a_async = a.async;
  p.b_async = b.async;
  p.c_pairs =
      g.csc == 1 && (g.m == 1 || g.rsc % 2 == 0) && reinterpret_cast<uintptr_t>(g.c) % 4 == 0;
  for (int d = 0; d < g.batch_ndim; ++d)
    if (g.batch_sizes[d] > 1 && g.c_batch_strides[d] % 2 != 0) p.c_pairs = false;

  auto tiles = [&](int bm, int bn) { return ((g.m + bm - 1) / bm) * ((g.n + bn - 1) / bn); };
  if (tile == MmaTile::kAuto) {
    const int64_t large = tiles(MmaLarge::kBM, MmaLarge::kBN) * p.batch.count;
    tile = large >= sms ? MmaTile::kLarge : MmaTile::kSmall;
  }
  const int64_t bm = tile == MmaTile::kLarge ? MmaLarge::kBM : MmaSmall::kBM;
  const int64_t bn = tile == MmaTile::kLarge ? MmaLarge::kBN : MmaSmall::kBN;
  EMBER_CHECK(tiles(bm, bn) <= 0x7fffffff, ValueError, "matmul: a ", g.m, " x ", g.n,
              " output has too many tiles for one launch; expected at most 2^31 - 1 tiles of ", bm,
              " x ", bn);
  p.tiles_m = static_cast<int>((g.m + bm - 1) / bm);
  p.tiles_n = static_cast<int>((g.n + bn - 1) / bn);

  auto run = [&]<typename Cfg>() {
    if (a.k_major && b.k_major) launch_mma<T, Cfg, true, true>(p, device, stream);
    if (a.k_major && !b.k_major) launch_mma<T, Cfg, true, false>(p, device, stream);
    if (!a.k_major && b.k_major) launch_mma<T, Cfg, false, true>(p, device, stream);
    if (!a.k_major && !b.k_major) launch_mma<T, Cfg, false, false>(p, device, stream);
  };
  if (tile == MmaTile::kLarge) {
    run.template operator()<MmaLarge>();
  } else {
    run.template operator()<MmaSmall>();
  }
}

}  // namespace ember::cuda::gemm
