// Op-case rows for the reductions (sum prod amax amin all any var argmax argmin) and the
// composite reductions (mean std max min logsumexp norm). The reference groups the float64 input
// values by output element with plain loops and reduces each group in double.
#include <algorithm>
#include <cmath>
#include <optional>

#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

using Values = std::vector<double>;
using GroupFn = std::function<double(const Values&)>;

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};

// The input's values grouped by output element (reduced dims in row-major order), plus the
// output shape with and without keepdim. Empty dims: every dim.
struct Groups {
  Shape out_shape, keep_shape;
  std::vector<Values> values;
};

Groups group(const ref::Array& a, const Shape& dims) {
  const int nd = a.shape.size();
  bool reduced[kMaxDims] = {};
  for (int64_t d : dims) reduced[d < 0 ? d + std::max(nd, 1) : d] = true;
  if (dims.empty()) std::fill(reduced, reduced + kMaxDims, true);
  Groups g;
  for (int d = 0; d < nd; ++d) {
    g.keep_shape.push_back(reduced[d] ? 1 : a.shape[d]);
    if (!reduced[d]) g.out_shape.push_back(a.shape[d]);
  }
  g.values.resize(static_cast<size_t>(g.out_shape.numel()));
  for (int64_t i = 0; i < a.numel(); ++i) {
    Shape idx = ref::unravel(i, a.shape), out_idx;
    for (int d = 0; d < nd; ++d) {
      if (!reduced[d]) out_idx.push_back(idx[d]);
    }
    g.values[static_cast<size_t>(ref::ravel(out_idx, g.out_shape))].push_back(a[i]);
  }
  return g;
}

Tensor reduce_ref(const Tensor& x, const Shape& dims, bool keepdim, const GroupFn& f,
                  DType out = DType::f64) {
  Groups g = group(ref::of(x), dims);
  ref::Array r = ref::zeros(keepdim ? g.keep_shape : g.out_shape);
  for (size_t k = 0; k < g.values.size(); ++k) r[static_cast<int64_t>(k)] = f(g.values[k]);
  return ref::tensor(r, out);
}

// --- reference reducers on one group ----------------------------------------------------------

double r_sum(const Values& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double r_prod(const Values& v) {
  double p = 1;
  for (double x : v) p *= x;
  return p;
}
double r_max(const Values& v) {
  double m = -INFINITY;
  for (double x : v) m = std::max(m, x);
  return m;
}
double r_min(const Values& v) {
  double m = INFINITY;
  for (double x : v) m = std::min(m, x);
  return m;
}
double r_all(const Values& v) {
  for (double x : v) {
    if (x == 0) return 0;
  }
  return 1;
}
double r_any(const Values& v) {
  for (double x : v) {
    if (x != 0) return 1;
  }
  return 0;
}
double r_mean(const Values& v) { return r_sum(v) / static_cast<double>(v.size()); }
GroupFn r_var(int64_t correction) {
  return [correction](const Values& v) {
    double mean = r_mean(v), m2 = 0;
    for (double x : v) m2 += (x - mean) * (x - mean);
    return m2 / std::max(static_cast<double>(v.size()) - static_cast<double>(correction), 0.0);
  };
}
GroupFn r_std(int64_t correction) {
  return [correction](const Values& v) { return std::sqrt(r_var(correction)(v)); };
}
// Index of the first maximum (kMax) or minimum.
template <bool kMax>
double r_arg(const Values& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (kMax ? v[i] > v[best] : v[i] < v[best]) best = i;
  }
  return static_cast<double>(best);
}
double r_logsumexp(const Values& v) {
  if (v.empty()) return -INFINITY;
  double m = r_max(v), s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}
double r_norm1(const Values& v) {
  double s = 0;
  for (double x : v) s += std::fabs(x);
  return s;
}
double r_norm2(const Values& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}
double r_norminf(const Values& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// --- row builders -----------------------------------------------------------------------------

struct Geometry {
  Shape shape;
  Shape dims;
  bool keepdim;
  std::string label;
};

// The situations every op runs through. `identity` adds the empty reductions.
std::vector<Geometry> standard_geometries(bool identity) {
  std::vector<Geometry> g = {
      {{5, 7, 3}, {}, false, "all dims"},
      {{5, 7, 3}, {2}, false, "inner dim"},
      {{5, 7, 3}, {0}, false, "outer dim"},
      {{5, 7, 3}, {0, 2}, false, "dims {0, 2}"},
      {{5, 7, 3}, {-2}, true, "dim -2 keepdim"},
      {{5, 7, 3}, {2, 0}, true, "dims {2, 0} keepdim"},
      {{5, 1, 3}, {1}, false, "size-1 reduced dim"},
      {{1, 6}, {}, false, "size-1 dim, all dims"},
      {{4, 5, 6, 7}, {0, 2}, false, "4-d dims {0, 2}: unit-stride kept dim under a slab"},
      {{}, {}, false, "0-d"},
      {{0, 4}, {1}, false, "empty output"},
      {{1031, 257}, {0}, false, "large prime dims, dim 0"},
      {{1031, 257}, {1}, false, "large prime dims, dim 1"},
      {{100003}, {}, false, "large full reduction"},
      {{3, 70001}, {1}, false, "few long rows: chunked across threads"},
      {{70001, 3}, {0}, false, "few long columns: row groups across threads"},
      {{300, 3, 301}, {0, 2}, false, "few outputs over dims {0, 2}: chunks cut runs"},
      {{6, 2503}, {0}, false, "wide rows: several column chunks"},
  };
  if (identity) {
    g.push_back({{0, 4}, {0}, false, "empty reduced dim"});
    g.push_back({{3, 0}, {}, true, "empty, all dims keepdim"});
  }
  return g;
}

using ReduceFn = std::function<Tensor(const Tensor&, const Shape&, bool)>;

OpCase row(const std::string& op, const Geometry& g, const ReduceFn& run, const GroupFn& f,
           DType ref_out = DType::f64, Fill fill = Fill::normal,
           std::vector<DType> dtypes = kFloats, const std::string& note = "") {
  OpCase c;
  c.op = op;
  c.label = g.label + note;
  c.inputs = {Input{g.shape, fill}};
  Shape dims = g.dims;
  bool keepdim = g.keepdim;
  c.run = [run, dims, keepdim](const Tensors& in) { return Tensors{run(in[0], dims, keepdim)}; };
  c.reference = [f, dims, keepdim, ref_out](const Tensors& in) {
    return Tensors{reduce_ref(in[0], dims, keepdim, f, ref_out)};
  };
  c.dtypes = std::move(dtypes);
  return c;
}

void add_standard(std::vector<OpCase>& rows, const std::string& op, bool identity,
                  const ReduceFn& run, const GroupFn& f, Fill fill = Fill::normal) {
  for (const Geometry& g : standard_geometries(identity))
    rows.push_back(row(op, g, run, f, DType::f64, fill));
}

// argmax/argmin (indices only) or max/min with a dim (values and indices).
OpCase arg_row(const std::string& op, bool is_max, bool values, Shape shape,
               std::optional<int64_t> dim, bool keepdim, const std::string& label,
               std::vector<DType> dtypes = kFloats) {
  OpCase c;
  c.op = op;
  c.label = label;
  c.inputs = {Input{shape, Fill::normal}};
  c.dtypes = std::move(dtypes);
  c.run = [=](const Tensors& in) -> Tensors {
    if (values) {
      ValuesIndices r = is_max ? max(in[0], *dim, keepdim) : min(in[0], *dim, keepdim);
      return {r.values, r.indices};
    }
    return {is_max ? argmax(in[0], dim, keepdim) : argmin(in[0], dim, keepdim)};
  };
  c.reference = [=](const Tensors& in) -> Tensors {
    Shape dims = dim ? Shape{*dim} : Shape{};
    GroupFn idx = is_max ? GroupFn(r_arg<true>) : GroupFn(r_arg<false>);
    Tensor indices = reduce_ref(in[0], dims, keepdim, idx, DType::i64);
    if (!dim && keepdim) indices = indices.reshape(Shape::filled(in[0].dim(), 1));
    if (!values) return {indices};
    return {reduce_ref(in[0], dims, keepdim, is_max ? GroupFn(r_max) : GroupFn(r_min)), indices};
  };
  return c;
}

void add_arg_rows(std::vector<OpCase>& rows, const std::string& op, bool is_max, bool values) {
  const std::vector<DType> ints = {DType::i32, DType::i64, DType::u8};
  // Ties are likely in f16/bf16 (and in the integer rows): ember and the reference both take
  // the first occurrence among the rounded input values.
  if (!values) {
    rows.push_back(arg_row(op, is_max, false, {5, 7, 3}, {}, false, "flattened"));
    rows.push_back(arg_row(op, is_max, false, {5, 7, 3}, {}, true, "flattened keepdim"));
    rows.push_back(arg_row(op, is_max, false, {}, {}, false, "0-d flattened"));
    rows.push_back(arg_row(op, is_max, false, {100003}, {}, false, "large flattened"));
  }
  rows.push_back(arg_row(op, is_max, values, {5, 7, 3}, 2, false, "inner dim"));
  rows.push_back(arg_row(op, is_max, values, {5, 7, 3}, 0, false, "outer dim"));
  rows.push_back(arg_row(op, is_max, values, {5, 7, 3}, -2, true, "dim -2 keepdim"));
  rows.push_back(arg_row(op, is_max, values, {5, 1, 3}, 1, false, "size-1 dim"));
  rows.push_back(arg_row(op, is_max, values, {}, 0, false, "0-d, dim 0"));
  rows.push_back(arg_row(op, is_max, values, {0, 4}, 1, false, "empty output"));
  rows.push_back(arg_row(op, is_max, values, {1031, 257}, 0, false, "large prime dims, dim 0"));
  rows.push_back(arg_row(op, is_max, values, {1031, 257}, 1, false, "large prime dims, dim 1"));
  rows.push_back(arg_row(op, is_max, values, {2, 70001}, 1, false, "few long rows: chunked"));
  rows.push_back(arg_row(op, is_max, values, {70001, 2}, 0, false, "few long columns: row groups"));
  rows.push_back(arg_row(op, is_max, values, {17, 9}, 1, false, "integer input", ints));
}

}  // namespace

EMBER_OP_CASES(reduce_cases) {
  std::vector<OpCase> rows;
  using T = const Tensor&;
  using S = const Shape&;

  // sum: floats keep their dtype; integers and bool give i64, exactly.
  add_standard(
      rows, "sum", true, [](T x, S d, bool k) { return sum(x, d, k); }, r_sum);
  for (const Geometry& g : {Geometry{{5, 7, 3}, {0, 2}, false, "integer input, dims {0, 2}"},
                            Geometry{{1031, 257}, {0}, false, "integer input, large, dim 0"},
                            Geometry{{100003}, {}, false, "integer input, large full"}}) {
    rows.push_back(row("sum", g, [](T x, S d, bool k) { return sum(x, d, k); }, r_sum, DType::i64,
                       Fill::integer, {DType::i32, DType::i64, DType::i8, DType::u8}));
  }
  rows.push_back(row("sum", {{33, 65}, {1}, false, "bool input counts"},
                     [](T x, S d, bool k) { return sum(x, d, k); }, r_sum, DType::i64,
                     Fill::boolean, {DType::b8}));

  // prod: every product has at most 12 factors from [0.1, 3) so f16 neither overflows nor
  // loses its range; long products would only test overflow, not the kernel.
  {
    ReduceFn run = [](T x, S d, bool k) { return prod(x, d, k); };
    std::vector<Geometry> geos = {
        {{2, 3, 2}, {}, false, "all dims (12 factors)"},
        {{5, 7, 3}, {2}, false, "inner dim"},
        {{5, 7, 3}, {0}, false, "outer dim"},
        {{3, 7, 2}, {0, 2}, false, "dims {0, 2}"},
        {{5, 7, 3}, {-2}, true, "dim -2 keepdim"},
        {{5, 1, 3}, {1}, false, "size-1 reduced dim"},
        {{}, {}, false, "0-d"},
        {{0, 4}, {0}, false, "empty reduced dim"},
        {{1031, 7}, {1}, false, "large prime rows, short products"},
        {{9, 1031}, {0}, false, "large prime columns, short products"},
    };
    for (const Geometry& g : geos)
      rows.push_back(row("prod", g, run, r_prod, DType::f64, Fill::positive));
    rows.push_back(row("prod", {{6, 5}, {1}, false, "integer input"}, run, r_prod, DType::i64,
                       Fill::integer, {DType::i32, DType::i64, DType::u8}));
  }

  // amax / amin keep the dtype; no identity.
  add_standard(
      rows, "amax", false, [](T x, S d, bool k) { return amax(x, d, k); }, r_max);
  add_standard(
      rows, "amin", false, [](T x, S d, bool k) { return amin(x, d, k); }, r_min);
  for (const char* op : {"amax", "amin"}) {
    bool is_max = std::string(op) == "amax";
    ReduceFn run = [is_max](T x, S d, bool k) { return is_max ? amax(x, d, k) : amin(x, d, k); };
    rows.push_back(row(op, {{31, 17}, {0}, false, "integer input"}, run,
                       is_max ? GroupFn(r_max) : GroupFn(r_min), DType::f64, Fill::integer,
                       {DType::i32, DType::i64, DType::i8, DType::u8}));
  }

  // all / any: bool output; any dtype, nonzero is true (integer fills include zeros).
  for (const char* op : {"all", "any"}) {
    bool is_all = std::string(op) == "all";
    ReduceFn run = [is_all](T x, S d, bool k) { return is_all ? all(x, d, k) : any(x, d, k); };
    GroupFn f = is_all ? GroupFn(r_all) : GroupFn(r_any);
    for (const Geometry& g : standard_geometries(true)) {
      rows.push_back(row(op, g, run, f, DType::b8, Fill::boolean, {DType::b8}));
    }
    for (const Geometry& g : {Geometry{{4, 9}, {1}, false, "numeric input, zeros are false"},
                              Geometry{{9, 4}, {0}, true, "numeric input, dim 0 keepdim"}}) {
      rows.push_back(row(op, g, run, f, DType::b8, Fill::integer,
                         {DType::f32, DType::f16, DType::i32, DType::u8}));
    }
  }

  // var / std: Welford in double; N - correction <= 0 gives NaN (0/0) or inf.
  add_standard(
      rows, "var", true, [](T x, S d, bool k) { return var(x, d, 1, k); }, r_var(1));
  rows.push_back(row(
      "var", {{5, 7, 3}, {1}, false, "correction 0"},
      [](T x, S d, bool k) { return var(x, d, 0, k); }, r_var(0)));
  rows.push_back(row(
      "var", {{5, 2, 3}, {1}, false, "correction 3 > N: inf"},
      [](T x, S d, bool k) { return var(x, d, 3, k); }, r_var(3)));
  rows.back().grad = grad_none("N - correction < 0: the kernel returns inf, which has no "
                               "derivative (the rule's finite value divides by N - correction)");
  add_standard(
      rows, "std", true, [](T x, S d, bool k) { return std(x, d, 1, k); }, r_std(1));
  rows.push_back(row(
      "std", {{5, 7, 3}, {0, 2}, false, "correction 0"},
      [](T x, S d, bool k) { return std(x, d, 0, k); }, r_std(0)));

  // mean: the sum's accumulator divided by N; empty gives NaN.
  add_standard(
      rows, "mean", true, [](T x, S d, bool k) { return mean(x, d, k); }, r_mean);

  add_arg_rows(rows, "argmax", true, false);
  add_arg_rows(rows, "argmin", false, false);
  add_arg_rows(rows, "max", true, true);
  add_arg_rows(rows, "min", false, true);
  for (const char* op : {"max", "min"}) {
    bool is_max = std::string(op) == "max";
    for (const Shape& s : {Shape{5, 7, 3}, Shape{}, Shape{100003}}) {
      rows.push_back(row(
          op, {s, {}, false, "of all elements"},
          [is_max](T x, S, bool) { return is_max ? max(x) : min(x); },
          is_max ? GroupFn(r_max) : GroupFn(r_min)));
    }
  }

  add_standard(
      rows, "logsumexp", true, [](T x, S d, bool k) { return logsumexp(x, d, k); }, r_logsumexp);

  add_standard(
      rows, "norm", true, [](T x, S d, bool k) { return norm(x, 2.0, d, k); }, r_norm2);
  for (const Geometry& g : {Geometry{{5, 7, 3}, {0, 2}, false, "p=1, dims {0, 2}"},
                            Geometry{{1031, 257}, {1}, false, "p=1, large dim 1"},
                            Geometry{{0, 4}, {0}, false, "p=1, empty reduced dim"}}) {
    rows.push_back(row(
        "norm", g, [](T x, S d, bool k) { return norm(x, 1.0, d, k); }, r_norm1));
  }
  for (const Geometry& g : {Geometry{{5, 7, 3}, {1}, true, "p=inf, dim 1 keepdim"},
                            Geometry{{100003}, {}, false, "p=inf, large full"}}) {
    rows.push_back(row(
        "norm", g, [](T x, S d, bool k) { return norm(x, INFINITY, d, k); }, r_norminf));
  }
  shrink_for_gradcheck(rows);
  return rows;
}

}  // namespace ember::testing
