// How the row-wise CUDA kernels (reduce.cu, softmax.cu, scan.cu) size their blocks and grids.
// A row of work gets bx lanes (a sub-warp up to a whole block); short rows share a block. The
// device sizes are an H100's, constants rather than queried, so the emulator runs exactly the
// GPU's partitioning (and tests the same code paths).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>

namespace ember::cuda {

inline constexpr int kWarp = 32;
inline constexpr int kMaxThreads = 512;              // a block's threads at most
inline constexpr int kTileThreads = 256;             // a block's threads when it holds several rows
inline constexpr int64_t kFillThreads = 132 * 2048;  // threads resident on an H100

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The smallest power of two >= n, capped at cap.
inline int pow2_at_least(int64_t n, int cap) {
  int p = 1;
  while (p < n && p < cap) p *= 2;
  return p;
}

// Rows of bx lanes each in one block: a kTileThreads block, or fewer rows when there are
// fewer, but at least one whole warp (the shuffles use full masks).
inline int rows_per_block(int bx, int64_t rows) {
  if (bx >= kTileThreads) return 1;
  const int full = kTileThreads / bx, warp = bx >= kWarp ? 1 : kWarp / bx;
  return std::max(warp, pow2_at_least(rows, full));
}

// A 1-d grid of `groups` blocks, capped at the x-dimension limit (kernels loop past it).
inline unsigned grid_of(int64_t groups) {
  return static_cast<unsigned>(std::min<int64_t>(groups, std::numeric_limits<int32_t>::max()));
}

}  // namespace ember::cuda
