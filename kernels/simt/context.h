// What the SIMT emulator knows about the CUDA thread running on this OS thread: its
// coordinates (read by threadIdx/blockIdx/...), its block, and the slot through which warp
// collectives and barriers exchange values. Filled by kernels/simt/engine.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <vector>

// CUDA's coordinate types, at global scope as in the CUDA runtime headers.
struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}  // NOLINT: implicit as in CUDA
  constexpr operator uint3() const { return {x, y, z}; }
};

namespace ember::simt::detail {

enum class State : uint8_t { ready, at_barrier, at_warp_op, exited };

// The warp collectives. Every lane of a group must call the same one (syncwarp excepted:
// lanes may meet at different __syncwarp() calls, as on sm_70+).
enum class Collective : uint8_t {
  syncwarp,
  shfl_idx,
  shfl_up,
  shfl_down,
  shfl_xor,
  ballot,
  any,
  all,
  match_any,
  reduce_add,
  reduce_min,
  reduce_max,
  mma_f16,
  mma_bf16,
  ldmatrix,
};

enum class BarrierKind : uint8_t { plain, count, and_, or_ };

// One asynchronous 16-byte copy (cp.async) not yet waited for.
struct PendingCopy {
  void* dst;
  const void* src;
  bool zero_fill;
};

struct BlockContext;

struct ThreadContext {
  uint3 thread_idx{};
  unsigned linear = 0;  // x + y * blockDim.x + z * blockDim.x * blockDim.y
  unsigned warp = 0, lane = 0;
  BlockContext* block = nullptr;
  State state = State::ready;

  // The barrier or collective this thread waits at, and what it brought.
  Collective op = Collective::syncwarp;
  BarrierKind barrier = BarrierKind::plain;
  std::source_location site;
  unsigned mask = 0;
  int param = 0;  // source lane / delta / lane mask, ldmatrix count, or barrier predicate
  int width = 32;
  bool flag = false;  // signedness of reduce_*, transpose of ldmatrix
  uint32_t in[10] = {};
  uint32_t out[4] = {};

  // cp.async copies issued and not yet waited for; group_ends[i] is the size of `pending`
  // when group i was committed.
  std::vector<PendingCopy> pending;
  std::vector<std::size_t> group_ends;
};

struct BlockContext {
  uint3 block_idx{};
  dim3 block_dim, grid_dim;
  std::byte* dynamic_smem = nullptr;
};

// The CUDA thread this OS thread is running; null outside a kernel.
extern constinit thread_local ThreadContext* tl_thread;

inline ThreadContext& current_thread() { return *tl_thread; }

// Park the calling fiber until the block barrier / the warp collective completes (engine.cpp).
// block_barrier returns the barrier's reduction (__syncthreads_count/_and/_or).
int block_barrier(BarrierKind kind, int predicate, const std::source_location& site);
void warp_collective(ThreadContext& t);
// Lets the other fibers of the block run (__nanosleep): spin-waits then make progress.
void yield_thread();
// The lanes of the calling thread's warp that have not exited (__activemask).
unsigned live_lanes();
// Throws the error that aborts the launch, naming the calling thread.
[[noreturn]] void kernel_fault(const char* what, const std::source_location& site);

}  // namespace ember::simt::detail
