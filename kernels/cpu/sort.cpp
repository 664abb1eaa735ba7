// CPU sorting kernels: sort and topk along the last dim of a contiguous [rows, len] input
// (SortArgs), and unique over a flat input (UniqueArgs).
//
// Design. Every element becomes an unsigned integer key whose unsigned order is the order we
// want: IEEE floats flip the sign bit of positives and every bit of negatives, -0 becomes +0
// (so the two compare equal) and every NaN becomes the largest key (after +inf, as in
// PyTorch); signed integers flip the sign bit. Descending order complements the key, which
// also puts NaN first. Ties break by index, so the order is the stable one whatever algorithm
// sorts: keys of 32 bits or less pack with a 32-bit index into one uint64 (key high, index
// low) and sort as plain integers, by an LSD radix sort on the key bytes for long rows (stable,
// and the input starts in index order) or std::sort for short ones; 64-bit keys (f64, i64)
// sort (key, index) pairs with std::sort. topk runs std::nth_element on the same packed keys
// and sorts only the k winners, so ties go to the lower index. f16/bf16 compare as float.
// Rows are independent and run in parallel, each thread reusing one scratch buffer.
#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <vector>

#include "kernels/cpu/loops.h"
#include "kernels/registry.h"
#include "kernels/sort_keys.h"

namespace ember::cpu {
namespace {

// Below this length std::sort beats the four counting passes of the radix sort.
constexpr int64_t kRadixMinLen = 128;

// Sorts packed (key << 32 | index) words by their key, stably: LSD radix on the four key bytes,
// moving the words back and forth between a and tmp (room for n words). Passes whose byte is
// the same in every word are skipped.
void radix_sort_packed(uint64_t* a, uint64_t* tmp, int64_t n) {
  uint64_t *src = a, *dst = tmp;
  for (int pass = 0; pass < 4; ++pass) {
    const int shift = 32 + 8 * pass;
    int64_t count[257] = {};
    for (int64_t i = 0; i < n; ++i) ++count[((src[i] >> shift) & 0xff) + 1];
    bool trivial = false;
    for (int b = 1; b <= 256; ++b) trivial = trivial || count[b] == n;
    if (trivial) continue;
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (int64_t i = 0; i < n; ++i) dst[count[(src[i] >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a) std::copy(src, src + n, a);
}

// --- one row ------------------------------------------------------------------------------

// Scratch for one thread: the packed or paired keys of a row.
struct Scratch {
  std::vector<uint64_t> packed, tmp;
  std::vector<std::pair<uint64_t, int64_t>> pairs;
};

// Orders one row (or, when k < len, selects and orders its first k) and calls
// emit(j, i) for each output position j < k with the index i of the input element there.
template <typename T, typename Emit>
void order_row(const T* in, int64_t len, int64_t k, bool descending, Scratch& s, Emit&& emit) {
  using U = typename SortKey<T>::U;
  const U flip = descending ? std::numeric_limits<U>::max() : U{0};
  if constexpr (sizeof(U) == 4) {
    if (len <= int64_t{std::numeric_limits<uint32_t>::max()}) {
      s.packed.resize(static_cast<size_t>(len));
      uint64_t* p = s.packed.data();
      for (int64_t i = 0; i < len; ++i)
        p[i] =
            (static_cast<uint64_t>(SortKey<T>::of(in[i]) ^ flip) << 32) | static_cast<uint64_t>(i);
      if (k < len) {
        std::nth_element(p, p + k, p + len);
        std::sort(p, p + k);
      } else if (len >= kRadixMinLen) {
        s.tmp.resize(static_cast<size_t>(len));
        radix_sort_packed(p, s.tmp.data(), len);
      } else {
        std::sort(p, p + len);
      }
      for (int64_t j = 0; j < k; ++j) emit(j, static_cast<int64_t>(p[j] & 0xffffffffu));
      return;
    }
  }
  s.pairs.resize(static_cast<size_t>(len));
  auto* p = s.pairs.data();
  for (int64_t i = 0; i < len; ++i) p[i] = {static_cast<uint64_t>(SortKey<T>::of(in[i]) ^ flip), i};
  if (k < len) {
    std::nth_element(p, p + k, p + len);
    std::sort(p, p + k);
  } else {
    std::sort(p, p + len);
  }
  for (int64_t j = 0; j < k; ++j) emit(j, p[j].second);
}

// sort and topk share the kernel: k == len is a sort.
void sort_kernel(const SortArgs& a) {
  if (a.rows == 0 || a.k == 0) return;
  dispatch_dtype<kAll>(
      a.dtype,
      [&]<typename T>() {
        const T* in = reinterpret_cast<const T*>(a.in);
        T* values = reinterpret_cast<T*>(a.values);
        int64_t work = a.rows * a.len * 8;
        guarded_parallel_for(a.rows, work, [&](int64_t rb, int64_t re) {
          Scratch s;
          for (int64_t r = rb; r < re; ++r) {
            const T* x = in + r * a.len;
            T* v = values + r * a.k;
            int64_t* idx = a.indices + r * a.k;
            order_row(x, a.len, a.k, a.descending, s, [&](int64_t j, int64_t i) {
              v[j] = x[i];
              idx[j] = i;
            });
          }
        });
      },
      [](DType) {});
}

// --- unique -------------------------------------------------------------------------------

// Distinct values in ascending order. Each NaN is distinct from every other value, NaNs
// included (as in PyTorch's CPU unique): they come last, one per NaN, in input order.
int64_t unique_kernel(const UniqueArgs& a) {
  if (a.numel == 0) return 0;
  return dispatch_dtype<kAll>(
      a.dtype,
      [&]<typename T>() -> int64_t {
        using U = typename SortKey<T>::U;
        const T* in = reinterpret_cast<const T*>(a.in);
        T* values = reinterpret_cast<T*>(a.values);
        const int64_t n = a.numel;
        // The input's indices in ascending order, and their keys.
        Scratch s;
        std::vector<int64_t> order(static_cast<size_t>(n));
        std::vector<U> keys(static_cast<size_t>(n));
        order_row(in, n, n, /*descending=*/false, s, [&](int64_t j, int64_t i) {
          order[j] = i;
          keys[j] = SortKey<T>::of(in[i]);
        });
        constexpr U kNanKey = std::numeric_limits<U>::max();
        int64_t groups = 0;
        for (int64_t j = 0; j < n; ++j) {
          const bool is_nan = is_float_v<T> && keys[j] == kNanKey;
          const bool starts = j == 0 || keys[j] != keys[j - 1] || is_nan;
          if (starts) {
            values[groups] = in[order[j]];
            if (a.counts != nullptr) a.counts[groups] = 0;
            ++groups;
          }
          if (a.counts != nullptr) ++a.counts[groups - 1];
          if (a.inverse != nullptr) a.inverse[order[j]] = groups - 1;
        }
        return groups;
      },
      [](DType) -> int64_t { return 0; });
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, sort, &sort_kernel);
EMBER_REGISTER_KERNEL(cpu, topk, &sort_kernel);
EMBER_REGISTER_KERNEL(cpu, unique, &unique_kernel);

}  // namespace ember::cpu
