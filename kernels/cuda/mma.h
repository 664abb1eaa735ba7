// Tensor-core building blocks for sm_80+ kernels: mma_m16n8k16 (f16 or bf16 inputs, f32
// accumulate), ldmatrix and cp.async. Under nvcc they are inline PTX; in the SIMT emulator they
// are warp collectives that implement the PTX ISA's register-fragment layouts
// (kernels/simt/engine.cpp), so a kernel written against the real layout gives the same result
// in both builds. Layouts (g = lane / 4, t = lane % 4; a register's low half holds the lower
// column/row index):
//   A 16x16 row-major, 4 regs: A[g][2t..], A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..]
//   B 16x8 "col" (k-major pairs), 2 regs: B[2t..2t+1][g], B[2t+8..2t+9][g]
//   C, D 16x8 f32, 4 floats: C[g][2t], C[g][2t+1], C[g+8][2t], C[g+8][2t+1]
#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/runtime.h"
#include "kernels/half.h"

#if defined(__CUDACC__)
#define EMBER_SIMT_SITE
#else
#include <cstring>
#define EMBER_SIMT_SITE , std::source_location site = std::source_location::current()
#endif

namespace ember::cuda {

// d = a * b + c for one warp (all 32 lanes must call it). T is ember::f16 or ember::bf16.
template <typename T>
__device__ __forceinline__ void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4],
                                             const uint32_t (&b)[2],
                                             const float (&c)[4] EMBER_SIMT_SITE) {
  static_assert(std::is_same_v<T, ember::f16> || std::is_same_v<T, ember::bf16>,
                "mma_m16n8k16: T must be ember::f16 or ember::bf16");
#if defined(__CUDACC__)
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if constexpr (std::is_same_v<T, ember::f16>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%10,%11,%12,%13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
          "f"(c[2]), "f"(c[3]));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%10,%11,%12,%13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]),
          "f"(c[2]), "f"(c[3]));
  }
#else
  __trap();  // sm_80+ only: callers check the device's compute capability first
#endif
#else
  using namespace ember::simt::detail;
  ThreadContext& th =
      enter(std::is_same_v<T, ember::bf16> ? Collective::mma_bf16 : Collective::mma_f16, ~0u, site);
  std::memcpy(th.in, a, 16);
  std::memcpy(th.in + 4, b, 8);
  std::memcpy(th.in + 6, c, 16);
  warp_collective(th);
  std::memcpy(d, th.out, 16);
#endif
}

#if !defined(__CUDACC__)
namespace detail {
template <int N>
void ldmatrix(uint32_t* r, const void* row, bool trans, const std::source_location& site) {
  using namespace ember::simt::detail;
  ThreadContext& th = enter(Collective::ldmatrix, ~0u, site);
  std::memcpy(th.in, &row, sizeof row);
  th.param = N;
  th.flag = trans;
  warp_collective(th);
  std::memcpy(r, th.out, 4 * N);
}
}  // namespace detail
#endif

// ldmatrix.sync.aligned.m8n8.x{4,2}[.trans].shared.b16 (all 32 lanes call it): lanes 8i..8i+7
// pass the 16-byte-aligned shared-memory addresses of rows 0..7 of matrix i; r[i] receives
// matrix i's row lane/4, columns 2(lane%4)..+1 (.trans: rows 2(lane%4)..+1 of column lane/4).
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4],
                                            const void* smem_row EMBER_SIMT_SITE) {
#if defined(__CUDACC__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(static_cast<unsigned>(__cvta_generic_to_shared(smem_row))));
#else
  detail::ldmatrix<4>(r, smem_row, false, site);
#endif
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4],
                                                  const void* smem_row EMBER_SIMT_SITE) {
#if defined(__CUDACC__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(static_cast<unsigned>(__cvta_generic_to_shared(smem_row))));
#else
  detail::ldmatrix<4>(r, smem_row, true, site);
#endif
}

__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2],
                                            const void* smem_row EMBER_SIMT_SITE) {
#if defined(__CUDACC__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(static_cast<unsigned>(__cvta_generic_to_shared(smem_row))));
#else
  detail::ldmatrix<2>(r, smem_row, false, site);
#endif
}
__device__ __forceinline__ void ldmatrix_x2_trans(uint32_t (&r)[2],
                                                  const void* smem_row EMBER_SIMT_SITE) {
#if defined(__CUDACC__)
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(static_cast<unsigned>(__cvta_generic_to_shared(smem_row))));
#else
  detail::ldmatrix<2>(r, smem_row, true, site);
#endif
}

// cp.async.cg.shared.global, 16 bytes (both addresses 16-byte aligned). With pred false the
// destination is zero-filled and nothing is read (bounds handling). The copy lands only after
// cp_async_commit() and a cp_async_wait<N>() that covers its group; the emulator performs it
// at that wait, so a kernel reading the tile before its wait reads stale data, as on a GPU.
__device__ __forceinline__ void cp_async_16(void* smem_dst, const void* gmem_src,
                                            bool pred = true) {
#if defined(__CUDACC__)
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(
                   static_cast<unsigned>(__cvta_generic_to_shared(smem_dst))),
               "l"(gmem_src), "r"(pred ? 16 : 0));
#else
  ember::simt::detail::current_thread().pending.push_back({smem_dst, gmem_src, !pred});
#endif
}

// Closes the group of cp_async_16 calls issued since the previous commit.
__device__ __forceinline__ void cp_async_commit() {
#if defined(__CUDACC__)
  asm volatile("cp.async.commit_group;\n" ::);
#else
  auto& th = ember::simt::detail::current_thread();
  th.group_ends.push_back(th.pending.size());
#endif
}

#if !defined(__CUDACC__)
namespace detail {
// Performs the copies of all committed groups but the newest `keep`.
inline void cp_async_complete(ember::simt::detail::ThreadContext& th, std::size_t keep) {
  if (th.group_ends.size() <= keep) return;
  const std::size_t groups = th.group_ends.size() - keep;
  const std::size_t copies = th.group_ends[groups - 1];
  for (std::size_t i = 0; i < copies; ++i) {
    const ember::simt::detail::PendingCopy& c = th.pending[i];
    if (c.zero_fill) {
      std::memset(c.dst, 0, 16);
    } else {
      std::memcpy(c.dst, c.src, 16);
    }
  }
  th.pending.erase(th.pending.begin(), th.pending.begin() + static_cast<std::ptrdiff_t>(copies));
  th.group_ends.erase(th.group_ends.begin(),
                      th.group_ends.begin() + static_cast<std::ptrdiff_t>(groups));
  for (std::size_t& e : th.group_ends) e -= copies;
}
}  // namespace detail
#endif

// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  static_assert(N >= 0 && N <= 7, "cp_async_wait<N>: N must be in [0, 7]");
#if defined(__CUDACC__)
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#else
  detail::cp_async_complete(ember::simt::detail::current_thread(), N);
#endif
}

// Commits the open group and waits for every copy this thread issued.
__device__ __forceinline__ void cp_async_wait_all() {
#if defined(__CUDACC__)
  asm volatile("cp.async.wait_all;\n" ::);
#else
  cp_async_commit();
  detail::cp_async_complete(ember::simt::detail::current_thread(), 0);
#endif
}

}  // namespace ember::cuda

#undef EMBER_SIMT_SITE
