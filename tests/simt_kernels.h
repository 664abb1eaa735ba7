// Host launchers for the SIMT emulator's test kernels (tests/simt_kernels.cu, compiled as C++
// against the emulator and by nvcc for a GPU). Pointers are device pointers.
#pragma once
#include <cstdint>

#include "kernels/cuda/device_api.h"

namespace ember::simt_test {

// Block sums of `in` by a shared-memory tree (threads: a power of two <= 1024). The racy
// variant lacks the barrier between the loads and the first tree step.
void tree_reduce(const float* in, float* block_sums, int n, int blocks, int threads, bool racy);

// Records the order in which each block's threads run, twice (before and after a
// __syncthreads()): order[(phase * blocks + b) * threads + i] is the i-th thread of block b to
// pass that point. counters must hold 2 * blocks zeros.
void record_order(int* counters, int* order, int blocks, int threads);

// Every warp primitive on one block of `block` threads; out holds kWarpSlots ints per thread,
// in one int per thread.
inline constexpr int kWarpSlots = 22;
void warp_ops(const int* in, int* out, int block_x, int block_y);

struct AtomicCounters {
  int count;
  float fsum;
  double dsum;
  unsigned long long usum;
  int imax, imin;
  unsigned umax, umin;
  int cas_sum;
  int exch;
  unsigned bits;
  int sub;
};
// Every thread of the grid updates the counters with values[i]; exch_returned[i] receives
// what its atomicExch replaced.
void atomics(const int* values, AtomicCounters* c, int* exch_returned, int blocks, int threads);

// out[b * T + t] = in[b * T + T-1-t] + 2 * in[b * T + (t+1) % T], through dynamic shared memory
// holding T floats then T doubles.
void dynamic_smem(const float* in, float* out, int blocks, int threads);
// Launches a kernel asking for `bytes` of dynamic shared memory, first raising its limit with
// cudaFuncSetAttribute when raise_limit; writes bytes / 4 floats of `in` back through it.
void big_dynamic_smem(const float* in, float* out, std::size_t bytes, bool raise_limit);

// One warp computes D (16x8 f32) = A (16x16 row-major) * B (16x8 row-major) + C with
// mma_m16n8k16, fragments loaded from global memory by the PTX ISA layout. bf16 picks the
// input type; A and B hold f16 or bf16 bits.
void mma_fragments(const uint16_t* A, const uint16_t* B, const float* C, float* D, bool bf16);
// The same product through cp.async + ldmatrix: D (16x16) = A * B with A, B 16x16 row-major
// (ldmatrix_x4, ldmatrix_x4_trans), and D8 (16x8) = A * B[:, :8] with B's first 8 columns given
// transposed in Bt (8x16, ldmatrix_x2).
void mma_ldmatrix(const uint16_t* A, const uint16_t* B, const uint16_t* Bt, float* D, float* D8,
                  bool bf16);

// cp.async semantics for one warp: before[l] is tile[4l] read before the wait (the tile was
// pre-filled with -1), after[4l..4l+3] the tile after cp_async_wait<0>, zero[4l..] a tile
// copied with pred=false, and first_group[4l..] a second tile read after cp_async_wait<1>
// (the group committed first has landed, the later one not).
void cp_async(const float* src, float* before, float* after, float* zero, float* first_group,
              float* second_group_early);

// C (MxN) = A (MxK) * B (KxN), 16x16 shared-memory tiles, one thread per output element.
void tiled_gemm(const float* A, const float* B, float* C, int M, int N, int K);
// out[0] = sum of in[0..n): a grid-stride loop, warp shuffles and a second one-block pass over
// the 256 block partials (partial must hold 256 floats).
void sum(const float* in, float* partial, float* out, int n);

// Broken kernels for deadlock detection and collective misuse.
int early_exit_barrier_line();          // the line of early_exit_kernel's __syncthreads()
void early_exit(int* out, int blocks);  // thread 0 returns before __syncthreads(); EMBER_LAUNCH
void early_exit_unnamed(int* out);      // the same through launch()
void warp_lane_exit(int* out);          // lane 5 returns before a full-mask __shfl_down_sync
void mask_without_caller(int* out);     // every lane calls __ballot_sync(0x1, ...)
void divergent_barriers(int* out);      // warps 0 and 1 wait at different __syncthreads()
void mixed_collectives(int* out);       // even lanes __ballot_sync, odd lanes __any_sync
void trap(int* out);                    // thread 3 of block 1 calls __trap()
void write_past_end(int* out, int n);   // thread 0 writes out[n]: for AddressSanitizer
void launch_with(int grid_x, int grid_y, int block_x, int block_y, int* out);  // a trivial kernel

}  // namespace ember::simt_test
