// The device-wide scan and radix sort declared in kernels/cuda/radix_sort.h (the design is
// described there).
#include "kernels/cuda/radix_sort.h"

namespace ember::cuda {
namespace {

// kernels

// partials[b] = the sum of tile b of data.
__global__ void __launch_bounds__(kScanThreads)
    scan_reduce_kernel(const int64_t* data, int64_t n, int64_t* partials) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kScanTile;
  int64_t sum = 0;
  for (int r = 0; r < kScanItems; ++r) {
    const int64_t i = base + r * kScanThreads + threadIdx.x;
    if (i < n) sum += data[i];
  }
  int64_t total = 0;
  block_exclusive_scan<kScanThreads>(sum, total);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// Exclusive scan of each tile of data in place, starting from partials[tile] (0 without them).
__global__ void __launch_bounds__(kScanThreads)
    scan_apply_kernel(int64_t* data, int64_t n, const int64_t* partials) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kScanTile;
  int64_t running = partials != nullptr ? partials[blockIdx.x] : 0;
  for (int r = 0; r < kScanItems; ++r) {
    const int64_t i = base + r * kScanThreads + threadIdx.x;
    const int64_t v = i < n ? data[i] : 0;
    int64_t total = 0;
    const int64_t before = block_exclusive_scan<kScanThreads>(v, total);
    if (i < n) data[i] = running + before;
    running += total;
  }
}

// Digit histogram of each tile: counts[d * tiles + tile].
__global__ void __launch_bounds__(kRadixThreads)
    radix_histogram_kernel(const uint64_t* keys, int64_t n, int shift, int64_t* counts,
                           int64_t tiles) {
  __shared__ unsigned hist[kRadixThreads];
  hist[threadIdx.x] = 0;
  __syncthreads();
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kRadixTile;
  for (int r = 0; r < kRadixItems; ++r) {
    const int64_t i = base + r * kRadixThreads + threadIdx.x;
    if (i < n) atomicAdd(&hist[(keys[i] >> shift) & 0xffu], 1u);
  }
  __syncthreads();
  counts[threadIdx.x * tiles + blockIdx.x] = hist[threadIdx.x];
}

// The stable scatter of one pass (see the file comment); offsets is the scanned histogram.
__global__ void __launch_bounds__(kRadixThreads)
    radix_scatter_kernel(const uint64_t* keys_in, const uint32_t* vals_in, uint64_t* keys_out,
                         uint32_t* vals_out, int64_t n, int shift, const int64_t* offsets,
                         int64_t tiles) {
  __shared__ int64_t base[kRadixThreads];
  __shared__ unsigned warp_count[kRadixWarps][kRadixThreads];
  const int t = static_cast<int>(threadIdx.x), lane = t & 31, warp = t >> 5;
  base[t] = offsets[t * tiles + blockIdx.x];
  const int64_t tile_start = static_cast<int64_t>(blockIdx.x) * kRadixTile;
  for (int r = 0; r < kRadixItems; ++r) {
    const int64_t i = tile_start + r * kRadixThreads + t;
    const bool valid = i < n;
    const uint64_t key = valid ? keys_in[i] : 0;
    const int digit = valid ? static_cast<int>((key >> shift) & 0xffu) : kRadixThreads;
    for (int w = 0; w < kRadixWarps; ++w) warp_count[w][t] = 0;
    __syncthreads();
    const unsigned peers = __match_any_sync(kFullMask, digit);
    const unsigned rank = static_cast<unsigned>(__popc(peers & ((1u << lane) - 1u)));
    if (valid && rank == 0) warp_count[warp][digit] = static_cast<unsigned>(__popc(peers));
    __syncthreads();
    unsigned chunk = 0;  // this chunk's count of digit t; warp_count becomes per-warp prefixes
    for (int w = 0; w < kRadixWarps; ++w) {
      const unsigned c = warp_count[w][t];
      warp_count[w][t] = chunk;
      chunk += c;
    }
    __syncthreads();
    if (valid) {
      const int64_t pos = base[digit] + warp_count[warp][digit] + rank;
      keys_out[pos] = key;
      vals_out[pos] = vals_in[i];
    }
    __syncthreads();
    base[t] += chunk;
  }
}

}  // namespace

// launchers

void exclusive_scan(int64_t* data, int64_t n) {
  if (n <= 0) return;
  const int64_t tiles = (n + kScanTile - 1) / kScanTile;
  if (tiles == 1) {
    EMBER_LAUNCH(scan_apply_kernel, dim3(1), dim3(kScanThreads), 0, nullptr, data, n,
                 static_cast<const int64_t*>(nullptr));
    return;
  }
  DeviceBuffer<int64_t> partials(tiles);
  EMBER_LAUNCH(scan_reduce_kernel, dim3(static_cast<unsigned>(tiles)), dim3(kScanThreads), 0,
               nullptr, static_cast<const int64_t*>(data), n, partials.get());
  exclusive_scan(partials.get(), tiles);
  EMBER_LAUNCH(scan_apply_kernel, dim3(static_cast<unsigned>(tiles)), dim3(kScanThreads), 0,
               nullptr, data, n, static_cast<const int64_t*>(partials.get()));
}

SortedPairs radix_sort_pairs(uint64_t* keys, uint32_t* vals, uint64_t* keys_alt, uint32_t* vals_alt,
                             int64_t n, int key_bits) {
  SortedPairs cur{keys, vals}, alt{keys_alt, vals_alt};
  if (n <= 1 || key_bits <= 0) return cur;
  EMBER_CHECK(n <= int64_t{UINT32_MAX}, ValueError, "radix_sort_pairs: ", n,
              " pairs; expected at most 2^32 - 1");
  const int64_t tiles = (n + kRadixTile - 1) / kRadixTile;
  DeviceBuffer<int64_t> counts(kRadixThreads * tiles);
  const dim3 grid(static_cast<unsigned>(tiles)), block(kRadixThreads);
  for (int shift = 0; shift < key_bits; shift += 8) {
    EMBER_LAUNCH(radix_histogram_kernel, grid, block, 0, nullptr,
                 static_cast<const uint64_t*>(cur.keys), n, shift, counts.get(), tiles);
    exclusive_scan(counts.get(), kRadixThreads * tiles);
    EMBER_LAUNCH(radix_scatter_kernel, grid, block, 0, nullptr,
                 static_cast<const uint64_t*>(cur.keys), static_cast<const uint32_t*>(cur.vals),
                 alt.keys, alt.vals, n, shift, static_cast<const int64_t*>(counts.get()), tiles);
    const SortedPairs done = alt;
    alt = cur;
    cur = done;
  }
  return cur;
}

}  // namespace ember::cuda
