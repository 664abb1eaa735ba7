// Op-case rows for the indexing ops: gather, scatter, scatter_add, index_select, index_add,
// masked_select, one_hot, embedding. References are plain coordinate loops over ref::Array.
#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

using ref::Array;

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kAllTypes = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i64,
                                      DType::i32, DType::i8,  DType::u8,  DType::b8};
// Sums of Fill::integer values stay small, so i8 cannot overflow; u8 would wrap (the float64
// reference does not) and bool has no add.
const std::vector<DType> kAddTypes = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                      DType::i64, DType::i32, DType::i8};

int wrap(int64_t dim, int ndim) { return static_cast<int>(dim < 0 ? dim + ndim : dim); }

// Fill::index draws [0, 2n); subtracting n gives [-n, n), so about half the indices are
// negative. The kernels see the result in the layout of the drawn tensor (strided rows too).
Tensor shift_index(const Tensor& idx, int64_t by) {
  if (by == 0) return idx;
  std::vector<int64_t> v = idx.to_vector<int64_t>();
  for (int64_t& x : v) x -= by;
  Tensor out = empty_strided(idx.shape(), idx.strides(), DType::i64, idx.device());
  out.copy_(from_vector(v, idx.shape()).to(idx.device()));
  return out;
}

// The reference's view of the same transformation, with negatives wrapped by `bound`.
int64_t index_at(const Array& idx, int64_t i, int64_t shift, int64_t bound) {
  int64_t v = static_cast<int64_t>(idx[i]) - shift;
  return v < 0 ? v + bound : v;
}

Input index_input(const Shape& shape, int64_t n, bool negative) {
  return Input{shape, Fill::index, negative ? 2 * n : n, DType::i64};
}

// The shift_index a run applies: the size of x along d for negative indices. Taken from the
// input, not the row's shapes, so a row runs on its smaller grad_inputs too.
int64_t shift_of(const Tensor& x, int d, bool negative) {
  if (!negative) return 0;
  return x.dim() == 0 ? 1 : x.size(d);
}

// --- gather / scatter / scatter_add -------------------------------------------------------

Array gather_ref(const Array& x, int d, const Array& idx, int64_t shift) {
  Array out = ref::zeros(idx.shape);
  for (int64_t i = 0; i < idx.numel(); ++i) {
    Shape c = ref::unravel(i, idx.shape);
    c[d] = index_at(idx, i, shift, x.shape[d]);
    out[i] = x[ref::ravel(c, x.shape)];
  }
  return out;
}

OpCase gather_case(std::string label, Shape xs, Shape is, int64_t dim, bool negative = false,
                   Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  int d = wrap(dim, std::max(xs.size(), 1));
  int64_t n = xs.size() == 0 ? 1 : xs[d];
  int64_t shift = negative ? n : 0;
  return OpCase{
      .op = "gather",
      .label = std::move(label),
      .inputs = {Input{xs, fill}, index_input(is, n, negative)},
      .run = [=](const Tensors& in) -> Tensors {
        return {gather(in[0], dim, shift_index(in[1], shift_of(in[0], d, negative)))};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        if (in[0].dim() == 0) return {ref::tensor(ref::of(in[0]))};
        return {ref::tensor(gather_ref(ref::of(in[0]), d, ref::of(in[1]), shift))};
      },
      .dtypes = std::move(dtypes),
  };
}

// out = x; out[i with i[dim] = index[i]] (+)= src[i] in row-major order, so the last of
// several writes to one target wins (ember's scatter is deterministic in that order).
Array scatter_ref(const Array& x, int d, const Array& idx, const Array& src, int64_t shift,
                  bool add) {
  Array out = x;
  for (int64_t i = 0; i < idx.numel(); ++i) {
    Shape c = ref::unravel(i, idx.shape);
    double v = src[ref::ravel(c, src.shape)];
    c[d] = index_at(idx, i, shift, x.shape[d]);
    double& t = out[ref::ravel(c, x.shape)];
    t = add ? t + v : v;
  }
  return out;
}

OpCase scatter_case(std::string op, std::string label, Shape xs, Shape is, Shape ss, int64_t dim,
                    bool negative = false, Fill fill = Fill::normal,
                    std::vector<DType> dtypes = kFloats) {
  int d = wrap(dim, std::max(xs.size(), 1));
  int64_t n = xs.size() == 0 ? 1 : xs[d];
  int64_t shift = negative ? n : 0;
  bool add = op == "scatter_add";
  return OpCase{
      .op = op,
      .label = std::move(label),
      .inputs = {Input{xs, fill}, index_input(is, n, negative), Input{ss, fill}},
      .run = [=](const Tensors& in) -> Tensors {
        Tensor idx = shift_index(in[1], shift_of(in[0], d, negative));
        return {add ? scatter_add(in[0], dim, idx, in[2]) : scatter(in[0], dim, idx, in[2])};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        if (in[0].dim() == 0) {
          double v = add ? in[0].item() + in[2].item() : in[2].item();
          return {ref::tensor(Array{{}, {v}})};
        }
        return {ref::tensor(
            scatter_ref(ref::of(in[0]), d, ref::of(in[1]), ref::of(in[2]), shift, add))};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase scatter_value_case(std::string label, Shape xs, Shape is, int64_t dim, double value) {
  int d = wrap(dim, xs.size());
  return OpCase{
      .op = "scatter",
      .label = std::move(label),
      .inputs = {Input{xs}, index_input(is, xs[d], false)},
      .run = [=](const Tensors& in) -> Tensors { return {scatter(in[0], dim, in[1], value)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        Array idx = ref::of(in[1]);
        Array src = ref::zeros(idx.shape);
        for (double& v : src.v) v = value;
        return {ref::tensor(scatter_ref(ref::of(in[0]), d, idx, src, 0, false))};
      },
  };
}

// --- index_select / index_add / embedding ---------------------------------------------------

Array index_select_ref(const Array& x, int d, const Array& idx, int64_t shift) {
  Shape s = x.shape;
  s[d] = idx.numel();
  Array out = ref::zeros(s);
  for (int64_t i = 0; i < out.numel(); ++i) {
    Shape c = ref::unravel(i, s);
    c[d] = index_at(idx, c[d], shift, x.shape[d]);
    out[i] = x[ref::ravel(c, x.shape)];
  }
  return out;
}

OpCase index_select_case(std::string label, Shape xs, Shape is, int64_t dim, bool negative = false,
                         Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats,
                         bool i32_index = false) {
  int d = wrap(dim, xs.size());
  int64_t n = xs[d];
  int64_t shift = negative ? n : 0;
  return OpCase{
      .op = "index_select",
      .label = std::move(label),
      .inputs = {Input{xs, fill}, index_input(is, n, negative)},
      .run = [=](const Tensors& in) -> Tensors {
        Tensor idx = shift_index(in[1], shift_of(in[0], d, negative));
        return {index_select(in[0], dim, i32_index ? idx.to(DType::i32) : idx)};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        return {ref::tensor(index_select_ref(ref::of(in[0]), d, ref::of(in[1]), shift))};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase index_add_case(std::string label, Shape xs, int64_t len, int64_t dim, double alpha,
                      bool negative = false, Fill fill = Fill::integer,
                      std::vector<DType> dtypes = kFloats) {
  int d = wrap(dim, xs.size());
  int64_t n = xs[d];
  int64_t shift = negative ? n : 0;
  Shape ss = xs;
  ss[d] = len;
  return OpCase{
      .op = "index_add",
      .label = std::move(label),
      .inputs = {Input{xs, fill}, index_input({len}, n, negative), Input{ss, fill}},
      .run = [=](const Tensors& in) -> Tensors {
        return {
            index_add(in[0], dim, shift_index(in[1], shift_of(in[0], d, negative)), in[2], alpha)};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        Array out = ref::of(in[0]), idx = ref::of(in[1]), src = ref::of(in[2]);
        for (int64_t i = 0; i < src.numel(); ++i) {
          Shape c = ref::unravel(i, src.shape);
          c[d] = index_at(idx, c[d], shift, n);
          out[ref::ravel(c, out.shape)] += alpha * src[i];
        }
        return {ref::tensor(out)};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase embedding_case(std::string label, Shape ws, Shape is, bool i32_index = false) {
  return OpCase{
      .op = "embedding",
      .label = std::move(label),
      .inputs = {Input{ws}, index_input(is, ws[0], false)},
      .run = [=](const Tensors& in) -> Tensors {
        return {embedding(in[0], i32_index ? in[1].to(DType::i32) : in[1])};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        Array w = ref::of(in[0]), idx = ref::of(in[1]);
        Shape s = idx.shape;
        s.push_back(ws[1]);
        Array out = ref::zeros(s);
        for (int64_t i = 0; i < out.numel(); ++i) {
          int64_t row = static_cast<int64_t>(idx[i / ws[1]]);
          out[i] = w[row * ws[1] + i % ws[1]];
        }
        return {ref::tensor(out)};
      },
  };
}

// --- masked_select / one_hot ----------------------------------------------------------------

OpCase masked_select_case(std::string label, Shape xs, Shape ms, Fill fill = Fill::normal,
                          std::vector<DType> dtypes = kFloats) {
  return OpCase{
      .op = "masked_select",
      .label = std::move(label),
      .inputs = {Input{xs, fill}, Input{ms, Fill::boolean, 0, DType::b8}},
      .run = [](const Tensors& in) -> Tensors { return {masked_select(in[0], in[1])}; },
      .reference = [](const Tensors& in) -> Tensors {
        Array x = ref::of(in[0]), m = ref::of(in[1]);
        Shape s = broadcast_shapes(x.shape, m.shape, "ref");
        std::vector<double> v;
        for (int64_t i = 0; i < s.numel(); ++i) {
          Shape c = ref::unravel(i, s);
          if (m[ref::broadcast_index(c, s, m.shape)] != 0) {
            v.push_back(x[ref::broadcast_index(c, s, x.shape)]);
          }
        }
        return {ref::tensor(Array{{static_cast<int64_t>(v.size())}, v})};
      },
      .dtypes = std::move(dtypes),
  };
}

// Every input is i64, so the row's dtype is irrelevant: one dtype is enough.
OpCase one_hot_case(std::string label, Shape is, int64_t bound, int64_t num_classes) {
  return OpCase{
      .op = "one_hot",
      .label = std::move(label),
      .inputs = {index_input(is, bound, false)},
      .run = [=](const Tensors& in) -> Tensors { return {one_hot(in[0], num_classes)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        Array idx = ref::of(in[0]);
        int64_t classes = num_classes;
        if (classes < 0) {
          classes = 0;
          for (double v : idx.v) classes = std::max(classes, static_cast<int64_t>(v) + 1);
        }
        Shape s = idx.shape;
        s.push_back(classes);
        Array out = ref::zeros(s);
        for (int64_t i = 0; i < idx.numel(); ++i)
          out[i * classes + static_cast<int64_t>(idx[i])] = 1;
        return {ref::tensor(out, DType::i64)};
      },
      .dtypes = {DType::i64},
  };
}

}  // namespace

EMBER_OP_CASES(index_cases) {
  std::vector<OpCase> c;
  // gather
  c.push_back(gather_case("2-d along the last dim", {5, 7}, {5, 4}, 1));
  c.push_back(gather_case("dim 0, index smaller than the input", {6, 3}, {4, 2}, 0));
  c.push_back(
      gather_case("middle dim, index longer than the input along dim", {3, 5, 4}, {3, 9, 2}, 1));
  c.push_back(gather_case("negative dim and negative indices", {4, 6}, {4, 6}, -1, true));
  c.push_back(gather_case("empty index", {3, 4}, {3, 0}, 1));
  c.push_back(gather_case("empty input off the gather dim", {0, 4}, {0, 2}, 1));
  c.push_back(gather_case("0-d", {}, {}, 0));
  c.push_back(gather_case("1-d with repeats", {11}, {20}, 0));
  c.push_back(gather_case("size-1 dims", {1, 7, 1}, {1, 3, 1}, -2, true));
  c.push_back(gather_case("large odd, last dim (threads)", {131, 257}, {131, 263}, 1));
  c.back().grad_inputs = {Input{{5, 6}}, index_input({5, 7}, 6, false)};
  c.push_back(gather_case("large odd, dim 0 (threads)", {263, 131}, {257, 131}, 0, true));
  c.back().grad_inputs = {Input{{6, 5}}, index_input({7, 5}, 6, true)};
  c.push_back(gather_case("every dtype", {4, 9}, {4, 5}, 1, false, Fill::integer, kAllTypes));

  // scatter
  c.push_back(scatter_case("scatter", "dim 0 with duplicates (last write wins)", {5, 4}, {7, 4},
                           {7, 4}, 0));
  c.push_back(
      scatter_case("scatter", "last dim, src larger than the index", {4, 6}, {4, 3}, {5, 8}, 1));
  c.push_back(scatter_case("scatter", "middle dim of 3-d", {3, 4, 5}, {2, 6, 5}, {2, 6, 5}, 1));
  c.push_back(scatter_case("scatter", "negative dim and negative indices", {4, 6}, {4, 6}, {4, 6},
                           -1, true));
  c.push_back(scatter_case("scatter", "empty index leaves the input", {3, 4}, {0, 4}, {0, 4}, 0));
  c.push_back(scatter_case("scatter", "0-d", {}, {}, {}, 0));
  c.push_back(scatter_case("scatter", "large, dim 0 (threads split the trailing dims)", {50, 1031},
                           {40, 1031}, {40, 1031}, 0));
  c.back().grad_inputs = {Input{{5, 6}}, index_input({4, 6}, 5, false), Input{{4, 6}}};
  c.push_back(scatter_case("scatter", "large, last dim (threads split the leading dims)",
                           {257, 131}, {257, 131}, {257, 131}, 1, true));
  c.back().grad_inputs = {Input{{5, 6}}, index_input({5, 6}, 6, true), Input{{5, 6}}};
  c.push_back(scatter_case("scatter", "large, middle dim with 3 leading rows", {3, 40, 300},
                           {3, 40, 300}, {3, 40, 300}, 1));
  c.back().grad_inputs = {Input{{3, 4, 5}}, index_input({3, 4, 5}, 4, false), Input{{3, 4, 5}}};
  c.push_back(scatter_case("scatter", "every dtype", {4, 6}, {4, 6}, {4, 6}, 1, false,
                           Fill::integer, kAllTypes));
  c.push_back(scatter_value_case("scalar value", {6, 5}, {3, 5}, 0, 2.5));
  c.push_back(scatter_value_case("scalar value, last dim", {4, 9}, {4, 11}, -1, -1.25));

  // scatter_add: integer-valued inputs make every sum exact in f16/bf16 too
  c.push_back(scatter_case("scatter_add", "dim 0, many duplicates", {3, 5}, {20, 5}, {20, 5}, 0,
                           false, Fill::integer));
  c.push_back(scatter_case("scatter_add", "last dim, normal values, src larger", {4, 6}, {4, 5},
                           {4, 7}, 1, false, Fill::normal, {DType::f32, DType::f64}));
  c.push_back(scatter_case("scatter_add", "middle dim of 3-d", {3, 4, 5}, {3, 8, 5}, {3, 8, 5}, 1,
                           false, Fill::integer));
  c.push_back(scatter_case("scatter_add", "negative dim and negative indices", {4, 6}, {4, 9},
                           {4, 9}, -1, true, Fill::integer));
  c.push_back(
      scatter_case("scatter_add", "empty index", {3, 4}, {3, 0}, {3, 0}, 1, false, Fill::integer));
  c.push_back(scatter_case("scatter_add", "0-d", {}, {}, {}, 0, false, Fill::integer));
  c.push_back(scatter_case("scatter_add", "large, dim 0 (threads split the trailing dims)",
                           {7, 5003}, {7, 5003}, {7, 5003}, 0, false, Fill::integer));
  c.back().grad_inputs = {Input{{4, 6}, Fill::integer}, index_input({4, 6}, 4, false),
                          Input{{4, 6}, Fill::integer}};
  c.push_back(scatter_case("scatter_add", "large, last dim (threads split the leading dims)",
                           {263, 127}, {263, 131}, {263, 131}, 1, true, Fill::integer));
  c.back().grad_inputs = {Input{{5, 6}, Fill::integer}, index_input({5, 7}, 6, true),
                          Input{{5, 7}, Fill::integer}};
  c.push_back(scatter_case("scatter_add", "numeric dtypes", {5, 4}, {9, 4}, {9, 4}, 0, false,
                           Fill::integer, kAddTypes));

  // index_select
  c.push_back(index_select_case("dim 0 with repeated rows", {6, 5}, {9}, 0));
  c.push_back(index_select_case("last dim", {4, 7}, {5}, 1));
  c.push_back(index_select_case("middle dim of 3-d", {3, 6, 4}, {8}, 1));
  c.push_back(index_select_case("negative dim and negative indices", {4, 7}, {10}, -1, true));
  c.push_back(index_select_case("empty index", {4, 7}, {0}, 0));
  c.push_back(index_select_case("empty input off the selected dim", {4, 0, 3}, {5}, 0));
  c.push_back(index_select_case("0-d index", {5, 3}, {}, 0));
  c.push_back(index_select_case("1-d", {13}, {20}, 0));
  c.push_back(index_select_case("i32 index", {5, 6}, {7}, 0, false, Fill::normal, kFloats, true));
  c.push_back(index_select_case("large, dim 0 (embedding-like rows)", {1009, 37}, {1013}, 0));
  c.back().grad_inputs = {Input{{7, 5}}, index_input({9}, 7, false)};
  c.push_back(index_select_case("large, last dim", {131, 263}, {257}, 1, true));
  c.back().grad_inputs = {Input{{5, 7}}, index_input({9}, 7, true)};
  c.push_back(index_select_case("every dtype", {5, 4}, {6}, 0, false, Fill::integer, kAllTypes));

  // index_add: integer-valued inputs (and alphas that are powers of two) keep sums exact
  c.push_back(index_add_case("dim 0 with duplicates (embedding backward)", {5, 6}, 12, 0, 1.0));
  c.push_back(index_add_case("last dim, alpha 0.5", {4, 7}, 9, 1, 0.5));
  c.push_back(index_add_case("middle dim of 3-d", {3, 5, 4}, 7, 1, 1.0));
  c.push_back(index_add_case("negative dim and indices, alpha -2", {4, 6}, 8, -1, -2.0, true));
  c.push_back(index_add_case("empty index", {4, 3}, 0, 0, 1.0));
  c.push_back(index_add_case("normal values", {6, 5}, 9, 0, 1.5, false, Fill::normal,
                             {DType::f32, DType::f64}));
  c.push_back(
      index_add_case("large, dim 0 (threads split the trailing dims)", {211, 173}, 199, 0, 1.0));
  c.back().grad_inputs = {Input{{7, 5}, Fill::integer}, index_input({9}, 7, false),
                          Input{{9, 5}, Fill::integer}};
  c.push_back(index_add_case("large, last dim", {131, 263}, 257, 1, 2.0, true));
  c.back().grad_inputs = {Input{{5, 7}, Fill::integer}, index_input({9}, 7, true),
                          Input{{5, 9}, Fill::integer}};
  c.push_back(index_add_case("numeric dtypes, alpha 2", {4, 5}, 6, 1, 2.0, false, Fill::integer,
                             kAddTypes));

  // masked_select
  c.push_back(masked_select_case("same shape", {5, 7}, {5, 7}));
  c.push_back(masked_select_case("mask broadcast over rows", {5, 7}, {7}));
  c.push_back(masked_select_case("mask broadcast over columns", {5, 7}, {5, 1}));
  c.push_back(masked_select_case("input broadcast to a larger mask", {7}, {4, 7}));
  c.push_back(masked_select_case("empty", {0, 3}, {0, 3}));
  c.push_back(masked_select_case("0-d", {}, {}));
  c.push_back(masked_select_case("large odd (parallel chunks)", {131, 263}, {131, 263}));
  c.back().grad_inputs = shrunk(c.back().inputs);
  c.push_back(masked_select_case("every dtype", {6, 5}, {6, 5}, Fill::integer, kAllTypes));

  // one_hot
  c.push_back(one_hot_case("2-d indices, explicit classes", {5, 3}, 6, 6));
  c.push_back(one_hot_case("inferred classes", {9}, 5, -1));
  c.push_back(one_hot_case("more classes than used", {4}, 3, 10));
  c.push_back(one_hot_case("0-d", {}, 4, 4));
  c.push_back(one_hot_case("empty indices, explicit classes", {0, 3}, 5, 5));
  c.push_back(one_hot_case("large", {1013}, 37, 37));

  // embedding
  c.push_back(embedding_case("2-d indices", {10, 6}, {3, 4}));
  c.push_back(embedding_case("1-d indices", {7, 5}, {9}));
  c.push_back(embedding_case("0-d index", {4, 3}, {}));
  c.push_back(embedding_case("empty indices", {4, 3}, {2, 0}));
  c.push_back(embedding_case("i32 indices", {8, 4}, {6}, true));
  c.push_back(embedding_case("large", {1009, 41}, {29, 31}));
  c.back().grad_inputs = {Input{{7, 5}}, index_input({3, 4}, 7, false)};
  return c;
}

}  // namespace ember::testing
