// CPU indexing kernels: gather, scatter, scatter_add, index_select, index_add (IndexArgs) and
// masked_select (MaskedSelectArgs).
//
// Design. An IndexArgs loop is walked as runs of its innermost dim over three operands
// (indexed with its `dim` stride left out, other, index), after dropping size-1 dims and
// merging neighbours every operand steps through as one; the index value supplies the offset
// along `dim`. 1-d indices (index_select, index_add) become a full index operand whose stride
// is 0 off `dim`, so one walker serves all five ops.
//  - gather / index_select write each output element once: the flat loop is split across
//    threads. A run along which the index is constant (index_select away from the last dim)
//    reads it once and copies a plain strided run (memcpy when both are unit-stride).
//  - scatter / scatter_add / index_add can hit one target from several loop elements, and
//    those differ only in their coordinate along `dim`. Threads therefore own disjoint sets of
//    the other coordinates: whole blocks of the dims before `dim` when there are enough of
//    them, else ranges of the dims after `dim` with `dim` walked sequentially outside (the
//    index_add(weight, 0, ...) of an embedding backward). Each target is then updated by one
//    thread in the order of a sequential row-major loop: results do not depend on the thread
//    count, sums are deterministic and nothing needs atomics. A single `dim` line (1-d
//    scatter) runs on one thread.
//  - Pure data movement (gather, scatter, index_select, masked_select) dispatches on the
//    element size only; the adds dispatch on the dtype and compute in acc_t (f32 for
//    f16/bf16, i64 for integers so alpha never overflows a narrow type).
//  - A bad index is recorded by the first thread to find it, that thread stops, and the
//    IndexError is thrown after the parallel region.
// masked_select counts the selected elements of fixed-size chunks in parallel, takes an
// exclusive prefix sum, then each chunk writes its elements at its offset, keeping order.
#include <atomic>
#include <cstring>
#include <vector>

#include "kernels/cpu/loops.h"
#include "kernels/error.h"
#include "kernels/index_walk.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

using namespace index_walk;  // NOLINT: the shared loop of the index family

int64_t walk_numel(const Walk& w) {
  int64_t n = 1;
  for (int d = 0; d < w.ndim; ++d) n *= w.sizes[d];
  return n;
}

// Operand offsets of element `linear` (row-major) of w.
void offsets_at(const Walk& w, int64_t linear, int64_t* off) {
  for (int k = 0; k < kOperands; ++k) off[k] = 0;
  for (int d = w.ndim - 1; d >= 0; --d) {
    int64_t i = linear % w.sizes[d];
    linear /= w.sizes[d];
    for (int k = 0; k < kOperands; ++k) off[k] += i * w.strides[k][d];
  }
}

// Calls row(offsets, inner_strides, count) for each innermost run of elements [begin, end)
// of w, offsets starting at `base`. Stops and returns false as soon as row returns false.
template <typename Row>
bool walk_runs(const Walk& w, int64_t begin, int64_t end, const int64_t* base, Row& row) {
  if (begin >= end) return true;
  int64_t off[kOperands];
  if (w.ndim == 0) {
    const int64_t zero[kOperands] = {};
    for (int k = 0; k < kOperands; ++k) off[k] = base[k];
    return row(off, zero, int64_t{1});
  }
  const int last = w.ndim - 1;
  const int64_t inner[kOperands] = {w.strides[kX][last], w.strides[kO][last], w.strides[kI][last]};
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % w.sizes[d];
    rem /= w.sizes[d];
  }
  int64_t pos = begin;
  while (pos < end) {
    for (int k = 0; k < kOperands; ++k) {
      off[k] = base[k];
      for (int d = 0; d <= last; ++d) off[k] += idx[d] * w.strides[k][d];
    }
    int64_t count = std::min(w.sizes[last] - idx[last], end - pos);
    if (!row(off, inner, count)) return false;
    pos += count;
    idx[last] += count;
    for (int d = last; d > 0 && idx[d] == w.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
  return true;
}

// The first out-of-range index any thread met.
struct BadIndex {
  std::atomic<bool> found{false};
  int64_t value = 0;  // written only by the thread that set `found`

  bool record(int64_t v) {  // returns false so a row can `return bad.record(v)`
    bool expected = false;
    if (found.compare_exchange_strong(expected, true)) value = v;
    return false;
  }
  void throw_if_found(const char* op, const IndexArgs& a) const {
    if (!found.load()) return;
    throw IndexError(str(op, ": index ", value, " is out of bounds for dim ", a.dim, " with size ",
                         a.bound, "; expected an index in [", -a.bound, ", ", a.bound, ")"));
  }
};

// Wraps a negative index; false when i is outside [-bound, bound).
inline bool wrap_index(int64_t& i, int64_t bound) {
  if (i < 0) i += bound;
  return static_cast<uint64_t>(i) < static_cast<uint64_t>(bound);
}

// Walks the loop of `a`, calling row(offsets, inner_strides, count) for every run; `one_d`:
// the index is 1-d along `dim`. `writes_indexed`: targets may repeat, so threads are split
// over the coordinates off `dim` (see the file comment).
template <typename Row>
void run_index(const IndexArgs& a, bool one_d, bool writes_indexed, Row&& row) {
  const int nd = a.ndim;
  OperandStrides st;
  int64_t total = 1;
  for (int d = 0; d < nd; ++d) {
    st[kX][d] = d == a.dim ? 0 : a.indexed_strides[d];
    st[kO][d] = a.other_strides[d];
    st[kI][d] = one_d ? (d == a.dim ? a.index_strides[0] : 0) : a.index_strides[d];
    total *= a.sizes[d];
  }
  if (total == 0) return;
  const int64_t zero[kOperands] = {};
  if (!writes_indexed) {
    Walk w = make_walk(a.sizes, st, 0, nd);
    parallel_for(total, total, [&](int64_t b, int64_t e) { walk_runs(w, b, e, zero, row); });
    return;
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < a.dim; ++d) outer *= a.sizes[d];
  for (int d = a.dim + 1; d < nd; ++d) inner *= a.sizes[d];
  const int64_t len = a.sizes[a.dim];
  const int nt = threads_for(total);
  if (nt <= 1 || inner == 1 || outer >= 4 * nt) {
    // Threads own whole blocks of the dims before `dim`.
    Walk w = make_walk(a.sizes, st, 0, nd);
    const int64_t block = len * inner;
    parallel_for(outer, total,
                 [&](int64_t b, int64_t e) { walk_runs(w, b * block, e * block, zero, row); });
    return;
  }
  // Threads own ranges of the dims after `dim`; the dims up to `dim` run sequentially.
  Walk ow = make_walk(a.sizes, st, 0, a.dim);
  Walk iw = make_walk(a.sizes, st, a.dim + 1, nd);
  parallel_for(inner, total, [&](int64_t b, int64_t e) {
    int64_t base[kOperands], off[kOperands];
    const int64_t outer_runs = walk_numel(ow);
    for (int64_t p = 0; p < outer_runs; ++p) {
      offsets_at(ow, p, base);
      for (int64_t k = 0; k < len; ++k) {
        for (int o = 0; o < kOperands; ++o) off[o] = base[o] + k * st[o][a.dim];
        if (!walk_runs(iw, b, e, off, row)) return;
      }
    }
  });
}


// gather (one_d = false) and index_select (one_d = true): out[i] = x[i with i[dim] = index].
void gather_like(const IndexArgs& a, bool one_d, const char* op) {
  BadIndex bad;
  dispatch_size(a.dtype, [&]<typename T>() {
    const T* x = reinterpret_cast<const T*>(a.indexed);
    T* out = reinterpret_cast<T*>(a.other);
    const int64_t xd = a.indexed_strides[a.dim], bound = a.bound;
    run_index(a, one_d, false, [&](const int64_t* off, const int64_t* s, int64_t n) {
      if (bad.found.load(std::memory_order_relaxed)) return false;
      const T* xr = x + off[kX];
      T* o = out + off[kO];
      const int64_t* ix = a.index + off[kI];
      if (s[kI] == 0) {  // one index for the whole run
        int64_t i = ix[0];
        if (!wrap_index(i, bound)) return bad.record(ix[0]);
        const T* src = xr + i * xd;
        if (s[kX] == 1 && s[kO] == 1) {
          std::memcpy(o, src, static_cast<size_t>(n) * sizeof(T));
        } else {
          for (int64_t j = 0; j < n; ++j) o[j * s[kO]] = src[j * s[kX]];
        }
        return true;
      }
      for (int64_t j = 0; j < n; ++j) {
        int64_t i = ix[j * s[kI]];
        if (!wrap_index(i, bound)) return bad.record(ix[j * s[kI]]);
        o[j * s[kO]] = xr[j * s[kX] + i * xd];
      }
      return true;
    });
  });
  bad.throw_if_found(op, a);
}

// x[i with i[dim] = index] = update(x[...], src[i]) for scatter (one_d = false) and
// index_add (one_d = true). T is the stored type.
template <typename T, typename Update>
void scatter_like(const IndexArgs& a, bool one_d, const char* op, Update update) {
  BadIndex bad;
  T* x = reinterpret_cast<T*>(a.indexed);
  const T* src = reinterpret_cast<const T*>(a.other);
  const int64_t xd = a.indexed_strides[a.dim], bound = a.bound;
  run_index(a, one_d, true, [&](const int64_t* off, const int64_t* s, int64_t n) {
    T* xr = x + off[kX];
    const T* sr = src + off[kO];
    const int64_t* ix = a.index + off[kI];
    if (s[kI] == 0) {
      int64_t i = ix[0];
      if (!wrap_index(i, bound)) return bad.record(ix[0]);
      T* dst = xr + i * xd;
      if (s[kX] == 1 && s[kO] == 1) {
        for (int64_t j = 0; j < n; ++j) dst[j] = update(dst[j], sr[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) dst[j * s[kX]] = update(dst[j * s[kX]], sr[j * s[kO]]);
      }
      return true;
    }
    for (int64_t j = 0; j < n; ++j) {
      int64_t i = ix[j * s[kI]];
      if (!wrap_index(i, bound)) return bad.record(ix[j * s[kI]]);
      T& dst = xr[j * s[kX] + i * xd];
      dst = update(dst, sr[j * s[kO]]);
    }
    return true;
  });
  bad.throw_if_found(op, a);
}

void scatter_copy(const IndexArgs& a) {
  dispatch_size(a.dtype, [&]<typename T>() {
    scatter_like<T>(a, false, "scatter", [](T, T v) { return v; });
  });
}

// dst + alpha * src in acc_t (i64 for integers, wrapping like PyTorch on overflow).
void scatter_add_typed(const IndexArgs& a, bool one_d, const char* op) {
  dispatch_dtype<kFloat | kInt>(
      a.dtype,
      [&]<typename T>() {
        using A = std::conditional_t<is_float_v<T>, acc_t<T>, int64_t>;
        const A alpha = static_cast<A>(a.alpha);
        if (a.alpha == 1.0) {
          scatter_like<T>(a, one_d, op, [](T d, T v) {
            return static_cast<T>(static_cast<A>(d) + static_cast<A>(v));
          });
        } else {
          scatter_like<T>(a, one_d, op, [alpha](T d, T v) {
            return static_cast<T>(static_cast<A>(d) + alpha * static_cast<A>(v));
          });
        }
      },
      [&](DType d) {
        throw DTypeError(str(op, ": dtype ", dtype_name(d),
                             " is not supported; expected a "
                             "floating or integer dtype"));
      });
}

void gather_kernel(const IndexArgs& a) { gather_like(a, false, "gather"); }
void index_select_kernel(const IndexArgs& a) { gather_like(a, true, "index_select"); }
void scatter_kernel(const IndexArgs& a) { scatter_copy(a); }
void scatter_add_kernel(const IndexArgs& a) { scatter_add_typed(a, false, "scatter_add"); }
void index_add_kernel(const IndexArgs& a) { scatter_add_typed(a, true, "index_add"); }

constexpr int64_t kMaskedChunk = 16384;

int64_t masked_select_kernel(const MaskedSelectArgs& a) {
  const int64_t n = a.numel;
  const int64_t chunks = (n + kMaskedChunk - 1) / kMaskedChunk;
  if (chunks == 0) return 0;
  std::vector<int64_t> start(static_cast<size_t>(chunks) + 1, 0);
  auto chunk_range = [&](int64_t c) {
    return std::pair<int64_t, int64_t>{c * kMaskedChunk, std::min(n, (c + 1) * kMaskedChunk)};
  };
  parallel_for(chunks, n, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      auto [b, e] = chunk_range(c);
      int64_t count = 0;
      for (int64_t i = b; i < e; ++i) count += a.mask[i] ? 1 : 0;
      start[static_cast<size_t>(c) + 1] = count;
    }
  });
  for (int64_t c = 0; c < chunks; ++c) start[c + 1] += start[c];
  dispatch_size(a.dtype, [&]<typename T>() {
    const T* in = reinterpret_cast<const T*>(a.in);
    T* out = reinterpret_cast<T*>(a.out);
    parallel_for(chunks, n, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        auto [b, e] = chunk_range(c);
        T* o = out + start[static_cast<size_t>(c)];
        for (int64_t i = b; i < e; ++i) {
          if (a.mask[i]) *o++ = in[i];
        }
      }
    });
  });
  return start[static_cast<size_t>(chunks)];
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, gather, &gather_kernel);
EMBER_REGISTER_KERNEL(cpu, scatter, &scatter_kernel);
EMBER_REGISTER_KERNEL(cpu, scatter_add, &scatter_add_kernel);
EMBER_REGISTER_KERNEL(cpu, index_select, &index_select_kernel);
EMBER_REGISTER_KERNEL(cpu, index_add, &index_add_kernel);
EMBER_REGISTER_KERNEL(cpu, masked_select, &masked_select_kernel);

}  // namespace ember::cpu
