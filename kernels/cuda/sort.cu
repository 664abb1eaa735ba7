// CUDA sorting kernels: sort and topk along the last dim of a contiguous [rows, len] input
// (SortArgs) and unique over a flat input (UniqueArgs), with the results of
// kernels/cpu/sort.cpp: stable, NaN largest, ties by index.
//
// Design. Every element becomes the CPU's unsigned key (floats: sign-flipped bits, -0 equal to
// +0, every NaN the largest key; signed integers: sign bit flipped; descending: complemented),
// paired with its index in the row. Comparing (key, index) is a total order with no ties, so
// any correct sorting network gives the stable order, identical on every schedule; topk is the
// first k of that order (the CPU's order and tie rule: the lower index wins).
//  - Rows of at most kTileElems elements: a bitonic sort in shared memory. A block sorts a
//    tile of kTileElems words holding tile/P rows of P = next power of two >= len (padded with
//    the largest word); the bitonic network with sizes up to P sorts every P-segment at once,
//    the last merge stage forced ascending. Words are (key << 32 | index) for 32-bit keys and
//    (key, index) pairs for f64/i64. Short rows share a block, so a [1e6, 8] sort launches
//    1e6 / 256 blocks, not 1e6.
//  - Longer rows: the stable LSD radix sort of kernels/cuda/radix_sort.h over all rows at
//    once. 32-bit keys sort as (row << 32 | key) with the index in the row as the value;
//    64-bit keys sort by key with the flat position as value, then stably by row (the row is
//    position / len), so each row ends up in key order in place.
//  Values are read back from the input at the sorted indices, so -0 and NaN payloads are kept.
// unique = sort (ascending) + group heads (a key differs from its predecessor's, and every NaN
// starts a group of its own, as on the CPU) + an exclusive scan of the heads (group ids) + a
// write pass: values and group starts at the heads, inverse at every element; counts are the
// differences of consecutive starts. The number of groups is read back to return it.
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cuda/device_api.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/radix_sort.h"
#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/kernel_args.h"
#include "kernels/registry.h"
#include "kernels/sort_keys.h"

namespace ember::cuda {
namespace {

constexpr int kTileElems = 2048;  // shared-memory sort: 16 KiB (32-bit keys) or 32 KiB
constexpr int kSortThreads = 256;

// --- keys ---------------------------------------------------------------------------------

// Shared-memory words: key and index in one comparable unit.
struct PackedWord {  // 32-bit keys: key << 32 | index
  using Word = uint64_t;
  __device__ static Word make(uint64_t key, uint32_t index) { return key << 32 | index; }
  __device__ static Word pad() { return ~uint64_t{0}; }
  __device__ static bool less(Word a, Word b) { return a < b; }
  __device__ static uint32_t index(Word w) { return static_cast<uint32_t>(w); }
};
struct KeyIndex {
  uint64_t key;
  uint64_t index;
};
struct PairWord {  // 64-bit keys
  using Word = KeyIndex;
  __device__ static Word make(uint64_t key, uint32_t index) { return {key, index}; }
  __device__ static Word pad() { return {~uint64_t{0}, ~uint64_t{0}}; }
  __device__ static bool less(const Word& a, const Word& b) {
    return a.key < b.key || (a.key == b.key && a.index < b.index);
  }
  __device__ static uint32_t index(const Word& w) { return static_cast<uint32_t>(w.index); }
};
template <typename T>
using WordOf = std::conditional_t<sizeof(typename SortKey<T>::U) == 4, PackedWord, PairWord>;

// kernels

// Sorts rows_per_block rows of length len (padded to 1 << log_p) per block in shared memory
// and writes the first k of each.
template <typename T, typename W>
__global__ void __launch_bounds__(kSortThreads)
    sort_tile_kernel(const T* in, int64_t rows, int64_t len, int64_t k, int log_p,
                     int rows_per_block, bool descending, T* values, int64_t* indices) {
  using Word = typename W::Word;
  using U = typename SortKey<T>::U;
  EMBER_DYNAMIC_SHARED(Word, tile);
  const int p = 1 << log_p, n = p * rows_per_block;
  const U flip = descending ? ~U{0} : U{0};
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * rows_per_block;
  for (int e = static_cast<int>(threadIdx.x); e < n; e += blockDim.x) {
    const int64_t row = row0 + (e >> log_p);
    const int c = e & (p - 1);
    tile[e] = row < rows && c < len
                  ? W::make(static_cast<uint64_t>(SortKey<T>::of(in[row * len + c]) ^ flip),
                            static_cast<uint32_t>(c))
                  : W::pad();
  }
  __syncthreads();
  for (int size = 2; size <= p; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int q = static_cast<int>(threadIdx.x); q < n / 2; q += blockDim.x) {
        const int i = 2 * q - (q & (stride - 1));  // q with a zero bit inserted at `stride`
        const int j = i + stride;
        const bool ascending = size == p || (i & size) == 0;
        const Word a = tile[i], b = tile[j];
        if (W::less(b, a) == ascending) {
          tile[i] = b;
          tile[j] = a;
        }
      }
      __syncthreads();
    }
  }
  for (int e = static_cast<int>(threadIdx.x); e < n; e += blockDim.x) {
    const int64_t row = row0 + (e >> log_p);
    const int c = e & (p - 1);
    if (row < rows && c < k) {
      const int64_t i = W::index(tile[e]);
      values[row * k + c] = in[row * len + i];
      indices[row * k + c] = i;
    }
  }
}

// Radix path: the keys and values to sort (see the file comment).
template <typename T>
__global__ void __launch_bounds__(kSortThreads)
    make_keys_kernel(const T* in, int64_t n, int64_t len, bool descending, uint64_t* keys,
                     uint32_t* vals) {
  using U = typename SortKey<T>::U;
  const U flip = descending ? ~U{0} : U{0};
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const auto key = static_cast<uint64_t>(SortKey<T>::of(in[e]) ^ flip);
    if constexpr (sizeof(U) == 4) {
      const int64_t row = e / len;
      keys[e] = static_cast<uint64_t>(row) << 32 | key;
      vals[e] = static_cast<uint32_t>(e - row * len);
    } else {
      keys[e] = key;
      vals[e] = static_cast<uint32_t>(e);
    }
  }
}

// 64-bit keys, second phase: the key becomes the row of the element.
__global__ void __launch_bounds__(kSortThreads)
    row_keys_kernel(const uint32_t* vals, int64_t n, int64_t len, uint64_t* keys) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step)
    keys[j] = static_cast<uint64_t>(vals[j]) / static_cast<uint64_t>(len);
}

// Sorted position j holds element (j / len, val) (flat: val - row * len); writes the first k.
template <typename T>
__global__ void __launch_bounds__(kSortThreads)
    write_sorted_kernel(const T* in, const uint32_t* vals, int64_t n, int64_t len, int64_t k,
                        bool flat_vals, T* values, int64_t* indices) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step) {
    const int64_t row = j / len, c = j - row * len;
    if (c >= k) continue;
    const int64_t i = static_cast<int64_t>(vals[j]) - (flat_vals ? row * len : 0);
    values[row * k + c] = in[row * len + i];
    indices[row * k + c] = i;
  }
}

// heads[j] = 1 where sorted element j starts a group of equal values; heads[n] = 0.
template <typename T>
__global__ void __launch_bounds__(kSortThreads)
    unique_heads_kernel(const T* sorted, int64_t n, int64_t* heads) {
  using U = typename SortKey<T>::U;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j <= n; j += step) {
    if (j == n) {
      heads[j] = 0;
      continue;
    }
    const U key = SortKey<T>::of(sorted[j]);
    const bool is_nan = is_float_v<T> && key == ~U{0};
    heads[j] = j == 0 || is_nan || key != SortKey<T>::of(sorted[j - 1]) ? 1 : 0;
  }
}

// With group ids scanned (ids[j] = heads before j): values and starts at heads, inverse.
template <typename T>
__global__ void __launch_bounds__(kSortThreads)
    unique_write_kernel(const T* sorted, const int64_t* order, const int64_t* ids, int64_t n,
                        T* values, int64_t* starts, int64_t* inverse) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step) {
    const int64_t head = ids[j + 1] - ids[j];
    const int64_t group = ids[j] + head - 1;
    if (head != 0) {
      values[group] = sorted[j];
      starts[group] = j;
    }
    if (inverse != nullptr) inverse[order[j]] = group;
  }
}

__global__ void __launch_bounds__(kSortThreads)
    unique_counts_kernel(const int64_t* starts, int64_t groups, int64_t n, int64_t* counts) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < groups;
       g += step)
    counts[g] = (g + 1 < groups ? starts[g + 1] : n) - starts[g];
}

// launchers

int log2_ceil(int64_t n) {
  int l = 0;
  while ((int64_t{1} << l) < n) ++l;
  return l;
}

// Sorts each of `rows` rows of length len and writes the first k values and indices of each.
template <typename T>
void sort_rows(const T* in, int64_t rows, int64_t len, int64_t k, bool descending, T* values,
               int64_t* indices) {
  if (rows == 0 || len == 0 || k == 0) return;
  using W = WordOf<T>;
  using U = typename SortKey<T>::U;
  if (len <= kTileElems) {
    const int log_p = log2_ceil(len);
    const int p = 1 << log_p;
    const int rows_per_block =
        static_cast<int>(rows < kTileElems / p ? rows : int64_t{kTileElems / p});
    const int n = p * rows_per_block;
    const int threads = n / 2 < 32 ? 32 : (n / 2 > kSortThreads ? kSortThreads : n / 2);
    const int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
    EMBER_CHECK(blocks <= int64_t{std::numeric_limits<int32_t>::max()}, ValueError, "sort: ", rows,
                " rows of ", len, " elements exceed one launch; expected fewer rows");
    EMBER_LAUNCH((sort_tile_kernel<T, W>), dim3(static_cast<unsigned>(blocks)), dim3(threads),
                 sizeof(typename W::Word) * static_cast<size_t>(n), nullptr, in, rows, len, k,
                 log_p, rows_per_block, descending, values, indices);
    return;
  }
  const int64_t n = rows * len;
  EMBER_CHECK(n <= int64_t{UINT32_MAX}, ValueError, "sort: ", rows, " rows of ", len, " elements (",
              n,
              ") are more than the cuda kernel sorts at once; expected at most "
              "2^32 - 1 elements");
  DeviceBuffer<uint64_t> keys(n), keys_alt(n);
  DeviceBuffer<uint32_t> vals(n), vals_alt(n);
  const dim3 grid(blocks_for(n, kSortThreads)), block(kSortThreads);
  EMBER_LAUNCH(make_keys_kernel<T>, grid, block, 0, nullptr, in, n, len, descending, keys.get(),
               vals.get());
  const int row_bits = bits_for(static_cast<uint64_t>(rows - 1));
  SortedPairs s{};
  if constexpr (sizeof(U) == 4) {
    s = radix_sort_pairs(keys.get(), vals.get(), keys_alt.get(), vals_alt.get(), n, 32 + row_bits);
  } else {
    s = radix_sort_pairs(keys.get(), vals.get(), keys_alt.get(), vals_alt.get(), n, 64);
    if (rows > 1) {
      EMBER_LAUNCH(row_keys_kernel, grid, block, 0, nullptr, static_cast<const uint32_t*>(s.vals),
                   n, len, s.keys);
      // The other buffer pair is free: sort from s into it.
      const bool in_first = s.keys == keys.get();
      s = radix_sort_pairs(s.keys, s.vals, in_first ? keys_alt.get() : keys.get(),
                           in_first ? vals_alt.get() : vals.get(), n, row_bits);
    }
  }
  EMBER_LAUNCH(write_sorted_kernel<T>, grid, block, 0, nullptr, in,
               static_cast<const uint32_t*>(s.vals), n, len, k, sizeof(U) == 8, values, indices);
}

// sort and topk share the kernel: k == len is a sort.
void sort_entry(const SortArgs& a) {
  dispatch_dtype<kAll>(
      a.dtype,
      [&]<typename T>() {
        sort_rows(reinterpret_cast<const T*>(a.in), a.rows, a.len, a.k, a.descending,
                  reinterpret_cast<T*>(a.values), a.indices);
      },
      [](DType) {});
}

int64_t unique_entry(const UniqueArgs& a) {
  if (a.numel == 0) return 0;
  return dispatch_dtype<kAll>(
      a.dtype,
      [&]<typename T>() -> int64_t {
        const int64_t n = a.numel;
        DeviceBuffer<T> sorted(n);
        DeviceBuffer<int64_t> order(n), ids(n + 1), starts(n);
        sort_rows(reinterpret_cast<const T*>(a.in), 1, n, n, false, sorted.get(), order.get());
        const dim3 grid(blocks_for(n + 1, kSortThreads)), block(kSortThreads);
        EMBER_LAUNCH(unique_heads_kernel<T>, grid, block, 0, nullptr,
                     static_cast<const T*>(sorted.get()), n, ids.get());
        exclusive_scan(ids.get(), n + 1);
        EMBER_LAUNCH(unique_write_kernel<T>, grid, block, 0, nullptr,
                     static_cast<const T*>(sorted.get()), static_cast<const int64_t*>(order.get()),
                     static_cast<const int64_t*>(ids.get()), n, reinterpret_cast<T*>(a.values),
                     starts.get(), a.inverse);
        int64_t groups = 0;
        memcpy_d2h(&groups, ids.get() + n, sizeof(groups));
        if (a.counts != nullptr) {
          EMBER_LAUNCH(unique_counts_kernel, dim3(blocks_for(groups, kSortThreads)), block, 0,
                       nullptr, static_cast<const int64_t*>(starts.get()), groups, n, a.counts);
        }
        return groups;
      },
      [](DType) -> int64_t { return 0; });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, sort, &sort_entry);
EMBER_REGISTER_KERNEL(cuda, topk, &sort_entry);
EMBER_REGISTER_KERNEL(cuda, unique, &unique_entry);

}  // namespace ember::cuda
