// The CUDA device language for g++: qualifiers, threadIdx & co, __syncthreads, warp
// collectives, atomics and vector types, so a .cu kernel compiles unchanged against the SIMT
// emulator. Included through kernels/cuda/runtime.h; see docs/internals/simt.md.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "kernels/simt/context.h"
#include "kernels/simt/math.h"

// --- qualifiers. __shared__ is per OS thread, and one OS thread runs one block at a time, so
// a function-scope `static thread_local` is exactly one copy per running block.
#define __global__
#define __device__
#define __host__
#define __constant__
#define __grid_constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static thread_local

// --- built-in variables, read from the running fiber's context.
#define threadIdx (::ember::simt::detail::current_thread().thread_idx)
#define blockIdx (::ember::simt::detail::current_thread().block->block_idx)
#define blockDim (::ember::simt::detail::current_thread().block->block_dim)
#define gridDim (::ember::simt::detail::current_thread().block->grid_dim)
inline constexpr int warpSize = 32;

// Dynamic shared memory (the launch's smem_bytes), 16-byte aligned, as a `T*` named `name`.
#define EMBER_DYNAMIC_SHARED(T, name) \
  T* const name = reinterpret_cast<T*>(::ember::simt::detail::current_thread().block->dynamic_smem)

// --- vector types (the alignment the CUDA headers give them).
#define EMBER_SIMT_VEC2(T, N, A)         \
  struct __attribute__((aligned(A))) N { \
    T x, y;                              \
  };                                     \
  inline N make_##N(T x, T y) { return {x, y}; }
#define EMBER_SIMT_VEC3(T, N) \
  struct N {                  \
    T x, y, z;                \
  };                          \
  inline N make_##N(T x, T y, T z) { return {x, y, z}; }
#define EMBER_SIMT_VEC4(T, N, A)         \
  struct __attribute__((aligned(A))) N { \
    T x, y, z, w;                        \
  };                                     \
  inline N make_##N(T x, T y, T z, T w) { return {x, y, z, w}; }
EMBER_SIMT_VEC2(float, float2, 8)
EMBER_SIMT_VEC3(float, float3)
EMBER_SIMT_VEC4(float, float4, 16)
EMBER_SIMT_VEC2(double, double2, 16)
EMBER_SIMT_VEC2(int, int2, 8)
EMBER_SIMT_VEC3(int, int3)
EMBER_SIMT_VEC4(int, int4, 16)
EMBER_SIMT_VEC2(unsigned, uint2, 8)
EMBER_SIMT_VEC4(unsigned, uint4, 16)
EMBER_SIMT_VEC2(short, short2, 4)
EMBER_SIMT_VEC2(unsigned short, ushort2, 4)
EMBER_SIMT_VEC4(signed char, char4, 4)
EMBER_SIMT_VEC4(unsigned char, uchar4, 4)
#undef EMBER_SIMT_VEC2
#undef EMBER_SIMT_VEC3
#undef EMBER_SIMT_VEC4
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }

// --- block barriers. The default argument records the caller's file and line for deadlock
// messages.
inline void __syncthreads(std::source_location site = std::source_location::current()) {
  ::ember::simt::detail::block_barrier(::ember::simt::detail::BarrierKind::plain, 0, site);
}
inline int __syncthreads_count(int pred,
                               std::source_location site = std::source_location::current()) {
  return ::ember::simt::detail::block_barrier(::ember::simt::detail::BarrierKind::count, pred,
                                              site);
}
inline int __syncthreads_and(int pred,
                             std::source_location site = std::source_location::current()) {
  return ::ember::simt::detail::block_barrier(::ember::simt::detail::BarrierKind::and_, pred, site);
}
inline int __syncthreads_or(int pred, std::source_location site = std::source_location::current()) {
  return ::ember::simt::detail::block_barrier(::ember::simt::detail::BarrierKind::or_, pred, site);
}

// --- warp collectives: each lane parks in its slot until every lane of `mask` arrived.
namespace ember::simt::detail {

inline ThreadContext& enter(Collective op, unsigned mask, const std::source_location& site) {
  ThreadContext& t = current_thread();
  t.op = op;
  t.mask = mask;
  t.site = site;
  return t;
}

template <typename T>
T shuffle(Collective op, unsigned mask, T var, int param, int width,
          const std::source_location& site) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "warp shuffles move values of at most 8 bytes");
  ThreadContext& t = enter(op, mask, site);
  t.param = param;
  t.width = width;
  std::memcpy(t.in, &var, sizeof(T));
  warp_collective(t);
  std::memcpy(&var, t.out, sizeof(T));
  return var;
}

inline unsigned vote(Collective op, unsigned mask, int pred, const std::source_location& site) {
  ThreadContext& t = enter(op, mask, site);
  t.param = pred != 0;
  warp_collective(t);
  return t.out[0];
}

template <typename T>
unsigned reduce(Collective op, unsigned mask, T value, const std::source_location& site) {
  ThreadContext& t = enter(op, mask, site);
  t.in[0] = static_cast<uint32_t>(value);
  t.flag = std::is_signed_v<T>;
  warp_collective(t);
  return t.out[0];
}

}  // namespace ember::simt::detail

inline void __syncwarp(unsigned mask = 0xffffffffu,
                       std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  warp_collective(enter(Collective::syncwarp, mask, site));
}

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize,
              std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return shuffle(Collective::shfl_idx, mask, var, src_lane, width, site);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                 std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return shuffle(Collective::shfl_up, mask, var, static_cast<int>(delta), width, site);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                   std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return shuffle(Collective::shfl_down, mask, var, static_cast<int>(delta), width, site);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize,
                  std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return shuffle(Collective::shfl_xor, mask, var, lane_mask, width, site);
}

inline unsigned __ballot_sync(unsigned mask, int pred,
                              std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return vote(Collective::ballot, mask, pred, site);
}
inline int __any_sync(unsigned mask, int pred,
                      std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return static_cast<int>(vote(Collective::any, mask, pred, site));
}
inline int __all_sync(unsigned mask, int pred,
                      std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  return static_cast<int>(vote(Collective::all, mask, pred, site));
}
// The lanes of the warp that have not exited: the emulator cannot see branch divergence, so
// this is wider than on a GPU inside a divergent branch (docs/internals/simt.md, limits).
inline unsigned __activemask() { return ember::simt::detail::live_lanes(); }

template <typename T>
unsigned __match_any_sync(unsigned mask, T value,
                          std::source_location site = std::source_location::current()) {
  using namespace ember::simt::detail;
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8);
  ThreadContext& t = enter(Collective::match_any, mask, site);
  t.in[0] = t.in[1] = 0;
  std::memcpy(t.in, &value, sizeof(T));
  warp_collective(t);
  return t.out[0];
}

inline unsigned __reduce_add_sync(unsigned mask, unsigned v,
                                  std::source_location site = std::source_location::current()) {
  return ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_add, mask, v, site);
}
inline int __reduce_add_sync(unsigned mask, int v,
                             std::source_location site = std::source_location::current()) {
  return static_cast<int>(
      ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_add, mask, v, site));
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned v,
                                  std::source_location site = std::source_location::current()) {
  return ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_min, mask, v, site);
}
inline int __reduce_min_sync(unsigned mask, int v,
                             std::source_location site = std::source_location::current()) {
  return static_cast<int>(
      ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_min, mask, v, site));
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned v,
                                  std::source_location site = std::source_location::current()) {
  return ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_max, mask, v, site);
}
inline int __reduce_max_sync(unsigned mask, int v,
                             std::source_location site = std::source_location::current()) {
  return static_cast<int>(
      ember::simt::detail::reduce(ember::simt::detail::Collective::reduce_max, mask, v, site));
}

// --- atomics: relaxed read-modify-writes through std::atomic_ref, as CUDA's are relaxed.
namespace ember::simt::detail {

template <typename T>
T atomic_add(T* p, T v) {
  return std::atomic_ref<T>(*p).fetch_add(v, std::memory_order_relaxed);
}
template <typename T, typename Better>
T atomic_replace_if(T* p, T v, Better better) {
  std::atomic_ref<T> ref(*p);
  T old = ref.load(std::memory_order_relaxed);
  while (better(v, old) && !ref.compare_exchange_weak(old, v, std::memory_order_relaxed)) {
  }
  return old;
}
template <typename T>
T atomic_cas(T* p, T compare, T v) {
  std::atomic_ref<T>(*p).compare_exchange_strong(compare, v, std::memory_order_relaxed);
  return compare;  // the old value, whether or not it was replaced
}

}  // namespace ember::simt::detail

#define EMBER_SIMT_ATOMICS(T)                                                     \
  inline T atomicAdd(T* p, T v) { return ember::simt::detail::atomic_add(p, v); } \
  inline T atomicExch(T* p, T v) {                                                \
    return std::atomic_ref<T>(*p).exchange(v, std::memory_order_relaxed);         \
  }                                                                               \
  inline T atomicCAS(T* p, T compare, T v) {                                      \
    return ember::simt::detail::atomic_cas(p, compare, v);                        \
  }
EMBER_SIMT_ATOMICS(int)
EMBER_SIMT_ATOMICS(unsigned)
EMBER_SIMT_ATOMICS(unsigned long long)
#undef EMBER_SIMT_ATOMICS
inline float atomicAdd(float* p, float v) { return ember::simt::detail::atomic_add(p, v); }
inline double atomicAdd(double* p, double v) { return ember::simt::detail::atomic_add(p, v); }
inline float atomicExch(float* p, float v) {
  return std::atomic_ref<float>(*p).exchange(v, std::memory_order_relaxed);
}

#define EMBER_SIMT_INT_ATOMICS(T)                                                        \
  inline T atomicSub(T* p, T v) {                                                        \
    return std::atomic_ref<T>(*p).fetch_sub(v, std::memory_order_relaxed);               \
  }                                                                                      \
  inline T atomicAnd(T* p, T v) {                                                        \
    return std::atomic_ref<T>(*p).fetch_and(v, std::memory_order_relaxed);               \
  }                                                                                      \
  inline T atomicOr(T* p, T v) {                                                         \
    return std::atomic_ref<T>(*p).fetch_or(v, std::memory_order_relaxed);                \
  }                                                                                      \
  inline T atomicXor(T* p, T v) {                                                        \
    return std::atomic_ref<T>(*p).fetch_xor(v, std::memory_order_relaxed);               \
  }                                                                                      \
  inline T atomicMax(T* p, T v) {                                                        \
    return ember::simt::detail::atomic_replace_if(p, v, [](T a, T b) { return a > b; }); \
  }                                                                                      \
  inline T atomicMin(T* p, T v) {                                                        \
    return ember::simt::detail::atomic_replace_if(p, v, [](T a, T b) { return a < b; }); \
  }
EMBER_SIMT_INT_ATOMICS(int)
EMBER_SIMT_INT_ATOMICS(unsigned)
EMBER_SIMT_INT_ATOMICS(unsigned long long)
#undef EMBER_SIMT_INT_ATOMICS

// --- memory fences, sleeping, traps, read-only loads.
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
// Fibers are cooperative: a spin-wait on another thread of the block makes progress only if
// it sleeps, so __nanosleep yields to the block's other fibers.
inline void __nanosleep(unsigned) { ember::simt::detail::yield_thread(); }
[[noreturn]] inline void __trap(std::source_location site = std::source_location::current()) {
  ember::simt::detail::kernel_fault("__trap() called", site);
}
template <typename T>
T __ldg(const T* p) {
  return *p;
}
