// Op-case rows for joining, splitting and rearranging: cat, stack, split, chunk, tril, triu,
// pad, flip, roll, repeat, tile. References compute each output element's source coordinates.
#include <functional>

#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

using ref::Array;

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kAllTypes = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i64,
                                      DType::i32, DType::i8,  DType::u8,  DType::b8};

int wrap(int64_t dim, int ndim) { return static_cast<int>(dim < 0 ? dim + ndim : dim); }

// out[c] = x[source(c)] for every coordinate c of `shape`; source returns false for "use
// `fill`" (padding).
Array gather_coords(const Array& x, const Shape& shape, const std::function<bool(Shape&)>& source,
                    double fill = 0.0) {
  Array out = ref::zeros(shape);
  for (int64_t i = 0; i < out.numel(); ++i) {
    Shape c = ref::unravel(i, shape);
    out[i] = source(c) ? x[ref::ravel(c, x.shape)] : fill;
  }
  return out;
}

Array narrow_ref(const Array& x, int d, int64_t start, int64_t len) {
  Shape s = x.shape;
  s[d] = len;
  return gather_coords(x, s, [&](Shape& c) {
    c[d] += start;
    return true;
  });
}

std::vector<Input> inputs_of(const std::vector<Shape>& shapes, Fill fill = Fill::normal) {
  std::vector<Input> in;
  for (const Shape& s : shapes) in.push_back(Input{s, fill});
  return in;
}

// --- cat / stack --------------------------------------------------------------------------

Array cat_ref(const std::vector<Array>& parts, int d) {
  std::vector<const Array*> used;
  for (const Array& a : parts)
    if (!(a.shape.size() == 1 && a.shape[0] == 0)) used.push_back(&a);
  Shape s = used[0]->shape;
  s[d] = 0;
  for (const Array* a : used) s[d] += a->shape[d];
  Array out = ref::zeros(s);
  for (int64_t i = 0; i < out.numel(); ++i) {
    Shape c = ref::unravel(i, s);
    for (const Array* a : used) {
      if (c[d] < a->shape[d]) {
        out[i] = (*a)[ref::ravel(c, a->shape)];
        break;
      }
      c[d] -= a->shape[d];
    }
  }
  return out;
}

OpCase cat_case(std::string label, std::vector<Input> inputs, int64_t dim,
                std::vector<DType> dtypes = kFloats) {
  return OpCase{
      .op = "cat",
      .label = std::move(label),
      .inputs = std::move(inputs),
      .run = [=](const Tensors& in) -> Tensors { return {cat(in, dim)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        std::vector<Array> parts;
        int ndim = 0;
        for (const Tensor& t : in) {
          parts.push_back(ref::of(t));
          if (!(t.dim() == 1 && t.size(0) == 0)) ndim = t.dim();
        }
        return {ref::tensor(cat_ref(parts, wrap(dim, ndim)))};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase stack_case(std::string label, int count, Shape shape, int64_t dim,
                  std::vector<DType> dtypes = kFloats) {
  int d = wrap(dim, shape.size() + 1);
  return OpCase{
      .op = "stack",
      .label = std::move(label),
      .inputs = inputs_of(std::vector<Shape>(static_cast<size_t>(count), shape)),
      .run = [=](const Tensors& in) -> Tensors { return {stack(in, dim)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        Shape s = shape;
        s.insert(d, count);
        Array out = ref::zeros(s);
        std::vector<Array> parts;
        for (const Tensor& t : in) parts.push_back(ref::of(t));
        for (int64_t i = 0; i < out.numel(); ++i) {
          Shape c = ref::unravel(i, s);
          int64_t which = c[d];
          c.erase(d);
          out[i] = parts[static_cast<size_t>(which)][ref::ravel(c, shape)];
        }
        return {ref::tensor(out)};
      },
      .dtypes = std::move(dtypes),
  };
}

// --- split / chunk ------------------------------------------------------------------------

// Rows whose run returns the pieces of x along dim with the given sizes.
OpCase pieces_case(std::string op, std::string label, Shape shape, int64_t dim,
                   std::function<Tensors(const Tensor&)> run, std::vector<int64_t> sizes) {
  int d = wrap(dim, shape.size());
  return OpCase{
      .op = std::move(op),
      .label = std::move(label),
      .inputs = {Input{shape}},
      .run = [=](const Tensors& in) -> Tensors { return run(in[0]); },
      .reference = [=](const Tensors& in) -> Tensors {
        Array x = ref::of(in[0]);
        Tensors out;
        int64_t start = 0;
        for (int64_t len : sizes) {
          out.push_back(ref::tensor(narrow_ref(x, d, start, len)));
          start += len;
        }
        return out;
      },
  };
}

OpCase split_case(std::string label, Shape shape, int64_t split_size, int64_t dim,
                  std::vector<int64_t> sizes) {
  return pieces_case(
      "split", std::move(label), shape, dim,
      [=](const Tensor& x) { return split(x, split_size, dim); }, std::move(sizes));
}

OpCase split_sizes_case(std::string label, Shape shape, std::vector<int64_t> sizes, int64_t dim) {
  return pieces_case(
      "split", std::move(label), shape, dim, [=](const Tensor& x) { return split(x, sizes, dim); },
      sizes);
}

OpCase chunk_case(std::string label, Shape shape, int64_t chunks, int64_t dim,
                  std::vector<int64_t> sizes) {
  return pieces_case(
      "chunk", std::move(label), shape, dim, [=](const Tensor& x) { return chunk(x, chunks, dim); },
      std::move(sizes));
}

// --- tril / triu --------------------------------------------------------------------------

OpCase tri_case(std::string op, std::string label, Shape shape, int64_t diagonal,
                Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  bool upper = op == "triu";
  return OpCase{
      .op = op,
      .label = std::move(label),
      .inputs = {Input{shape, fill}},
      .run = [=](const Tensors& in) -> Tensors {
        return {upper ? triu(in[0], diagonal) : tril(in[0], diagonal)};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        Array x = ref::of(in[0]);
        int nd = shape.size();
        return {ref::tensor(gather_coords(x, shape, [&](Shape& c) {
          int64_t k = c[nd - 1] - c[nd - 2];
          return upper ? k >= diagonal : k <= diagonal;
        }))};
      },
      .dtypes = std::move(dtypes),
  };
}

// --- pad / flip / roll / repeat / tile ----------------------------------------------------

OpCase pad_case(std::string label, Shape shape, std::vector<int64_t> pads, std::string mode,
                double value = 0.0, Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  return OpCase{
      .op = "pad",
      .label = std::move(label),
      .inputs = {Input{shape, fill}},
      .run = [=](const Tensors& in) -> Tensors { return {pad(in[0], pads, mode, value)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        Array x = ref::of(in[0]);
        const int nd = shape.size();
        const int pairs = static_cast<int>(pads.size() / 2);
        Shape s = shape;
        for (int p = 0; p < pairs; ++p) s[nd - 1 - p] += pads[2 * p] + pads[2 * p + 1];
        return {ref::tensor(gather_coords(
            x, s,
            [&](Shape& c) {
              for (int p = 0; p < pairs; ++p) {
                int d = nd - 1 - p;
                int64_t i = c[d] - pads[2 * p], n = shape[d];
                if (mode == "reflect") {
                  if (i < 0) i = -i;
                  if (i >= n) i = 2 * (n - 1) - i;
                } else if (i < 0 || i >= n) {
                  return false;
                }
                c[d] = i;
              }
              return true;
            },
            value))};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase flip_case(std::string label, Shape shape, Shape dims, Fill fill = Fill::normal,
                 std::vector<DType> dtypes = kFloats) {
  return OpCase{
      .op = "flip",
      .label = std::move(label),
      .inputs = {Input{shape, fill}},
      .run = [=](const Tensors& in) -> Tensors { return {flip(in[0], dims)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        return {ref::tensor(gather_coords(ref::of(in[0]), shape, [&](Shape& c) {
          for (int64_t dim : dims) {
            int d = wrap(dim, shape.size());
            c[d] = shape[d] - 1 - c[d];
          }
          return true;
        }))};
      },
      .dtypes = std::move(dtypes),
  };
}

OpCase roll_case(std::string label, Shape shape, Shape shifts, Shape dims, Fill fill = Fill::normal,
                 std::vector<DType> dtypes = kFloats) {
  return OpCase{
      .op = "roll",
      .label = std::move(label),
      .inputs = {Input{shape, fill}},
      .run = [=](const Tensors& in) -> Tensors { return {roll(in[0], shifts, dims)}; },
      .reference = [=](const Tensors& in) -> Tensors {
        Array x = ref::of(in[0]);
        auto rolled = [](int64_t j, int64_t shift, int64_t n) { return ((j - shift) % n + n) % n; };
        if (dims.empty()) {  // roll of the flattened tensor
          Array out = x;
          int64_t n = x.numel();
          for (int64_t j = 0; j < n; ++j) out[j] = x[rolled(j, shifts[0], n)];
          return {ref::tensor(out)};
        }
        return {ref::tensor(gather_coords(x, shape, [&](Shape& c) {
          for (int i = 0; i < dims.size(); ++i) {
            int d = wrap(dims[i], shape.size());
            c[d] = rolled(c[d], shifts[i], shape[d]);
          }
          return true;
        }))};
      },
      .dtypes = std::move(dtypes),
  };
}

// repeat(x, repeats), or tile(x, reps) when `tile` (reps padded with leading 1s first).
OpCase repeat_case(std::string op, std::string label, Shape shape, Shape repeats,
                   Fill fill = Fill::normal, std::vector<DType> dtypes = kFloats) {
  bool is_tile = op == "tile";
  return OpCase{
      .op = op,
      .label = std::move(label),
      .inputs = {Input{shape, fill}},
      .run = [=](const Tensors& in) -> Tensors {
        return {is_tile ? tile(in[0], repeats) : repeat(in[0], repeats)};
      },
      .reference = [=](const Tensors& in) -> Tensors {
        Shape r = repeats;
        while (r.size() < shape.size()) r.insert(0, 1);
        Shape padded = Shape::filled(r.size() - shape.size(), 1);
        for (int64_t s : shape) padded.push_back(s);
        Array x = ref::of(in[0]);
        x.shape = padded;
        Shape s = padded;
        for (int d = 0; d < s.size(); ++d) s[d] *= r[d];
        return {ref::tensor(gather_coords(x, s, [&](Shape& c) {
          for (int d = 0; d < c.size(); ++d) c[d] %= padded[d];
          return true;
        }))};
      },
      .dtypes = std::move(dtypes),
  };
}

}  // namespace

EMBER_OP_CASES(shape_cases) {
  std::vector<OpCase> c;
  // cat
  c.push_back(cat_case("dim 0, three tensors", inputs_of({{2, 3}, {4, 3}, {1, 3}}), 0));
  c.push_back(cat_case("last dim", inputs_of({{3, 2}, {3, 5}}), 1));
  c.push_back(cat_case("middle dim of 3-d, negative dim",
                       inputs_of({{2, 3, 4}, {2, 1, 4}, {2, 5, 4}}), -2));
  c.push_back(cat_case("1-d [0] tensors are skipped", inputs_of({{0}, {3, 4}, {0}, {2, 4}}), 0));
  c.push_back(cat_case("zero size along the cat dim", inputs_of({{2, 0, 3}, {2, 4, 3}}), 1));
  c.push_back(cat_case("one tensor", inputs_of({{4, 5}}), 0));
  c.push_back(cat_case("1-d", inputs_of({{5}, {7}, {1}}), 0));
  c.push_back(cat_case("empty tensors only", inputs_of({{0, 3}, {0, 3}}), 0));
  c.push_back(cat_case("large odd, dim 0", inputs_of({{257, 131}, {263, 131}}), 0));
  c.push_back(cat_case("large odd, last dim", inputs_of({{131, 257}, {131, 263}}), -1));
  c.push_back(cat_case("an i64 tensor promotes to the row dtype",
                       {Input{{3, 4}}, Input{{2, 4}, Fill::integer, 0, DType::i64}}, 0));
  c.push_back(cat_case("every dtype", inputs_of({{3, 2}, {3, 4}}, Fill::integer), 1, kAllTypes));

  // stack
  c.push_back(stack_case("dim 0", 3, {4, 5}, 0));
  c.push_back(stack_case("new last dim", 2, {3, 4}, 2));
  c.push_back(stack_case("negative dim", 3, {2, 3, 4}, -2));
  c.push_back(stack_case("middle dim", 4, {3, 5}, 1));
  c.push_back(stack_case("0-d tensors", 4, {}, 0));
  c.push_back(stack_case("empty tensors", 2, {0, 3}, 1));
  c.push_back(stack_case("large odd", 3, {131, 97}, 1));
  c.push_back(stack_case("every dtype", 3, {2, 3}, -1, kAllTypes));

  // split
  c.push_back(split_case("10 by 3 along dim 0", {10, 4}, 3, 0, {3, 3, 3, 1}));
  c.push_back(split_case("last dim, negative dim", {3, 7}, 2, -1, {2, 2, 2, 1}));
  c.push_back(split_case("split_size larger than the dim", {4, 3}, 10, 0, {4}));
  c.push_back(split_case("middle dim of 3-d", {2, 9, 3}, 4, 1, {4, 4, 1}));
  c.push_back(split_case("empty dim, split_size 0", {0, 3}, 0, 0, {0}));
  c.push_back(split_sizes_case("explicit sizes with an empty piece", {4, 10}, {2, 5, 0, 3}, 1));
  c.push_back(split_sizes_case("explicit sizes, dim 0", {7, 3}, {4, 3}, 0));

  // chunk
  c.push_back(chunk_case("10 into 3: 4, 4, 2", {10, 3}, 3, 0, {4, 4, 2}));
  c.push_back(chunk_case("6 into 4: three pieces of 2", {6}, 4, 0, {2, 2, 2}));
  c.push_back(chunk_case("more chunks than elements", {2, 3}, 5, 1, {1, 1, 1}));
  c.push_back(chunk_case("empty dim gives `chunks` empty pieces", {0, 4}, 3, 0, {0, 0, 0}));
  c.push_back(chunk_case("negative dim", {3, 4, 7}, 2, -1, {4, 3}));

  // tril / triu
  for (std::string op : {"tril", "triu"}) {
    c.push_back(tri_case(op, "wide, main diagonal", {5, 7}, 0));
    c.push_back(tri_case(op, "tall, diagonal 2", {7, 5}, 2));
    c.push_back(tri_case(op, "square, diagonal -1", {6, 6}, -1));
    c.push_back(tri_case(op, "batched 3-d", {3, 4, 6}, 1));
    c.push_back(tri_case(op, "single row, diagonal -1", {1, 5}, -1));
    c.push_back(tri_case(op, "diagonal past the matrix", {4, 4}, 10));
    c.push_back(tri_case(op, "empty", {0, 3}, 0));
    c.push_back(tri_case(op, "large odd", {131, 263}, -3));
    c.push_back(tri_case(op, "every dtype", {4, 5}, 0, Fill::integer, kAllTypes));
  }

  // pad
  c.push_back(pad_case("constant, last dim", {3, 4}, {1, 2}, "constant"));
  c.push_back(
      pad_case("constant, last two dims, value 1.5", {3, 4}, {1, 1, 2, 0}, "constant", 1.5));
  c.push_back(pad_case("constant, negative pads crop", {4, 6}, {-1, 2, 1, -2}, "constant"));
  c.push_back(pad_case("constant, all dims of 3-d", {2, 3, 4}, {1, 0, 0, 2, 1, 1}, "constant", -2));
  c.push_back(pad_case("constant, empty input", {0, 3}, {0, 0, 1, 1}, "constant", 0.5));
  c.push_back(pad_case("constant, large odd", {131, 257}, {3, 4, 2, 5}, "constant"));
  c.push_back(pad_case("reflect, last dim", {3, 5}, {2, 3}, "reflect"));
  c.push_back(pad_case("reflect, last two dims", {4, 5}, {1, 1, 3, 2}, "reflect"));
  c.push_back(pad_case("reflect, middle dim untouched", {3, 4, 5}, {1, 2, 0, 0, 1, 1}, "reflect"));
  c.push_back(pad_case("reflect, large odd", {131, 257}, {5, 7, 2, 1}, "reflect"));
  c.back().grad_inputs = {Input{{4, 9}}};  // reflect pads must stay below the sizes
  c.push_back(
      pad_case("constant, every dtype", {3, 4}, {1, 1}, "constant", 1.0, Fill::integer, kAllTypes));
  c.push_back(pad_case("reflect, every dtype", {3, 4}, {2, 1, 1, 0}, "reflect", 0.0, Fill::integer,
                       kAllTypes));

  // flip
  c.push_back(flip_case("dim 0", {4, 5}, {0}));
  c.push_back(flip_case("negative dim", {4, 5}, {-1}));
  c.push_back(flip_case("outer and inner dims of 3-d", {2, 3, 4}, {0, 2}));
  c.push_back(flip_case("no dims: a copy", {3, 4}, {}));
  c.push_back(flip_case("size-1 dims", {1, 5, 1}, {0, 1, 2}));
  c.push_back(flip_case("0-d", {}, {}));
  c.push_back(flip_case("empty", {0, 3}, {1}));
  c.push_back(flip_case("large odd, both dims", {131, 263}, {0, 1}));
  c.push_back(flip_case("every dtype", {3, 4}, {1}, Fill::integer, kAllTypes));

  // roll
  c.push_back(roll_case("last dim", {4, 5}, {2}, {1}));
  c.push_back(roll_case("negative shift, dim 0", {5, 4}, {-3}, {0}));
  c.push_back(roll_case("two dims of 3-d", {3, 4, 5}, {1, -2}, {0, 2}));
  c.push_back(roll_case("no dims: the flattened tensor", {3, 4}, {5}, {}));
  c.push_back(roll_case("shift larger than the size", {5}, {13}, {0}));
  c.push_back(roll_case("shift of a whole period", {3, 4}, {4}, {-1}));
  c.push_back(roll_case("empty", {0, 3}, {1}, {0}));
  c.push_back(roll_case("large odd", {131, 263}, {7, -100}, {0, 1}));
  c.push_back(roll_case("every dtype", {3, 4}, {1}, {1}, Fill::integer, kAllTypes));

  // repeat / tile
  c.push_back(repeat_case("repeat", "2-d", {2, 3}, {2, 3}));
  c.push_back(repeat_case("repeat", "new leading dim", {2, 3}, {3, 1, 2}));
  c.push_back(repeat_case("repeat", "1-d to 3-d", {5}, {2, 1, 3}));
  c.push_back(repeat_case("repeat", "zero repeats", {2, 3}, {2, 0}));
  c.push_back(repeat_case("repeat", "4-d with a size-1 dim", {2, 3, 1, 2}, {2, 2, 3, 2}));
  c.push_back(
      repeat_case("repeat", "5-d: too many dims for one view", {2, 1, 2, 3, 2}, {2, 2, 2, 2, 2}));
  c.push_back(repeat_case("repeat", "0-d", {}, {3, 2}));
  c.push_back(repeat_case("repeat", "large odd", {131, 7}, {2, 37}));
  c.back().grad_inputs = {Input{{3, 2}}};  // 74 output elements per input element
  c.push_back(repeat_case("repeat", "every dtype", {2, 3}, {2, 2}, Fill::integer, kAllTypes));
  c.push_back(repeat_case("tile", "fewer reps than dims", {2, 3, 4}, {2}));
  c.push_back(repeat_case("tile", "more reps than dims", {3}, {2, 2}));
  c.push_back(repeat_case("tile", "as many reps as dims", {2, 3}, {2, 3}));
  c.push_back(repeat_case("tile", "every dtype", {2, 3}, {1, 3}, Fill::integer, kAllTypes));
  // Every other run takes any shape: the large rows are gradchecked on smaller ones.
  shrink_for_gradcheck(c);
  return c;
}

}  // namespace ember::testing
