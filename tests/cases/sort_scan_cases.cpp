// Op-case rows for the sort, scan and softmax families: sort argsort topk unique cumsum cumprod
// softmax log_softmax. References work line by line in float64 with plain loops; sorting
// references break ties by index (std::stable_sort), as the kernels promise, so indices are
// compared exactly for every dtype, f16/bf16 ties included.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

using Line = std::vector<double>;
using LineFn = std::function<std::vector<Line>(const Line&)>;

// Applies f to every line of `a` along `dim`. f returns `nout` output lines, each of one
// length k (the same for every line); output j has a's shape with dim's size replaced by
// that length. A 0-d array is one line of length 1, and its outputs are 0-d again.
std::vector<ref::Array> map_lines(const ref::Array& a, int64_t dim, int nout, const LineFn& f) {
  const int nd = a.shape.size();
  const int d = static_cast<int>(nd == 0 ? 0 : (dim < 0 ? dim + nd : dim));
  const Shape s = nd == 0 ? Shape{1} : a.shape;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= s[i];
  for (int i = d + 1; i < s.size(); ++i) inner *= s[i];
  const int64_t len = s[d];
  // The output lengths, from a dummy line when there are no lines at all.
  std::vector<Line> probe = f(Line(static_cast<size_t>(len), 0.0));
  std::vector<ref::Array> outs;
  for (int j = 0; j < nout; ++j) {
    Shape os = s;
    os[d] = static_cast<int64_t>(probe[j].size());
    outs.push_back(ref::zeros(os));
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      Line line(static_cast<size_t>(len));
      for (int64_t l = 0; l < len; ++l) line[l] = a[(o * len + l) * inner + i];
      std::vector<Line> res = f(line);
      for (int j = 0; j < nout; ++j) {
        const auto k = static_cast<int64_t>(res[j].size());
        for (int64_t l = 0; l < k; ++l) outs[j][(o * k + l) * inner + i] = res[j][l];
      }
    }
  }
  if (nd == 0) {
    for (ref::Array& out : outs) out.shape = Shape{};
  }
  return outs;
}

// Stable order of a line: indices sorted by value, ties by index.
std::vector<int64_t> stable_order(const Line& v, bool descending) {
  std::vector<int64_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](int64_t i, int64_t j) { return descending ? v[i] > v[j] : v[i] < v[j]; });
  return idx;
}

// The first k of the stable order (k < 0: all): values and indices.
std::vector<Line> ref_sorted(const Line& v, bool descending, int64_t k) {
  std::vector<int64_t> idx = stable_order(v, descending);
  const size_t n = k < 0 ? idx.size() : static_cast<size_t>(k);
  Line values(n), indices(n);
  for (size_t j = 0; j < n; ++j) {
    values[j] = v[idx[j]];
    indices[j] = static_cast<double>(idx[j]);
  }
  return {values, indices};
}

Tensors sort_reference(const Tensor& x, int64_t dim, bool descending, int64_t k = -1) {
  auto outs =
      map_lines(ref::of(x), dim, 2, [&](const Line& v) { return ref_sorted(v, descending, k); });
  return {ref::tensor(outs[0]), ref::tensor(outs[1], DType::i64)};
}

// Integer and bool scans accumulate in i64 and wrap modulo 2^64 like the kernel (u8 products
// leave the i64 range in a few steps), so they are computed in uint64 and returned through
// an int64 vector, never through doubles.
Tensors scan_reference(const Tensor& x, int64_t dim, bool product) {
  if (is_floating(x.dtype())) {
    auto outs = map_lines(ref::of(x), dim, 1, [&](const Line& v) {
      Line out(v.size());
      double acc = product ? 1.0 : 0.0;
      for (size_t i = 0; i < v.size(); ++i) out[i] = acc = product ? acc * v[i] : acc + v[i];
      return std::vector<Line>{out};
    });
    return {ref::tensor(outs[0])};
  }
  const std::vector<int64_t> v = x.to_vector<int64_t>();
  const int nd = x.dim();
  const int d = nd == 0 ? 0 : static_cast<int>(dim < 0 ? dim + nd : dim);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.size(i);
  for (int i = d + 1; i < nd; ++i) inner *= x.size(i);
  const int64_t len = nd == 0 ? 1 : x.size(d);
  std::vector<int64_t> out(v.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      uint64_t acc = product ? 1 : 0;
      for (int64_t l = 0; l < len; ++l) {
        const size_t at = static_cast<size_t>((o * len + l) * inner + i);
        const auto e = static_cast<uint64_t>(v[at]);
        acc = product ? acc * e : acc + e;
        out[at] = static_cast<int64_t>(acc);
      }
    }
  }
  return {from_vector(out, x.shape())};
}

Tensors softmax_reference(const Tensor& x, int64_t dim, bool log) {
  auto outs = map_lines(ref::of(x), dim, 1, [&](const Line& v) {
    double m = -INFINITY;
    for (double e : v) m = std::max(m, e);
    double s = 0.0;
    for (double e : v) s += std::exp(e - m);
    Line out(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      out[i] = log ? (v[i] - m) - std::log(s) : std::exp(v[i] - m) / s;
    return std::vector<Line>{out};
  });
  return {ref::tensor(outs[0])};
}

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kInts = {DType::i8, DType::u8, DType::i32, DType::i64};

OpCase sort_row(const std::string& label, Shape shape, int64_t dim, bool desc,
                Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  return OpCase{"sort",
                label,
                {{shape, fill}},
                [=](const Tensors& in) {
                  ValuesIndices r = sort(in[0], dim, desc);
                  return Tensors{r.values, r.indices};
                },
                [=](const Tensors& in) { return sort_reference(in[0], dim, desc); },
                dtypes};
}

OpCase argsort_row(const std::string& label, Shape shape, int64_t dim, bool desc,
                   Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  return OpCase{"argsort",
                label,
                {{shape, fill}},
                [=](const Tensors& in) { return Tensors{argsort(in[0], dim, desc)}; },
                [=](const Tensors& in) { return Tensors{sort_reference(in[0], dim, desc)[1]}; },
                dtypes};
}

OpCase topk_row(const std::string& label, Shape shape, int64_t k, int64_t dim, bool largest,
                Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  return OpCase{"topk",
                label,
                {{shape, fill}},
                [=](const Tensors& in) {
                  ValuesIndices r = topk(in[0], k, dim, largest);
                  return Tensors{r.values, r.indices};
                },
                [=](const Tensors& in) { return sort_reference(in[0], dim, largest, k); },
                dtypes};
}

OpCase unique_row(const std::string& label, Shape shape, Fill fill,
                  std::vector<DType> dtypes = kFloats) {
  return OpCase{"unique",
                label,
                {{shape, fill}},
                [](const Tensors& in) {
                  UniqueResult r = unique(in[0]);
                  return Tensors{r.values, r.inverse, r.counts};
                },
                [](const Tensors& in) {
                  ref::Array a = ref::of(in[0]);
                  Line values = a.v;
                  std::sort(values.begin(), values.end());
                  values.erase(std::unique(values.begin(), values.end()), values.end());
                  ref::Array inverse = ref::zeros(a.shape);
                  ref::Array counts = ref::zeros({static_cast<int64_t>(values.size())});
                  for (int64_t i = 0; i < a.numel(); ++i) {
                    auto pos =
                        std::lower_bound(values.begin(), values.end(), a[i]) - values.begin();
                    inverse[i] = static_cast<double>(pos);
                    counts[pos] += 1;
                  }
                  ref::Array vals{{static_cast<int64_t>(values.size())}, values};
                  return Tensors{ref::tensor(vals), ref::tensor(inverse, DType::i64),
                                 ref::tensor(counts, DType::i64)};
                },
                dtypes};
}

OpCase scan_row(const std::string& op, const std::string& label, Shape shape, int64_t dim,
                Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  const bool product = op == "cumprod";
  return OpCase{op,
                label,
                {{shape, fill}},
                [=](const Tensors& in) {
                  return Tensors{product ? cumprod(in[0], dim) : cumsum(in[0], dim)};
                },
                [=](const Tensors& in) { return scan_reference(in[0], dim, product); },
                dtypes};
}

OpCase softmax_row(const std::string& op, const std::string& label, Shape shape, int64_t dim) {
  const bool log = op == "log_softmax";
  return OpCase{op,
                label,
                {{shape, Fill::normal}},
                [=](const Tensors& in) {
                  return Tensors{log ? log_softmax(in[0], dim) : softmax(in[0], dim)};
                },
                [=](const Tensors& in) { return softmax_reference(in[0], dim, log); }};
}

}  // namespace

EMBER_OP_CASES(sort_scan_cases) {
  std::vector<OpCase> rows = {
      // sort: both directions over every position of dim; 1031-long rows take the radix
      // path, shorter ones std::sort; integer fills make ties, which must keep index order.
      sort_row("last dim ascending", {7, 13}, -1, false),
      sort_row("first dim descending", {7, 13}, 0, true),
      sort_row("middle dim", {3, 5, 4}, 1, false),
      sort_row("negative middle dim descending", {3, 5, 4}, -2, true),
      sort_row("1-d large odd (radix path)", {1031}, 0, false),
      sort_row("large odd rows descending (radix path)", {3, 1031}, -1, true),
      sort_row("ties keep index order (radix path)", {5, 601}, -1, false, Fill::integer),
      sort_row("ties keep index order descending", {5, 601}, 1, true, Fill::integer),
      sort_row("ties, short rows", {11, 37}, -1, true, Fill::integer),
      sort_row("ties over the first dim", {37, 11}, 0, false, Fill::integer),
      sort_row("integer dtypes", {11, 37}, -1, false, Fill::integer, kInts),
      sort_row("integer dtypes descending, radix path", {3, 700}, 1, true, Fill::integer, kInts),
      sort_row("bool", {9, 17}, -1, false, Fill::boolean, {DType::b8}),
      sort_row("bool descending", {9, 600}, -1, true, Fill::boolean, {DType::b8}),
      sort_row("empty outer dim", {0, 5}, 1, false),
      sort_row("empty sorted dim", {4, 0}, -1, true),
      sort_row("size-1", {1, 1}, 0, false),
      sort_row("0-d", {}, -1, false),
      argsort_row("last dim", {7, 13}, -1, false),
      argsort_row("first dim descending", {13, 7}, 0, true),
      argsort_row("middle dim, ties", {3, 17, 4}, 1, false, Fill::integer),
      argsort_row("large odd ties descending", {2, 1031}, -1, true, Fill::integer),
      argsort_row("integer dtypes", {5, 29}, 0, false, Fill::integer, kInts),
      argsort_row("empty", {0, 3}, -1, false),
      // topk: largest and smallest, k from 0 to the whole dim.
      topk_row("largest, last dim", {7, 13}, 4, -1, true),
      topk_row("smallest, first dim", {7, 13}, 3, 0, false),
      topk_row("middle dim", {3, 5, 4}, 2, 1, true),
      topk_row("negative middle dim, smallest", {3, 5, 4}, 5, -2, false),
      topk_row("large odd rows", {2, 1031}, 17, -1, true),
      topk_row("k equals the dim (radix path)", {2, 1031}, 1031, -1, false),
      topk_row("k = 0", {4, 9}, 0, -1, true),
      topk_row("ties go to the lower index", {6, 40}, 10, -1, true, Fill::integer),
      topk_row("ties go to the lower index, smallest", {40, 6}, 7, 0, false, Fill::integer),
      topk_row("integer dtypes", {6, 40}, 9, -1, true, Fill::integer, kInts),
      topk_row("empty outer dim", {0, 5}, 2, 1, true),
      topk_row("0-d", {}, 1, 0, true),
      // unique: flattens; integer fills repeat values.
      unique_row("repeated values", {13, 17}, Fill::integer),
      unique_row("integer dtypes", {13, 17}, Fill::integer, kInts),
      unique_row("mostly distinct, large odd", {1031}, Fill::normal),
      unique_row("bool", {7, 9}, Fill::boolean, {DType::b8}),
      unique_row("empty", {0, 3}, Fill::normal),
      unique_row("0-d", {}, Fill::normal),
  };
  // Scans: f32 and f16/bf16 accumulate in wider types, so long lines stay at the plain
  // tolerance. cumprod uses values below 1 in magnitude on long lines so nothing overflows.
  for (std::string op : {"cumsum", "cumprod"}) {
    const Fill fill = op == "cumsum" ? Fill::normal : Fill::unit;
    std::vector<OpCase> more = {
        scan_row(op, "last dim", {7, 13}, -1, fill),
        scan_row(op, "first dim", {13, 7}, 0, fill),
        scan_row(op, "many rows: lockstep groups of 8 and the rest", {19, 23}, -1, fill),
        scan_row(op, "middle dim", {3, 5, 4}, 1, fill),
        scan_row(op, "negative middle dim, positive values", {3, 5, 4}, -2, Fill::positive),
        scan_row(op, "inner wider than one block", {2, 9, 300}, 1, fill),
        scan_row(op, "1-d large odd", {1031}, 0, fill),
        scan_row(op, "large odd middle dim", {3, 1031, 2}, -2, fill),
        scan_row(op, "integer dtypes -> i64", {17, 13}, -1, Fill::integer, kInts),
        scan_row(op, "integer dtypes over the first dim", {13, 7}, 0, Fill::integer, kInts),
        scan_row(op, "bool -> i64", {5, 11}, 1, Fill::boolean, {DType::b8}),
        scan_row(op, "empty outer dim", {0, 4}, 1, fill),
        scan_row(op, "empty scanned dim", {4, 0}, 1, fill),
        scan_row(op, "size-1", {1, 1}, -1, fill),
        scan_row(op, "0-d", {}, 0, fill),
    };
    rows.insert(rows.end(), more.begin(), more.end());
  }
  for (std::string op : {"softmax", "log_softmax"}) {
    std::vector<OpCase> more = {
        softmax_row(op, "last dim", {7, 13}, -1),
        softmax_row(op, "first dim", {13, 7}, 0),
        softmax_row(op, "middle dim", {3, 5, 4}, 1),
        softmax_row(op, "negative middle dim", {3, 5, 4}, -2),
        softmax_row(op, "inner wider than one block", {2, 3, 70}, 1),
        softmax_row(op, "large odd rows", {3, 1031}, -1),
        softmax_row(op, "large odd first dim", {1031, 3}, 0),
        softmax_row(op, "empty outer dim", {0, 5}, -1),
        softmax_row(op, "empty softmax dim", {5, 0}, -1),
        softmax_row(op, "size-1", {1, 1}, -1),
        softmax_row(op, "0-d", {}, 0),
    };
    rows.insert(rows.end(), more.begin(), more.end());
  }
  for (OpCase& c : rows) {
    if (c.op == "unique") {
      c.grad = grad_none("unique records no gradient: its values are not differentiable in a "
                         "useful sense (docs/internals/autograd.md)");
    } else if ((c.op == "sort" || c.op == "topk") && c.label.find("ties") != std::string::npos) {
      c.grad = grad_none("integer fill: tied values, where sorting is not differentiable (the "
                         "gradient follows the index the kernel picked)");
    } else if (c.op == "topk" && c.label.find("k equals the dim") != std::string::npos) {
      c.grad = grad_none("k = 1031 fixes the size at 2062 elements, too many to differentiate "
                         "numerically; topk's other rows are gradchecked");
    }
  }
  shrink_for_gradcheck(rows);
  return rows;
}

}  // namespace ember::testing
