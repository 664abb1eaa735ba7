// CPU reductions: sum prod amax amin all any var argmax argmin over any set of dims
// (ReduceLoop, kernels/kernel_args.h).
//
// Design. Every op is a small "reducer" (init / step / merge / store) run by one of two drivers,
// picked from the loop's strides (the front end coalesces dims and orders the reduced dims by
// decreasing stride, so the innermost reduced dim is last):
//  - per output (reduced dim innermost): each output reduces its region as runs along the
//    innermost reduced dim. A unit-stride run is read by a plain indexed loop into 16 independent
//    accumulator lanes, which the compiler vectorises; other strides (sliced, transposed inputs)
//    use the same loop with a stride. Outputs are split across OpenMP threads. When there are
//    few outputs (< 64) and each reduces more than 64K elements (e.g. a full reduction), the
//    region is cut into fixed 64K-element chunks that threads reduce independently; the chunk
//    results are then combined in order.
//  - per column (a kept dim has unit stride, e.g. sum over dim 0 of a row-major [N, M]): whole
//    rows are accumulated into a row of accumulators, vectorised over the kept dim; threads take
//    slabs x column chunks, and when those are few, fixed groups of rows whose partial rows are
//    combined in order.
// Numerics. Sums and products of f32 and f64 accumulate in double, of f16/bf16 in f32, of
// integers and bool in wrapping 64-bit integers (the i64 result). Floating sums are pairwise:
// 16 lanes per 2048-element block, blocks (and runs, and chunks) combined by a binary cascade,
// so the error grows with log(n); the column driver accumulates 64-row blocks and then adds the
// blocks. var works in double: two passes (mean, then squared deviations) per 2048-element
// block or 64-row block, blocks and chunks merged with Chan's formula (Welford for runs
// shorter than 32); M2 is divided by max(N - correction, 0): NaN when M2 == 0 (N <= correction
// with equal inputs, or an empty reduction), inf otherwise, as in PyTorch. sum with
// ScalarArgs.b != 0 (mean) divides by N in the accumulation type, so mean of f16 is a f32 sum
// divided once.
// NaN: sum/prod/var propagate it; amax/amin return NaN when the input has one; argmax/argmin
// return the index of the first NaN. Ties pick the first index. argmax/argmin write the values
// to `out` (the input's dtype) and the positions along their single reduced dim to `indices`.
// Determinism: the split into chunks, column chunks and row groups depends only on the shapes
// and strides, never on the thread count, so results are bitwise identical for any number of
// threads and across runs.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "kernels/cpu/loops.h"
#include "kernels/error.h"
#include "kernels/reducers.h"
#include "kernels/registry.h"

namespace ember::cpu {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kBlock = 2048;     // leaf of the pairwise cascade, in elements
constexpr int64_t kChunk = 1 << 16;  // work item of a few-output reduction, in elements
constexpr int64_t kFewOutputs = 64;  // fewer outputs than this: split their reductions
constexpr int64_t kFewItems = 8;     // fewer column work items than this: split the rows
constexpr int64_t kRowBlock = 64;    // rows per inner accumulator block (column driver)
constexpr int64_t kColBytes = 8192;  // accumulator row per column chunk

using namespace reducers;  // NOLINT: the reducers both devices share

// --- combining partial results ----------------------------------------------------------------

// Pairwise combination of a stream of partial results: level l holds the merge of 2^l leaves,
// like a binary counter, so n leaves are combined in a tree of depth log2(n).
template <typename Op>
class Cascade {
 public:
  using Acc = typename Op::Acc;
  explicit Cascade(const Op& op) : op_(op) {}
  void push(Acc v) {
    int l = 0;
    for (uint64_t c = count_; c & 1; c >>= 1, ++l) {
      Acc s = level_[l];
      op_.merge(s, v);
      v = s;
    }
    level_[l] = v;
    ++count_;
  }
  Acc total() const {
    Acc s = op_.init();
    for (int l = 63; l >= 0; --l) {
      if ((count_ >> l) & 1) op_.merge(s, level_[l]);
    }
    return s;
  }

 private:
  const Op& op_;
  Acc level_[64];
  uint64_t count_ = 0;
};

// A run of n elements p[0], p[s], ... at positions idx0, idx0 + 1, ...
template <bool kUnit, typename Op, typename In>
typename Op::Acc reduce_run_impl(const Op& op, const In* p, int64_t n, int64_t s, int64_t idx0) {
  using Acc = typename Op::Acc;
  auto at = [&](int64_t i) -> In {
    if constexpr (kUnit) {
      return p[i];
    } else {
      return p[i * s];
    }
  };
  if (n < 2 * kLanes) {
    Acc a = op.init();
    for (int64_t i = 0; i < n; ++i) op.step(a, at(i), idx0 + i);
    return a;
  }
  Cascade<Op> cascade(op);
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    Acc lanes[kLanes];
    for (int k = 0; k < kLanes; ++k) lanes[k] = op.init();
    int64_t i = b;
    for (; i + kLanes <= e; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) op.step(lanes[k], at(i + k), idx0 + i + k);
    }
    for (int k = 0; i < e; ++i, ++k) op.step(lanes[k], at(i), idx0 + i);
    for (int w = kLanes / 2; w > 0; w /= 2) {
      for (int k = 0; k < w; ++k) op.merge(lanes[k], lanes[k + w]);
    }
    cascade.push(lanes[0]);
  }
  return cascade.total();
}

// Sum of f(x) over a run in 16 double lanes, combined pairwise.
template <bool kUnit, typename In, typename F>
double lane_sum(const In* p, int64_t n, int64_t s, F f) {
  auto at = [&](int64_t i) -> double {
    return static_cast<double>(static_cast<acc_t<In>>(kUnit ? p[i] : p[i * s]));
  };
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) lanes[k] += f(at(i + k));
  }
  for (int k = 0; i < n; ++i, ++k) lanes[k] += f(at(i));
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int k = 0; k < w; ++k) lanes[k] += lanes[k + w];
  }
  return lanes[0];
}

// var over a run: two passes per block (mean, then squared deviations from it), which
// vectorise and are exact for data with a large offset; blocks merge with Chan's formula.
template <bool kUnit, typename In>
Welford reduce_run_impl(const VarOp<In>& op, const In* p, int64_t n, int64_t s, int64_t) {
  Cascade<VarOp<In>> cascade(op);
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t cnt = std::min(kBlock, n - b);
    const In* q = p + (kUnit ? b : b * s);
    const double mean =
        lane_sum<kUnit>(q, cnt, s, [](double x) { return x; }) / static_cast<double>(cnt);
    const double m2 =
        lane_sum<kUnit>(q, cnt, s, [mean](double x) { return (x - mean) * (x - mean); });
    cascade.push({static_cast<double>(cnt), mean, m2});
  }
  return cascade.total();
}

template <typename Op, typename In>
typename Op::Acc reduce_run(const Op& op, const In* p, int64_t n, int64_t s, int64_t idx0) {
  return s == 1 ? reduce_run_impl<true>(op, p, n, 1, idx0)
                : reduce_run_impl<false>(op, p, n, s, idx0);
}

// --- loop geometry ----------------------------------------------------------------------------

// Row-major walk over up to kMaxDims dims carrying two offsets (e.g. input and output).
struct Odometer {
  int n = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t s1[kMaxDims] = {}, s2[kMaxDims] = {};
  int64_t idx[kMaxDims] = {};
  int64_t off1 = 0, off2 = 0;

  void add(int64_t size, int64_t a, int64_t b) {
    sizes[n] = size;
    s1[n] = a;
    s2[n] = b;
    ++n;
  }
  void seek(int64_t linear) {
    off1 = off2 = 0;
    for (int d = n - 1; d >= 0; --d) {
      idx[d] = linear % sizes[d];
      linear /= sizes[d];
      off1 += idx[d] * s1[d];
      off2 += idx[d] * s2[d];
    }
  }
  void next() {
    for (int d = n - 1; d >= 0; --d) {
      off1 += s1[d];
      off2 += s2[d];
      if (++idx[d] < sizes[d]) return;
      off1 -= sizes[d] * s1[d];
      off2 -= sizes[d] * s2[d];
      idx[d] = 0;
    }
  }
};

// The reduced region: the innermost reduced dim (runs) and the dims outside it.
struct Region {
  int64_t total = 1;
  int64_t inner = 1, inner_stride = 0;
  Odometer outer;  // off1: input offset of a run
  Odometer all;    // every reduced dim, for the column driver
};

Region make_region(const ReduceLoop& L) {
  Region g;
  for (int d = 0; d < L.red_ndim; ++d) {
    g.total *= L.red_sizes[d];
    g.all.add(L.red_sizes[d], L.red_strides[d], 0);
    if (d + 1 < L.red_ndim) g.outer.add(L.red_sizes[d], L.red_strides[d], 0);
  }
  if (L.red_ndim > 0) {
    g.inner = L.red_sizes[L.red_ndim - 1];
    g.inner_stride = L.red_strides[L.red_ndim - 1];
  }
  return g;
}

// Reduces positions [r0, r1) (row-major over the reduced dims) of the region at `base`.
template <typename Op, typename In>
typename Op::Acc reduce_range(const Op& op, const In* base, const Region& g, int64_t r0,
                              int64_t r1) {
  if (r1 <= r0) return op.init();
  const int64_t len = g.inner, s = g.inner_stride;
  if (g.outer.n == 0) return reduce_run(op, base + r0 * s, r1 - r0, s, r0);
  Odometer od = g.outer;
  od.seek(r0 / len);
  int64_t i = r0 % len;
  if (r0 / len == (r1 - 1) / len) return reduce_run(op, base + od.off1 + i * s, r1 - r0, s, r0);
  Cascade<Op> cascade(op);
  for (int64_t pos = r0; pos < r1;) {
    const int64_t n = std::min(len - i, r1 - pos);
    cascade.push(reduce_run(op, base + od.off1 + i * s, n, s, pos));
    pos += n;
    i = 0;
    od.next();
  }
  return cascade.total();
}

struct Outputs {
  char* out;
  int64_t* indices;
  DType dtype;
  int64_t esize;
  char* at(int64_t off) const { return out + off * esize; }
  int64_t* index_at(int64_t off) const { return indices ? indices + off : nullptr; }
};

// --- drivers ----------------------------------------------------------------------------------

template <typename Op, typename In>
void per_output(const Op& op, const ReduceLoop& L, const Region& g, int64_t outputs,
                const Outputs& o) {
  using Acc = typename Op::Acc;
  const In* in = reinterpret_cast<const In*>(L.in);
  Odometer kept;  // off1: input, off2: output
  for (int d = 0; d < L.kept_ndim; ++d)
    kept.add(L.kept_sizes[d], L.kept_in_strides[d], L.kept_out_strides[d]);
  const int64_t work = outputs * std::max<int64_t>(g.total, 1);

  if (g.outer.n == 0 && g.inner < 2 * kLanes) {
    // Short single-dim reductions (e.g. [N, 4] over dim 1): one plain loop per output.
    const int64_t len = g.inner, s = g.inner_stride;
    parallel_for(outputs, work, [&](int64_t b, int64_t e) {
      Odometer it = kept;
      it.seek(b);
      for (int64_t k = b; k < e; ++k, it.next()) {
        const In* p = in + it.off1;
        Acc a = op.init();
        for (int64_t i = 0; i < len; ++i) op.step(a, p[i * s], i);
        op.store(o.at(it.off2), o.index_at(it.off2), o.dtype, a, g.total);
      }
    });
    return;
  }
  if (outputs >= kFewOutputs || g.total <= kChunk) {
    parallel_for(outputs, work, [&](int64_t b, int64_t e) {
      Odometer it = kept;
      it.seek(b);
      for (int64_t k = b; k < e; ++k, it.next()) {
        Acc a = reduce_range(op, in + it.off1, g, 0, g.total);
        op.store(o.at(it.off2), o.index_at(it.off2), o.dtype, a, g.total);
      }
    });
    return;
  }
  // Few outputs, long reductions: fixed chunks, combined in order.
  const int64_t chunks = (g.total + kChunk - 1) / kChunk;
  std::unique_ptr<Acc[]> part(new Acc[static_cast<size_t>(outputs * chunks)]);
  parallel_for(outputs * chunks, work, [&](int64_t b, int64_t e) {
    Odometer it = kept;
    for (int64_t item = b; item < e; ++item) {
      const int64_t k = item / chunks, c = item % chunks;
      it.seek(k);
      part[static_cast<size_t>(item)] =
          reduce_range(op, in + it.off1, g, c * kChunk, std::min(g.total, (c + 1) * kChunk));
    }
  });
  Odometer it = kept;
  for (int64_t k = 0; k < outputs; ++k, it.next()) {
    Cascade<Op> cascade(op);
    for (int64_t c = 0; c < chunks; ++c) cascade.push(part[static_cast<size_t>(k * chunks + c)]);
    op.store(o.at(it.off2), o.index_at(it.off2), o.dtype, cascade.total(), g.total);
  }
}

// Accumulates rows [r0, r1) of `w` unit-stride columns at `base` into acc[0, w).
template <typename Op, typename In>
void column_rows(const Op& op, const In* base, int64_t w, const Region& g, int64_t r0, int64_t r1,
                 typename Op::Acc* acc) {
  using Acc = typename Op::Acc;
  constexpr int64_t kCols = std::max<int64_t>(16, kColBytes / sizeof(Acc));
  Acc blk[kCols];
  for (int64_t j = 0; j < w; ++j) acc[j] = blk[j] = op.init();
  Odometer rows = g.all;
  rows.seek(r0);
  int64_t in_block = 0;
  for (int64_t r = r0; r < r1; ++r, rows.next()) {
    const In* row = base + rows.off1;
    for (int64_t j = 0; j < w; ++j) op.step(blk[j], row[j], r);
    if (++in_block == kRowBlock || r + 1 == r1) {
      for (int64_t j = 0; j < w; ++j) {
        op.merge(acc[j], blk[j]);
        blk[j] = op.init();
      }
      in_block = 0;
    }
  }
}

// var over columns: per block of kRowBlock rows, column means, then squared deviations from
// them (a second read of rows still in cache), merged into acc with Chan's formula.
template <typename In>
void column_rows(const VarOp<In>& op, const In* base, int64_t w, const Region& g, int64_t r0,
                 int64_t r1, Welford* acc) {
  constexpr int64_t kCols = std::max<int64_t>(16, kColBytes / sizeof(Welford));
  double mean[kCols], m2[kCols];
  for (int64_t j = 0; j < w; ++j) acc[j] = op.init();
  Odometer rows = g.all;
  rows.seek(r0);
  for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
    const int64_t re = std::min(r1, rb + kRowBlock);
    const double cnt = static_cast<double>(re - rb);
    const Odometer start = rows;
    for (int64_t j = 0; j < w; ++j) mean[j] = m2[j] = 0;
    for (int64_t r = rb; r < re; ++r, rows.next()) {
      const In* row = base + rows.off1;
      for (int64_t j = 0; j < w; ++j)
        mean[j] += static_cast<double>(static_cast<acc_t<In>>(row[j]));
    }
    for (int64_t j = 0; j < w; ++j) mean[j] /= cnt;
    rows = start;
    for (int64_t r = rb; r < re; ++r, rows.next()) {
      const In* row = base + rows.off1;
      for (int64_t j = 0; j < w; ++j) {
        const double d = static_cast<double>(static_cast<acc_t<In>>(row[j])) - mean[j];
        m2[j] += d * d;
      }
    }
    for (int64_t j = 0; j < w; ++j) op.merge(acc[j], {cnt, mean[j], m2[j]});
  }
}

template <typename Op, typename In>
void per_column(const Op& op, const ReduceLoop& L, const Region& g, int vec_dim, const Outputs& o) {
  using Acc = typename Op::Acc;
  constexpr int64_t kCols = std::max<int64_t>(16, kColBytes / sizeof(Acc));
  const In* in = reinterpret_cast<const In*>(L.in);
  const int64_t width = L.kept_sizes[vec_dim], out_step = L.kept_out_strides[vec_dim];
  Odometer slab;  // the other kept dims; off1: input, off2: output
  for (int d = 0; d < L.kept_ndim; ++d) {
    if (d != vec_dim) slab.add(L.kept_sizes[d], L.kept_in_strides[d], L.kept_out_strides[d]);
  }
  int64_t slabs = 1;
  for (int d = 0; d < slab.n; ++d) slabs *= slab.sizes[d];
  const int64_t col_chunks = (width + kCols - 1) / kCols;
  const int64_t items = slabs * col_chunks;
  const int64_t chunk_w = std::min(width, kCols);
  int64_t rows_per_group = std::max<int64_t>(1, (kChunk + chunk_w - 1) / chunk_w);
  rows_per_group = (rows_per_group + kRowBlock - 1) / kRowBlock * kRowBlock;
  const int64_t groups = items < kFewItems && g.total >= 2 * rows_per_group
                             ? (g.total + rows_per_group - 1) / rows_per_group
                             : 1;
  const int64_t work = slabs * width * std::max<int64_t>(g.total, 1);

  // Item `item` covers slab item / col_chunks, columns [c0, c0 + w).
  auto locate = [&](Odometer& it, int64_t item, int64_t& c0, int64_t& w) {
    it.seek(item / col_chunks);
    c0 = (item % col_chunks) * kCols;
    w = std::min(kCols, width - c0);
  };
  auto store_row = [&](const Odometer& it, int64_t c0, int64_t w, const Acc* acc) {
    for (int64_t j = 0; j < w; ++j) {
      const int64_t off = it.off2 + (c0 + j) * out_step;
      op.store(o.at(off), o.index_at(off), o.dtype, acc[j], g.total);
    }
  };

  if (groups == 1) {
    parallel_for(items, work, [&](int64_t b, int64_t e) {
      Acc acc[kCols];
      Odometer it = slab;
      for (int64_t item = b; item < e; ++item) {
        int64_t c0, w;
        locate(it, item, c0, w);
        column_rows(op, in + it.off1 + c0, w, g, 0, g.total, acc);
        store_row(it, c0, w, acc);
      }
    });
    return;
  }
  // Few column items, many rows: fixed row groups, partial rows combined in order.
  std::unique_ptr<Acc[]> part(new Acc[static_cast<size_t>(items * groups * kCols)]);
  parallel_for(items * groups, work, [&](int64_t b, int64_t e) {
    Odometer it = slab;
    for (int64_t k = b; k < e; ++k) {
      const int64_t item = k / groups, grp = k % groups;
      int64_t c0, w;
      locate(it, item, c0, w);
      column_rows(op, in + it.off1 + c0, w, g, grp * rows_per_group,
                  std::min(g.total, (grp + 1) * rows_per_group),
                  &part[static_cast<size_t>(k * kCols)]);
    }
  });
  Odometer it = slab;
  for (int64_t item = 0; item < items; ++item) {
    int64_t c0, w;
    locate(it, item, c0, w);
    Acc* acc = &part[static_cast<size_t>(item * groups * kCols)];
    for (int64_t grp = 1; grp < groups; ++grp) {
      const Acc* p = acc + grp * kCols;
      for (int64_t j = 0; j < w; ++j) op.merge(acc[j], p[j]);
    }
    store_row(it, c0, w, acc);
  }
}

template <typename In, typename Op>
void reduce_typed(const ReduceLoop& L, const Op& op) {
  int64_t outputs = 1;
  for (int d = 0; d < L.kept_ndim; ++d) outputs *= L.kept_sizes[d];
  if (outputs == 0) return;
  const Region g = make_region(L);
  const Outputs o{L.out, L.indices, L.out_dtype, static_cast<int64_t>(element_size(L.out_dtype))};
  int vec_dim = -1;
  for (int d = L.kept_ndim - 1; d >= 0; --d) {
    if (L.kept_in_strides[d] == 1 && L.kept_sizes[d] > 1) {
      vec_dim = d;
      break;
    }
  }
  const bool inner_unit = L.red_ndim > 0 && g.inner_stride == 1 && g.inner > 1;
  if (vec_dim >= 0 && !inner_unit && g.total > 0) {
    per_column<Op, In>(op, L, g, vec_dim, o);
  } else {
    per_output<Op, In>(op, L, g, outputs, o);
  }
}

[[noreturn]] void unsupported(const char* op, DType d) {
  throw DTypeError(str(op, ": the cpu kernel does not support dtype ", dtype_name(d)));
}

void sum_kernel(const ReduceLoop& L, const ScalarArgs& args) {
  dispatch_dtype<kAll>(
      L.in_dtype,
      [&]<typename In>() {
        SumOp<In> op;
        op.mean = args.b != 0.0;
        reduce_typed<In>(L, op);
      },
      [](DType d) { unsupported("sum", d); });
}

void prod_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ProdOp<In>{}); },
      [](DType d) { unsupported("prod", d); });
}

template <bool kMax>
void extreme_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ExtremeOp<In, kMax>{}); },
      [](DType d) { unsupported(kMax ? "amax" : "amin", d); });
}

template <bool kAll>
void logical_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<ember::kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, LogicalOp<In, kAll>{}); },
      [](DType d) { unsupported(kAll ? "all" : "any", d); });
}

// a = correction.
void var_kernel(const ReduceLoop& L, const ScalarArgs& args) {
  dispatch_dtype<kFloat>(
      L.in_dtype,
      [&]<typename In>() {
        VarOp<In> op;
        op.correction = args.a;
        reduce_typed<In>(L, op);
      },
      [](DType d) { unsupported("var", d); });
}

template <bool kMax>
void arg_kernel(const ReduceLoop& L, const ScalarArgs&) {
  dispatch_dtype<kAll>(
      L.in_dtype, [&]<typename In>() { reduce_typed<In>(L, ArgOp<In, kMax>{}); },
      [](DType d) { unsupported(kMax ? "argmax" : "argmin", d); });
}

}  // namespace

EMBER_REGISTER_KERNEL(cpu, sum, &sum_kernel);
EMBER_REGISTER_KERNEL(cpu, prod, &prod_kernel);
EMBER_REGISTER_KERNEL(cpu, amax, &extreme_kernel<true>);
EMBER_REGISTER_KERNEL(cpu, amin, &extreme_kernel<false>);
EMBER_REGISTER_KERNEL(cpu, all, &logical_kernel<true>);
EMBER_REGISTER_KERNEL(cpu, any, &logical_kernel<false>);
EMBER_REGISTER_KERNEL(cpu, var, &var_kernel);
EMBER_REGISTER_KERNEL(cpu, argmax, &arg_kernel<true>);
EMBER_REGISTER_KERNEL(cpu, argmin, &arg_kernel<false>);

}  // namespace ember::cpu
