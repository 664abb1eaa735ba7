// Test kernels for the SIMT emulator, written as ordinary CUDA: the emulator build compiles this
// file as C++ (g++), the GPU build with nvcc, and tests/simt_test.cpp checks both.
#include "kernels/cuda/launch.h"
#include "kernels/cuda/mma.h"
#include "kernels/cuda/runtime.h"
#include "tests/simt_kernels.h"

namespace ember::simt_test {

using cuda::launch;

// --- reductions

__global__ void tree_reduce_kernel(const float* in, float* block_sums, int n) {
  __shared__ float s[1024];
  const int t = static_cast<int>(threadIdx.x);
  const int i = static_cast<int>(blockIdx.x * blockDim.x) + t;
  s[t] = i < n ? in[i] : 0.0f;
  __syncthreads();
  for (int h = static_cast<int>(blockDim.x) / 2; h > 0; h /= 2) {
    if (t < h) s[t] += s[t + h];
    __syncthreads();
  }
  if (t == 0) block_sums[blockIdx.x] = s[0];
}

// tree_reduce_kernel without the barrier after the loads: thread t may add s[t + h] before
// thread t + h stored it.
__global__ void racy_tree_reduce_kernel(const float* in, float* block_sums, int n) {
  __shared__ float s[1024];
  const int t = static_cast<int>(threadIdx.x);
  const int i = static_cast<int>(blockIdx.x * blockDim.x) + t;
  s[t] = i < n ? in[i] : 0.0f;
  for (int h = static_cast<int>(blockDim.x) / 2; h > 0; h /= 2) {
    if (t < h) s[t] += s[t + h];
    __syncthreads();
  }
  if (t == 0) block_sums[blockIdx.x] = s[0];
}

void tree_reduce(const float* in, float* block_sums, int n, int blocks, int threads, bool racy) {
  launch(racy ? racy_tree_reduce_kernel : tree_reduce_kernel, blocks, threads, 0, nullptr, in,
         block_sums, n);
}

__global__ void record_order_kernel(int* counters, int* order) {
  const int b = static_cast<int>(blockIdx.x), blocks = static_cast<int>(gridDim.x);
  const int t = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  order[b * threads + atomicAdd(&counters[b], 1)] = t;
  __syncthreads();
  order[(blocks + b) * threads + atomicAdd(&counters[blocks + b], 1)] = t;
}

void record_order(int* counters, int* order, int blocks, int threads) {
  launch(record_order_kernel, blocks, threads, 0, nullptr, counters, order);
}

// Sum of a warp's values, in lane 0.
__device__ __forceinline__ float warp_sum(float s) {
  for (int o = 16; o > 0; o /= 2) s += __shfl_down_sync(0xffffffffu, s, o);
  return s;
}

__global__ void sum_kernel(const float* in, float* out, int n) {
  __shared__ float warp_sums[32];
  float s = 0.0f;
  const int stride = static_cast<int>(blockDim.x * gridDim.x);
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += stride) {
    s += in[i];
  }
  s = warp_sum(s);
  const int lane = static_cast<int>(threadIdx.x) % 32, warp = static_cast<int>(threadIdx.x) / 32;
  if (lane == 0) warp_sums[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < static_cast<int>(blockDim.x) / 32 ? warp_sums[lane] : 0.0f;
    s = warp_sum(s);
    if (lane == 0) out[blockIdx.x] = s;
  }
}

void sum(const float* in, float* partial, float* out, int n) {
  launch(sum_kernel, 256, 256, 0, nullptr, in, partial, n);
  launch(sum_kernel, 1, 256, 0, nullptr, partial, out, 256);
}

// --- warp primitives

__global__ void warp_ops_kernel(const int* in, int* out) {
  __shared__ int exchange[1024];
  const int t = static_cast<int>(threadIdx.x + threadIdx.y * blockDim.x);
  const int threads = static_cast<int>(blockDim.x * blockDim.y);
  const int lane = t % 32, warp_base = t - lane;
  const int lanes = min(32, threads - warp_base);
  const unsigned full = 0xffffffffu;
  const int v = in[t];
  int* o = out + t * kWarpSlots;
  o[0] = __shfl_sync(full, v, (lane * 7 + 3) % 32);
  o[1] = __shfl_sync(full, v, lane + 1, 8);
  o[2] = __shfl_up_sync(full, v, 1);
  o[3] = __shfl_up_sync(full, v, 5, 16);
  o[4] = __shfl_down_sync(full, v, 3);
  o[5] = __shfl_down_sync(full, v, 2, 8);
  o[6] = __shfl_xor_sync(full, v, 1);
  o[7] = __shfl_xor_sync(full, v, 8, 8);
  o[8] = static_cast<int>(__ballot_sync(full, v % 3 == 0));
  o[9] = __any_sync(full, v % 7 == 0);
  o[10] = __all_sync(full, v > 0);
  o[11] = __all_sync(full, lane != 13);
  o[12] = __float_as_int(__shfl_xor_sync(full, static_cast<float>(v) * 0.5f, 4));
  o[13] = static_cast<int>(__shfl_down_sync(full, static_cast<double>(v) * 2.0, 1));
  o[14] = static_cast<int>(__shfl_up_sync(full, static_cast<unsigned>(v) + 1u, 2));
  o[15] = lane % 2 == 0 ? static_cast<int>(__ballot_sync(0x55555555u, v % 2)) : -1;
  o[16] = lane < 16 ? __shfl_down_sync(0x0000ffffu, v, 4) : -2;
  o[17] = static_cast<int>(__match_any_sync(full, v % 4));
  o[18] = __reduce_add_sync(full, v);
  o[19] = __reduce_max_sync(full, v);
  o[20] = __syncthreads_count(v % 2);
  exchange[t] = v;
  __syncwarp();
  o[21] = exchange[warp_base + (lane + 1) % lanes];
}

void warp_ops(const int* in, int* out, int block_x, int block_y) {
  launch(warp_ops_kernel, 1, dim3(block_x, block_y), 0, nullptr, in, out);
}

// --- atomics

__global__ void atomics_kernel(const int* values, AtomicCounters* c, int* exch_returned) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int v = values[i];
  atomicAdd(&c->count, 1);
  atomicAdd(&c->fsum, 1.0f);
  atomicAdd(&c->dsum, static_cast<double>(v));
  atomicAdd(&c->usum, static_cast<unsigned long long>(v) << 24);
  atomicMax(&c->imax, v);
  atomicMin(&c->imin, v);
  atomicMax(&c->umax, static_cast<unsigned>(v) * 3u);
  atomicMin(&c->umin, static_cast<unsigned>(v) + 5u);
  int old = atomicAdd(&c->cas_sum, 0), assumed;
  do {
    assumed = old;
    old = atomicCAS(&c->cas_sum, assumed, assumed + v);
  } while (assumed != old);
  exch_returned[i] = atomicExch(&c->exch, i);
  atomicOr(&c->bits, 1u << (i % 32));
  atomicSub(&c->sub, v);
}

void atomics(const int* values, AtomicCounters* c, int* exch_returned, int blocks, int threads) {
  launch(atomics_kernel, blocks, threads, 0, nullptr, values, c, exch_returned);
}

// --- dynamic shared memory

__global__ void dynamic_smem_kernel(const float* in, float* out) {
  EMBER_DYNAMIC_SHARED(float, buf);
  const int t = static_cast<int>(threadIdx.x), n = static_cast<int>(blockDim.x);
  const int base = static_cast<int>(blockIdx.x) * n;
  double* doubles = reinterpret_cast<double*>(buf + n);
  buf[t] = in[base + t];
  doubles[t] = 2.0 * in[base + t];
  __syncthreads();
  out[base + t] = buf[n - 1 - t] + static_cast<float>(doubles[(t + 1) % n]);
}

void dynamic_smem(const float* in, float* out, int blocks, int threads) {
  const std::size_t bytes = static_cast<std::size_t>(threads) * (sizeof(float) + sizeof(double));
  launch(dynamic_smem_kernel, blocks, threads, bytes, nullptr, in, out);
}

__global__ void big_dynamic_smem_kernel(const float* in, float* out, int n) {
  EMBER_DYNAMIC_SHARED(float, buf);
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) {
    buf[n - 1 - i] = in[i];
  }
  __syncthreads();
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) {
    out[i] = buf[i];
  }
}

void big_dynamic_smem(const float* in, float* out, std::size_t bytes, bool raise_limit) {
  if (raise_limit) {
    EMBER_CUDA_CHECK(cudaFuncSetAttribute(big_dynamic_smem_kernel,
                                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(bytes)));
  }
  launch(big_dynamic_smem_kernel, 1, 128, bytes, nullptr, in, out,
         static_cast<int>(bytes / sizeof(float)));
}

// --- tensor cores

__device__ __forceinline__ uint32_t pack(uint16_t lo, uint16_t hi) {
  return static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
}

template <typename T>
__global__ void mma_fragment_kernel(const uint16_t* A, const uint16_t* B, const float* C,
                                    float* D) {
  const int lane = static_cast<int>(threadIdx.x), g = lane / 4, t = lane % 4;
  const uint32_t a[4] = {pack(A[g * 16 + 2 * t], A[g * 16 + 2 * t + 1]),
                         pack(A[(g + 8) * 16 + 2 * t], A[(g + 8) * 16 + 2 * t + 1]),
                         pack(A[g * 16 + 2 * t + 8], A[g * 16 + 2 * t + 9]),
                         pack(A[(g + 8) * 16 + 2 * t + 8], A[(g + 8) * 16 + 2 * t + 9])};
  const uint32_t b[2] = {pack(B[2 * t * 8 + g], B[(2 * t + 1) * 8 + g]),
                         pack(B[(2 * t + 8) * 8 + g], B[(2 * t + 9) * 8 + g])};
  const float c[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t],
                      C[(g + 8) * 8 + 2 * t + 1]};
  float d[4];
  cuda::mma_m16n8k16<T>(d, a, b, c);
  D[g * 8 + 2 * t] = d[0];
  D[g * 8 + 2 * t + 1] = d[1];
  D[(g + 8) * 8 + 2 * t] = d[2];
  D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

void mma_fragments(const uint16_t* A, const uint16_t* B, const float* C, float* D, bool bf16) {
  if (bf16) {
    launch(mma_fragment_kernel<ember::bf16>, 1, 32, 0, nullptr, A, B, C, D);
  } else {
    launch(mma_fragment_kernel<ember::f16>, 1, 32, 0, nullptr, A, B, C, D);
  }
}

// Stores a 16x8 accumulator tile into row-major `out` (leading dimension ld) at column col0.
__device__ __forceinline__ void store_tile(float* out, int ld, int col0, const float (&d)[4]) {
  const int lane = static_cast<int>(threadIdx.x), g = lane / 4, t = lane % 4;
  out[g * ld + col0 + 2 * t] = d[0];
  out[g * ld + col0 + 2 * t + 1] = d[1];
  out[(g + 8) * ld + col0 + 2 * t] = d[2];
  out[(g + 8) * ld + col0 + 2 * t + 1] = d[3];
}

template <typename T>
__global__ void mma_ldmatrix_kernel(const uint16_t* A, const uint16_t* B, const uint16_t* Bt,
                                    float* D, float* D8) {
  __shared__ __align__(16) uint16_t As[16][16];
  __shared__ __align__(16) uint16_t Bs[16][16];
  __shared__ __align__(16) uint16_t Bts[8][16];
  const int lane = static_cast<int>(threadIdx.x);
  // 32 chunks of 16 bytes per 16x16 tile: lane l copies half l % 2 of row l / 2.
  const int r = lane / 2, c = (lane % 2) * 8;
  cuda::cp_async_16(&As[r][c], A + r * 16 + c);
  cuda::cp_async_16(&Bs[r][c], B + r * 16 + c);
  if (lane < 16) cuda::cp_async_16(&Bts[r][c], Bt + r * 16 + c);
  cuda::cp_async_commit();
  cuda::cp_async_wait<0>();
  __syncwarp();

  // Matrix i of an x4 load comes from lanes 8i..8i+7: rows (l % 8) + 8 * (i % 2), columns
  // 8 * (i / 2) -- A's four 8x8 quarters in fragment order, and B's [k][n] quarters.
  const int row = lane % 8 + 8 * ((lane / 8) % 2), col = 8 * (lane / 16);
  uint32_t a[4], b[4], bt[2];
  cuda::ldmatrix_x4(a, &As[row][col]);
  cuda::ldmatrix_x4_trans(b, &Bs[row][col]);
  cuda::ldmatrix_x2(bt, &Bts[lane % 8][8 * ((lane / 8) % 2)]);
  const uint32_t b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
  float acc0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, acc1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  float acc_t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  cuda::mma_m16n8k16<T>(acc0, a, b0, acc0);
  cuda::mma_m16n8k16<T>(acc1, a, b1, acc1);
  cuda::mma_m16n8k16<T>(acc_t, a, bt, acc_t);
  store_tile(D, 16, 0, acc0);
  store_tile(D, 16, 8, acc1);
  store_tile(D8, 8, 0, acc_t);
}

void mma_ldmatrix(const uint16_t* A, const uint16_t* B, const uint16_t* Bt, float* D, float* D8,
                  bool bf16) {
  if (bf16) {
    launch(mma_ldmatrix_kernel<ember::bf16>, 1, 32, 0, nullptr, A, B, Bt, D, D8);
  } else {
    launch(mma_ldmatrix_kernel<ember::f16>, 1, 32, 0, nullptr, A, B, Bt, D, D8);
  }
}

__global__ void cp_async_kernel(const float* src, float* before, float* after, float* zero,
                                float* first_group, float* second_group_early) {
  __shared__ __align__(16) float tile[128];
  __shared__ __align__(16) float ztile[128];
  __shared__ __align__(16) float g1[128];
  __shared__ __align__(16) float g2[128];
  const int l = static_cast<int>(threadIdx.x);
  for (int j = 0; j < 4; ++j)
    tile[4 * l + j] = ztile[4 * l + j] = g1[4 * l + j] = g2[4 * l + j] = -1.0f;
  cuda::cp_async_16(&tile[4 * l], src + 4 * l);
  cuda::cp_async_16(&ztile[4 * l], src, /*pred=*/false);
  cuda::cp_async_commit();
  before[l] = tile[4 * l];
  cuda::cp_async_wait<0>();
  cuda::cp_async_16(&g1[4 * l], src + 128 + 4 * l);
  cuda::cp_async_commit();
  cuda::cp_async_16(&g2[4 * l], src + 256 + 4 * l);
  cuda::cp_async_commit();
  cuda::cp_async_wait<1>();
  for (int j = 0; j < 4; ++j) {
    after[4 * l + j] = tile[4 * l + j];
    zero[4 * l + j] = ztile[4 * l + j];
    first_group[4 * l + j] = g1[4 * l + j];
  }
  second_group_early[l] = g2[4 * l];
  cuda::cp_async_wait_all();
}

void cp_async(const float* src, float* before, float* after, float* zero, float* first_group,
              float* second_group_early) {
  launch(cp_async_kernel, 1, 32, 0, nullptr, src, before, after, zero, first_group,
         second_group_early);
}

// --- GEMM

constexpr int kTile = 16;

__global__ void tiled_gemm_kernel(const float* A, const float* B, float* C, int M, int N, int K) {
  __shared__ float As[kTile][kTile + 1];
  __shared__ float Bs[kTile][kTile + 1];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int row = static_cast<int>(blockIdx.y) * kTile + ty;
  const int col = static_cast<int>(blockIdx.x) * kTile + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    As[ty][tx] = row < M && k0 + tx < K ? A[row * K + k0 + tx] : 0.0f;
    Bs[ty][tx] = k0 + ty < K && col < N ? B[(k0 + ty) * N + col] : 0.0f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

void tiled_gemm(const float* A, const float* B, float* C, int M, int N, int K) {
  const dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  launch(tiled_gemm_kernel, grid, dim3(kTile, kTile), 0, nullptr, A, B, C, M, N, K);
}

// --- broken kernels

static constexpr int kEarlyExitBarrierLine = __LINE__ + 3;
__global__ void early_exit_kernel(int* out) {
  if (threadIdx.x == 0) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}
int early_exit_barrier_line() { return kEarlyExitBarrierLine; }
void early_exit(int* out, int blocks) {
  EMBER_LAUNCH(early_exit_kernel, blocks, 64, 0, nullptr, out);
}
void early_exit_unnamed(int* out) { launch(early_exit_kernel, 1, 64, 0, nullptr, out); }

__global__ void warp_lane_exit_kernel(int* out) {
  if (threadIdx.x % 32 == 5) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}
void warp_lane_exit(int* out) { EMBER_LAUNCH(warp_lane_exit_kernel, 1, 64, 0, nullptr, out); }

__global__ void mask_without_caller_kernel(int* out) {
  out[threadIdx.x] = static_cast<int>(__ballot_sync(0x1u, 1));
}
void mask_without_caller(int* out) {
  EMBER_LAUNCH(mask_without_caller_kernel, 1, 32, 0, nullptr, out);
}

__global__ void divergent_barriers_kernel(int* out) {
  if (threadIdx.x < 32) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}
void divergent_barriers(int* out) {
  EMBER_LAUNCH(divergent_barriers_kernel, 1, 64, 0, nullptr, out);
}

__global__ void mixed_collectives_kernel(int* out) {
  if (threadIdx.x % 2 == 0) {
    out[threadIdx.x] = static_cast<int>(__ballot_sync(0xffffffffu, 1));
  } else {
    out[threadIdx.x] = __any_sync(0xffffffffu, 1);
  }
}
void mixed_collectives(int* out) { EMBER_LAUNCH(mixed_collectives_kernel, 1, 32, 0, nullptr, out); }

__global__ void trap_kernel(int* out) {
  if (blockIdx.x == 1 && threadIdx.x == 3) __trap();
  out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}
void trap(int* out) { EMBER_LAUNCH(trap_kernel, 2, 32, 0, nullptr, out); }

__global__ void write_past_end_kernel(int* out, int n) {
  out[threadIdx.x == 0 ? n : static_cast<int>(threadIdx.x)] = 1;
}
void write_past_end(int* out, int n) { launch(write_past_end_kernel, 1, 32, 0, nullptr, out, n); }

__global__ void write_index_kernel(int* out) {
  const int b = static_cast<int>(blockIdx.x + blockIdx.y * gridDim.x);
  const int t = static_cast<int>(threadIdx.x + threadIdx.y * blockDim.x);
  out[b * static_cast<int>(blockDim.x * blockDim.y) + t] = b * 10000 + t;
}
void launch_with(int grid_x, int grid_y, int block_x, int block_y, int* out) {
  EMBER_LAUNCH(write_index_kernel, dim3(grid_x, grid_y), dim3(block_x, block_y), 0, nullptr, out);
}

}  // namespace ember::simt_test
