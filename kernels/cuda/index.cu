// CUDA indexing kernels: gather, scatter, scatter_add, index_select, index_add (IndexArgs) and
// masked_select (MaskedSelectArgs), with the results and errors of kernels/cpu/index.cpp.
//
// Design. The host splits the IndexArgs loop into [outer, len, inner] around `dim`: the dims
// before and after `dim` become two walks (size-1 dims dropped, neighbours merged when all three
// operands step through them as one), so an element's operand offsets are two short coordinate
// decompositions plus k times the `dim` strides; the index value supplies the offset along
// `dim` in `indexed`. A 1-d index (index_select, index_add) is an index operand with stride 0
// off `dim`, so one set of kernels serves all five ops. Pure data movement (gather, scatter,
// index_select, masked_select) runs on an unsigned carrier of the element size.
//  - gather / index_select: one thread per output element, grid-stride; consecutive threads
//    take consecutive inner positions, so contiguous operands are read and written coalesced.
//    When whole rows move (the inner dims contiguous in x and out, the index constant along
//    them: index_select away from the last dim, an embedding lookup), each thread moves 16
//    aligned bytes of a row instead, with one index read and two divisions per 16 bytes.
//  - scatter / scatter_add / index_add update a target from every loop element that names it,
//    and those elements share all coordinates but the one along `dim` (a "line"). The CPU
//    applies them in loop order: scatter keeps the value of the largest `dim` position (last
//    writer wins), the adds accumulate in order, rounding to the stored type after each add.
//    The CUDA kernels apply exactly the same sequence, so results are bit-identical to the
//    CPU and to every other run; there are no float atomics.
//    * Many lines (>= kPerLineMin) or short lines (len <= kShortLine): one thread per line
//      walks k = 0..len-1 in order; threads of a warp take neighbouring lines (coalesced when
//      the inner dims are contiguous).
//    * Few long lines (a 1-d scatter_add, an embedding backward index_add over rows): the
//      elements are grouped by target with the stable radix sort of kernels/cuda/radix_sort.h
//      on key = line * bound + target (value = the element's loop position), so each group
//      lists its elements in loop order; the first thread of a group applies them in that
//      order. index_add sorts only its 1-d index (key = target row, value = k) and then runs
//      one thread per (group, line), lines fastest. Parallelism is the number of distinct
//      targets; a target named n times costs one thread n steps (the sequential order the
//      CPU's bits require).
//  - The adds compute in acc_t (f32 for f16/bf16) or i64 for integers (wrapping like the CPU),
//    with alpha scaling; float products and sums use the _rn intrinsics so nvcc cannot fuse
//    them into an FMA the CPU does not do.
//  - Out-of-range indices: a thread that meets one records its loop position with atomicMin
//    in a device word; the launcher reads the word after the kernels, reads the index value at
//    the smallest recorded position (the first bad index in loop order) and throws the CPU's
//    IndexError. That read-back is the one host sync of an index op.
// masked_select: tiles of kMaskTile mask elements are counted (block reduction), the counts
// scanned (kernels/cuda/radix_sort.h), then each tile scans its mask again per thread
// (kMaskItems contiguous elements a thread, block scan of the per-thread counts) and writes its
// selected elements in order at its offset. The count is read back to return it.
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/device_api.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/radix_sort.h"
#include "kernels/cuda/rounding.h"
#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/index_walk.h"
#include "kernels/kernel_args.h"
#include "kernels/registry.h"

namespace ember::cuda {
namespace {

using namespace index_walk;  // NOLINT: the shared loop of the index family

constexpr int kIndexThreads = 256;
constexpr int64_t kPerLineMin = 16384;  // lines enough to fill a GPU with one thread per line
constexpr int64_t kShortLine = 32;      // lines this short never need grouping
constexpr int kMaskThreads = 256;
constexpr int kMaskItems = 8;
constexpr int64_t kMaskTile = int64_t{kMaskThreads} * kMaskItems;
constexpr unsigned long long kNoBadIndex = ~0ull;

// The IndexArgs loop as [outer, len, inner] around `dim` (see the file comment).
struct IndexGrid {
  Walk outer, inner;
  int64_t outer_n = 1, len = 1, inner_n = 1;
  int64_t dim_stride[kOperands] = {};  // kX: 0, the index supplies the position
  int64_t xd = 0;                      // indexed's stride along dim
  int64_t bound = 0;
  char* x = nullptr;
  char* o = nullptr;
  const int64_t* index = nullptr;
};

EMBER_HD inline void add_offsets(const Walk& w, int64_t linear, int64_t* off) {
  for (int d = w.ndim - 1; d >= 0; --d) {
    const int64_t i = linear % w.sizes[d];
    linear /= w.sizes[d];
    for (int k = 0; k < kOperands; ++k) off[k] += i * w.strides[k][d];
  }
}

// Operand offsets of line `line` (row-major over the outer then inner dims) at k = 0.
EMBER_HD inline void line_offsets(const IndexGrid& g, int64_t line, int64_t* off) {
  for (int k = 0; k < kOperands; ++k) off[k] = 0;
  add_offsets(g.outer, line / g.inner_n, off);
  add_offsets(g.inner, line % g.inner_n, off);
}

// Operand offsets of loop element e (row-major over the whole loop).
EMBER_HD inline void element_offsets(const IndexGrid& g, int64_t e, int64_t* off) {
  const int64_t j = e % g.inner_n, rest = e / g.inner_n;
  const int64_t k = rest % g.len, o = rest / g.len;
  line_offsets(g, o * g.inner_n + j, off);
  for (int q = 0; q < kOperands; ++q) off[q] += k * g.dim_stride[q];
}

// Loop position of element k of line `line`.
EMBER_HD inline int64_t element_of(const IndexGrid& g, int64_t line, int64_t k) {
  return ((line / g.inner_n) * g.len + k) * g.inner_n + line % g.inner_n;
}

// Wraps a negative index; false when i is outside [-bound, bound).
EMBER_HD inline bool wrap_index(int64_t& i, int64_t bound) {
  if (i < 0) i += bound;
  return static_cast<uint64_t>(i) < static_cast<uint64_t>(bound);
}

__device__ __forceinline__ void record_bad(unsigned long long* bad, int64_t e) {
  atomicMin(bad, static_cast<unsigned long long>(e));
}

// kernels

// scatter: the new value replaces the target.
template <typename T>
struct Assign {
  __device__ T operator()(T, T v) const { return v; }
};

// scatter_add / index_add: target + alpha * v in acc_t, or in i64 wrapping for integers.
template <typename T>
struct AddScaled {
  using A = std::conditional_t<is_float_v<T>, acc_t<T>, int64_t>;
  A alpha;
  __device__ T operator()(T d, T v) const {
    if constexpr (is_float_v<T>) {
      return static_cast<T>(add_rn(static_cast<A>(d), mul_rn(alpha, static_cast<A>(v))));
    } else {
      const uint64_t sum =
          static_cast<uint64_t>(static_cast<int64_t>(d)) +
          static_cast<uint64_t>(alpha) * static_cast<uint64_t>(static_cast<int64_t>(v));
      return static_cast<T>(static_cast<int64_t>(sum));
    }
  }
};

// gather / index_select: out[e] = x[e with e[dim] = index[e]].
template <typename T>
__global__ void __launch_bounds__(kIndexThreads)
    gather_kernel(IndexGrid g, int64_t total, unsigned long long* bad) {
  const T* x = reinterpret_cast<const T*>(g.x);
  T* out = reinterpret_cast<T*>(g.o);
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += step) {
    int64_t off[kOperands];
    element_offsets(g, e, off);
    int64_t i = g.index[off[kI]];
    if (!wrap_index(i, g.bound)) {
      record_bad(bad, e);
      continue;
    }
    out[off[kO]] = x[off[kX] + i * g.xd];
  }
}

// gather / index_select of whole rows: the inner dims are one contiguous run in x and out
// along which the index is constant; each thread moves one V (16 bytes) of a row.
template <typename V>
__global__ void __launch_bounds__(kIndexThreads)
    select_rows_kernel(IndexGrid g, int64_t elem_size, int64_t row_vecs, unsigned long long* bad) {
  const int64_t total = g.outer_n * g.len * row_vecs;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < total;
       q += step) {
    const int64_t r = q / row_vecs, v = q - r * row_vecs;
    const int64_t o = r / g.len, k = r - o * g.len;
    int64_t off[kOperands] = {0, 0, 0};
    add_offsets(g.outer, o, off);
    int64_t i = g.index[off[kI] + k * g.dim_stride[kI]];
    if (!wrap_index(i, g.bound)) {
      record_bad(bad, r * g.inner_n);
      continue;
    }
    const V* src = reinterpret_cast<const V*>(g.x + (off[kX] + i * g.xd) * elem_size);
    V* dst = reinterpret_cast<V*>(g.o + (off[kO] + k * g.dim_stride[kO]) * elem_size);
    dst[v] = src[v];
  }
}

// One thread per line applies the line's updates in order.
template <typename T, typename Update>
__global__ void __launch_bounds__(kIndexThreads)
    scatter_lines_kernel(IndexGrid g, int64_t lines, Update update, unsigned long long* bad) {
  T* x = reinterpret_cast<T*>(g.x);
  const T* src = reinterpret_cast<const T*>(g.o);
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t l = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; l < lines;
       l += step) {
    int64_t base[kOperands];
    line_offsets(g, l, base);
    for (int64_t k = 0; k < g.len; ++k) {
      int64_t i = g.index[base[kI] + k * g.dim_stride[kI]];
      if (!wrap_index(i, g.bound)) {
        record_bad(bad, element_of(g, l, k));
        break;
      }
      T* dst = x + base[kX] + i * g.xd;
      *dst = update(*dst, src[base[kO] + k * g.dim_stride[kO]]);
    }
  }
}

// Grouping by target for a full index: key = line * bound + target, value = loop position.
// A bad index is recorded and grouped as target 0 (the launcher throws before returning).
__global__ void __launch_bounds__(kIndexThreads)
    scatter_keys_kernel(IndexGrid g, int64_t total, uint64_t* keys, uint32_t* vals,
                        unsigned long long* bad) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += step) {
    int64_t off[kOperands];
    element_offsets(g, e, off);
    int64_t i = g.index[off[kI]];
    if (!wrap_index(i, g.bound)) {
      record_bad(bad, e);
      i = 0;
    }
    const int64_t line = (e / (g.len * g.inner_n)) * g.inner_n + e % g.inner_n;
    keys[e] = static_cast<uint64_t>(line * g.bound + i);
    vals[e] = static_cast<uint32_t>(e);
  }
}

// The first element of each group of equal keys applies the group's updates in order.
template <typename T, typename Update>
__global__ void __launch_bounds__(kIndexThreads)
    scatter_groups_kernel(IndexGrid g, int64_t total, const uint64_t* keys, const uint32_t* vals,
                          Update update) {
  T* x = reinterpret_cast<T*>(g.x);
  const T* src = reinterpret_cast<const T*>(g.o);
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total;
       j += step) {
    const uint64_t key = keys[j];
    if (j > 0 && keys[j - 1] == key) continue;
    int64_t off[kOperands];
    element_offsets(g, vals[j], off);
    T* dst = x + off[kX] + static_cast<int64_t>(key % static_cast<uint64_t>(g.bound)) * g.xd;
    T acc = *dst;
    for (int64_t q = j; q < total && keys[q] == key; ++q) {
      element_offsets(g, vals[q], off);
      acc = update(acc, src[off[kO]]);
    }
    *dst = acc;
  }
}

// Grouping for a 1-d index: key = target, value = position k in the index.
__global__ void __launch_bounds__(kIndexThreads)
    index_keys_kernel(IndexGrid g, uint64_t* keys, uint32_t* vals, unsigned long long* bad) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < g.len;
       k += step) {
    int64_t i = g.index[k * g.dim_stride[kI]];
    if (!wrap_index(i, g.bound)) {
      record_bad(bad, element_of(g, 0, k));
      i = 0;
    }
    keys[k] = static_cast<uint64_t>(i);
    vals[k] = static_cast<uint32_t>(k);
  }
}

// One thread per (group head j, line l), lines fastest: applies the group's rows in order.
template <typename T, typename Update>
__global__ void __launch_bounds__(kIndexThreads)
    index_groups_kernel(IndexGrid g, int64_t lines, const uint64_t* keys, const uint32_t* vals,
                        Update update) {
  T* x = reinterpret_cast<T*>(g.x);
  const T* src = reinterpret_cast<const T*>(g.o);
  const int64_t total = g.len * lines;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < total;
       q += step) {
    const int64_t j = q / lines, l = q % lines;
    const uint64_t key = keys[j];
    if (j > 0 && keys[j - 1] == key) continue;
    int64_t base[kOperands];
    line_offsets(g, l, base);
    T* dst = x + base[kX] + static_cast<int64_t>(key) * g.xd;
    T acc = *dst;
    for (int64_t r = j; r < g.len && keys[r] == key; ++r) {
      acc = update(acc, src[base[kO] + static_cast<int64_t>(vals[r]) * g.dim_stride[kO]]);
    }
    *dst = acc;
  }
}

// counts[b] = the number of true mask elements in tile b.
__global__ void __launch_bounds__(kMaskThreads)
    mask_count_kernel(const bool* mask, int64_t n, int64_t* counts) {
  const int64_t first = static_cast<int64_t>(blockIdx.x) * kMaskTile + threadIdx.x * kMaskItems;
  int64_t c = 0;
  for (int r = 0; r < kMaskItems; ++r) c += first + r < n && mask[first + r] ? 1 : 0;
  int64_t total = 0;
  block_exclusive_scan<kMaskThreads>(c, total);
  if (threadIdx.x == 0) counts[blockIdx.x] = total;
}

// Writes the selected elements of tile b from offsets[b] on, in order.
template <typename T>
__global__ void __launch_bounds__(kMaskThreads)
    mask_write_kernel(const T* in, const bool* mask, int64_t n, const int64_t* offsets, T* out) {
  const int64_t first = static_cast<int64_t>(blockIdx.x) * kMaskTile + threadIdx.x * kMaskItems;
  bool take[kMaskItems];
  int64_t c = 0;
  for (int r = 0; r < kMaskItems; ++r) {
    take[r] = first + r < n && mask[first + r];
    c += take[r] ? 1 : 0;
  }
  int64_t total = 0;
  int64_t pos = offsets[blockIdx.x] + block_exclusive_scan<kMaskThreads>(c, total);
  for (int r = 0; r < kMaskItems; ++r) {
    if (take[r]) out[pos++] = in[first + r];
  }
}

// launchers


IndexGrid make_grid(const IndexArgs& a, bool one_d) {
  int64_t st[kOperands][kMaxDims] = {};
  for (int d = 0; d < a.ndim; ++d) {
    st[kX][d] = d == a.dim ? 0 : a.indexed_strides[d];
    st[kO][d] = a.other_strides[d];
    st[kI][d] = one_d ? (d == a.dim ? a.index_strides[0] : 0) : a.index_strides[d];
  }
  IndexGrid g;
  g.outer = make_walk(a.sizes, st, 0, a.dim);
  g.inner = make_walk(a.sizes, st, a.dim + 1, a.ndim);
  for (int d = 0; d < a.dim; ++d) g.outer_n *= a.sizes[d];
  for (int d = a.dim + 1; d < a.ndim; ++d) g.inner_n *= a.sizes[d];
  g.len = a.sizes[a.dim];
  for (int k = 0; k < kOperands; ++k) g.dim_stride[k] = st[k][a.dim];
  g.xd = a.indexed_strides[a.dim];
  g.bound = a.bound;
  g.x = a.indexed;
  g.o = a.other;
  g.index = a.index;
  return g;
}

// A device word for the smallest loop position holding a bad index.
class BadIndex {
 public:
  BadIndex() : word_(1) { device_memset(word_.get(), 0xff, sizeof(unsigned long long)); }
  unsigned long long* get() const { return word_.get(); }

  // Throws the CPU kernel's IndexError for the first bad index in loop order, if any.
  void throw_if_found(const char* op, const IndexArgs& a, const IndexGrid& g) const {
    unsigned long long pos = kNoBadIndex;
    memcpy_d2h(&pos, word_.get(), sizeof(pos));
    if (pos == kNoBadIndex) return;
    int64_t off[kOperands];
    element_offsets(g, static_cast<int64_t>(pos), off);
    int64_t value = 0;
    memcpy_d2h(&value, g.index + off[kI], sizeof(value));
    throw IndexError(str(op, ": index ", value, " is out of bounds for dim ", a.dim, " with size ",
                         a.bound, "; expected an index in [", -a.bound, ", ", a.bound, ")"));
  }

 private:
  DeviceBuffer<unsigned long long> word_;
};

int64_t loop_numel(const IndexArgs& a) {
  int64_t n = 1;
  for (int d = 0; d < a.ndim; ++d) n *= a.sizes[d];
  return n;
}


// True when every (outer, k) row of the loop is a contiguous run of the inner dims in x and
// out, the index is constant along it, and rows start and end on 16-byte boundaries.
bool rows_of_16_bytes(const IndexGrid& g, int64_t es) {
  const Walk& in = g.inner;
  if (in.ndim != 1 || in.strides[kX][0] != 1 || in.strides[kO][0] != 1 || in.strides[kI][0] != 0)
    return false;
  bool aligned = (g.inner_n * es) % 16 == 0 && (g.xd * es) % 16 == 0 &&
                 (g.dim_stride[kO] * es) % 16 == 0 && reinterpret_cast<uintptr_t>(g.x) % 16 == 0 &&
                 reinterpret_cast<uintptr_t>(g.o) % 16 == 0;
  for (int d = 0; d < g.outer.ndim; ++d)
    aligned &= (g.outer.strides[kX][d] * es) % 16 == 0 && (g.outer.strides[kO][d] * es) % 16 == 0;
  return aligned;
}

// gather (one_d = false) and index_select (one_d = true).
void gather_like(const IndexArgs& a, bool one_d, const char* op) {
  const int64_t total = loop_numel(a);
  if (total == 0) return;
  const IndexGrid g = make_grid(a, one_d);
  BadIndex bad;
  const auto es = static_cast<int64_t>(element_size(a.dtype));
  if (rows_of_16_bytes(g, es)) {
    const int64_t row_vecs = g.inner_n * es / 16;
    EMBER_LAUNCH(select_rows_kernel<uint4>, dim3(blocks_for(total * es / 16, kIndexThreads)),
                 dim3(kIndexThreads), 0, nullptr, g, es, row_vecs, bad.get());
  } else {
    dispatch_size(a.dtype, [&]<typename T>() {
      EMBER_LAUNCH(gather_kernel<T>, dim3(blocks_for(total, kIndexThreads)), dim3(kIndexThreads), 0,
                   nullptr, g, total, bad.get());
    });
  }
  bad.throw_if_found(op, a, g);
}

// Applies update(target, src) for every loop element in loop order per target (file comment).
template <typename T, typename Update>
void scatter_like(const IndexArgs& a, bool one_d, const char* op, Update update) {
  const int64_t total = loop_numel(a);
  if (total == 0) return;
  const IndexGrid g = make_grid(a, one_d);
  const int64_t lines = g.outer_n * g.inner_n;
  BadIndex bad;
  const dim3 block(kIndexThreads);
  if (lines >= kPerLineMin || g.len <= kShortLine || total > int64_t{UINT32_MAX}) {
    EMBER_LAUNCH((scatter_lines_kernel<T, Update>), dim3(blocks_for(lines, kIndexThreads)), block,
                 0, nullptr, g, lines, update, bad.get());
  } else {
    const int64_t n = one_d ? g.len : total;  // elements to group
    DeviceBuffer<uint64_t> keys(n), keys_alt(n);
    DeviceBuffer<uint32_t> vals(n), vals_alt(n);
    const dim3 grid(blocks_for(n, kIndexThreads));
    if (one_d) {
      EMBER_LAUNCH(index_keys_kernel, grid, block, 0, nullptr, g, keys.get(), vals.get(),
                   bad.get());
    } else {
      EMBER_LAUNCH(scatter_keys_kernel, grid, block, 0, nullptr, g, total, keys.get(), vals.get(),
                   bad.get());
    }
    const uint64_t key_range = one_d
                                   ? static_cast<uint64_t>(g.bound)
                                   : static_cast<uint64_t>(lines) * static_cast<uint64_t>(g.bound);
    const SortedPairs s = radix_sort_pairs(keys.get(), vals.get(), keys_alt.get(), vals_alt.get(),
                                           n, bits_for(key_range - 1));
    if (one_d) {
      EMBER_LAUNCH((index_groups_kernel<T, Update>), dim3(blocks_for(total, kIndexThreads)), block,
                   0, nullptr, g, lines, static_cast<const uint64_t*>(s.keys),
                   static_cast<const uint32_t*>(s.vals), update);
    } else {
      EMBER_LAUNCH((scatter_groups_kernel<T, Update>), grid, block, 0, nullptr, g, total,
                   static_cast<const uint64_t*>(s.keys), static_cast<const uint32_t*>(s.vals),
                   update);
    }
  }
  bad.throw_if_found(op, a, g);
}

void scatter_add_typed(const IndexArgs& a, bool one_d, const char* op) {
  dispatch_dtype<kFloat | kInt>(
      a.dtype,
      [&]<typename T>() {
        using A = typename AddScaled<T>::A;
        scatter_like<T>(a, one_d, op, AddScaled<T>{static_cast<A>(a.alpha)});
      },
      [&](DType d) {
        throw DTypeError(str(op, ": dtype ", dtype_name(d),
                             " is not supported; expected a "
                             "floating or integer dtype"));
      });
}

void gather_entry(const IndexArgs& a) { gather_like(a, false, "gather"); }
void index_select_entry(const IndexArgs& a) { gather_like(a, true, "index_select"); }
void scatter_entry(const IndexArgs& a) {
  dispatch_size(a.dtype, [&]<typename T>() { scatter_like<T>(a, false, "scatter", Assign<T>{}); });
}
void scatter_add_entry(const IndexArgs& a) { scatter_add_typed(a, false, "scatter_add"); }
void index_add_entry(const IndexArgs& a) { scatter_add_typed(a, true, "index_add"); }

int64_t masked_select_entry(const MaskedSelectArgs& a) {
  const int64_t n = a.numel;
  if (n == 0) return 0;
  const int64_t tiles = (n + kMaskTile - 1) / kMaskTile;
  DeviceBuffer<int64_t> offsets(tiles + 1);  // tile counts, then their exclusive scan and total
  device_memset(offsets.get() + tiles, 0, sizeof(int64_t));
  const dim3 grid(static_cast<unsigned>(tiles)), block(kMaskThreads);
  EMBER_LAUNCH(mask_count_kernel, grid, block, 0, nullptr, a.mask, n, offsets.get());
  exclusive_scan(offsets.get(), tiles + 1);
  dispatch_size(a.dtype, [&]<typename T>() {
    EMBER_LAUNCH(mask_write_kernel<T>, grid, block, 0, nullptr, reinterpret_cast<const T*>(a.in),
                 a.mask, n, static_cast<const int64_t*>(offsets.get()),
                 reinterpret_cast<T*>(a.out));
  });
  int64_t count = 0;
  memcpy_d2h(&count, offsets.get() + tiles, sizeof(count));
  return count;
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, gather, &gather_entry);
EMBER_REGISTER_KERNEL(cuda, scatter, &scatter_entry);
EMBER_REGISTER_KERNEL(cuda, scatter_add, &scatter_add_entry);
EMBER_REGISTER_KERNEL(cuda, index_select, &index_select_entry);
EMBER_REGISTER_KERNEL(cuda, index_add, &index_add_entry);
EMBER_REGISTER_KERNEL(cuda, masked_select, &masked_select_entry);

}  // namespace ember::cuda
