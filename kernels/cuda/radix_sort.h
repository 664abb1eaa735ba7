// Device-wide building blocks of the CUDA index and sort kernels (kernels/cuda/index.cu,
// sort.cu): a block-wide scan, an exclusive scan of int64 counts and a stable
// LSD radix sort of (uint64 key, uint32 value) pairs.
//
// Design.
//  - exclusive_scan(data, n) runs in place in three phases: each block of kScanThreads reduces
//    a tile of kScanTile elements to one partial, the partials are scanned by the same routine
//    (recursively: one level covers 2048 tiles, i.e. 4M elements), and a last kernel scans each
//    tile again starting from its partial. Integer sums: the same bits under any schedule.
//  - radix_sort_pairs sorts by the low `key_bits` bits of the key, 8-bit digits, least
//    significant first; keys and values ping-pong between two buffer pairs. A pass is
//    (1) a digit histogram per tile of kRadixTile elements (shared-memory integer atomics),
//        stored digit-major [256][tiles];
//    (2) an exclusive scan of that array: entry (d, t) becomes the output position of tile t's
//        first element with digit d;
//    (3) a scatter: each tile walks its elements 256 at a time; a warp finds the lanes with
//        its digit by __match_any_sync, an element's rank is the number of such lanes below it,
//        and per-warp digit counts are prefix-summed over the warps in shared memory. Every
//        element thus lands after all earlier elements of its digit: the pass is stable, which
//        makes the LSD sort correct and its result independent of the schedule.
//    Tiles are read coalesced; the scatter writes runs of equal digits. Values are uint32, so a
//    sort holds at most 2^32 - 1 pairs (callers check).
#pragma once
#include <cstdint>

#include "kernels/cuda/device_api.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/workspace.h"
#include "kernels/error.h"

namespace ember::cuda {

inline constexpr unsigned kFullMask = 0xffffffffu;
inline constexpr int kScanThreads = 256;
inline constexpr int kScanItems = 8;
inline constexpr int64_t kScanTile = int64_t{kScanThreads} * kScanItems;
inline constexpr int kRadixThreads = 256;  // one thread per digit value
inline constexpr int kRadixItems = 8;
inline constexpr int64_t kRadixTile = int64_t{kRadixThreads} * kRadixItems;
inline constexpr int kRadixWarps = kRadixThreads / 32;

// Blocks for a grid-stride loop over n elements with `threads` per block.
inline unsigned blocks_for(int64_t n, int threads, int64_t max_blocks = 4096) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b < max_blocks ? b : max_blocks);
}

// Bits needed to write x >= 0 (0 for 0).
inline int bits_for(uint64_t x) {
  int b = 0;
  while (x != 0) {
    ++b;
    x >>= 1;
  }
  return b;
}

// kernels

// The exclusive prefix sum of v over the block (blockDim.x == kThreads, a multiple of 32);
// `total` receives the block's sum. Every thread of the block must call it (it synchronizes).
template <int kThreads>
__device__ int64_t block_exclusive_scan(int64_t v, int64_t& total) {
  constexpr int kWarps = kThreads / 32;
  __shared__ int64_t warp_sums[kWarps];
  const int lane = static_cast<int>(threadIdx.x) & 31, warp = static_cast<int>(threadIdx.x) >> 5;
  int64_t x = v;
  for (int o = 1; o < 32; o <<= 1) {
    const int64_t y = __shfl_up_sync(kFullMask, x, o);
    if (lane >= o) x += y;
  }
  if (lane == 31) warp_sums[warp] = x;
  __syncthreads();
  if (warp == 0) {
    int64_t s = lane < kWarps ? warp_sums[lane] : 0;
    for (int o = 1; o < kWarps; o <<= 1) {
      const int64_t y = __shfl_up_sync(kFullMask, s, o);
      if (lane >= o) s += y;
    }
    if (lane < kWarps) warp_sums[lane] = s;
  }
  __syncthreads();
  const int64_t before = warp > 0 ? warp_sums[warp - 1] : 0;
  total = warp_sums[kWarps - 1];
  __syncthreads();  // warp_sums is free again for the next call
  return before + x - v;
}

// launchers (kernels/cuda/radix_sort.cu)

// Exclusive prefix sum of data[0, n) in place.
void exclusive_scan(int64_t* data, int64_t n);

// The sorted pairs: one of the two buffer pairs handed to radix_sort_pairs.
struct SortedPairs {
  uint64_t* keys;
  uint32_t* vals;
};

// Stable sort of n pairs by the low key_bits bits of their keys; (keys, vals) hold the input,
// (keys_alt, vals_alt) room for n more. Returns whichever pair holds the result.
SortedPairs radix_sort_pairs(uint64_t* keys, uint32_t* vals, uint64_t* keys_alt, uint32_t* vals_alt,
                             int64_t n, int key_bits);

}  // namespace ember::cuda
