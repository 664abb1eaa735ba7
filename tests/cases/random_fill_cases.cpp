// Op-case rows for the random ops (uniform normal randint rand randn dropout) and the fill
// family (fill arange linspace copy eye full). Random references recompute every element with
// plain loops from the documented Philox layout (kernels/philox.h: element i reads counter
// offset + i/2, words 2*(i%2) and 2*(i%2)+1), in the kernels' arithmetic, so those rows are
// exact (tol_scale 0). Ops that take no tensor get one row per dtype.
#include <cmath>

#include "kernels/philox.h"
#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

constexpr uint64_t kSeed = 0x0123456789abcdefULL;
constexpr uint64_t kOffset = 17;

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};

// A float (or f64) value as the kernel stores it in dtype d.
double stored(double v, DType d) {
  switch (d) {
    case DType::f32:
      return static_cast<float>(v);
    case DType::f16:
      return static_cast<float>(f16(static_cast<float>(v)));
    case DType::bf16:
      return static_cast<float>(bf16(static_cast<float>(v)));
    default:
      return v;
  }
}

// Element i of uniform(low, high) in dtype d drawn at (kSeed, offset).
double ref_uniform(double low, double high, DType d, uint64_t offset, int64_t i) {
  WordPair p = philox_pair(kSeed, offset, i);
  if (d == DType::f64) return low + (high - low) * uniform_double(p);
  float lo = static_cast<float>(low), hi = static_cast<float>(high);
  return stored(lo + (hi - lo) * uniform_float(p), d);
}

double ref_normal(double mean, double std, DType d, uint64_t offset, int64_t i) {
  WordPair p = philox_pair(kSeed, offset, i);
  double u1 = (static_cast<double>(p.a) + 1.0) * 2.3283064365386963e-10;
  double u2 = static_cast<double>(p.b) * 2.3283064365386963e-10;
  double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return stored(mean + std * z, d);
}

double ref_randint(int64_t low, int64_t high, DType d, uint64_t offset, int64_t i) {
  WordPair p = philox_pair(kSeed, offset, i);
  uint64_t r = (static_cast<uint64_t>(p.a) << 32) | p.b;
  int64_t v = low + static_cast<int64_t>(r % static_cast<uint64_t>(high - low));
  if (d == DType::u8) return static_cast<uint8_t>(v);
  if (d == DType::i8) return static_cast<int8_t>(v);
  if (d == DType::i32) return static_cast<int32_t>(v);
  return stored(static_cast<double>(v), d);
}

DType ref_dtype(DType d) { return is_floating(d) ? DType::f64 : d; }

using Draw = std::function<Tensor(const Shape&, DType, Generator*, Device)>;
using RefDraw = std::function<double(DType, uint64_t, int64_t)>;

// Two consecutive draws from Generator(kSeed) at offset kOffset: the second must start where
// the first one's reserved counters end.
OpCase random_row(const std::string& op, const std::string& label, Shape shape, DType d, Draw draw,
                  RefDraw ref_draw) {
  auto run_on = [=](Device device) {
    Generator g(kSeed);
    g.set_offset(kOffset);
    Tensor first = draw(shape, d, &g, device);
    Tensor second = draw(shape, d, &g, device);
    return Tensors{first, second};
  };
  OpCase c{op,
           label + " " + dtype_name(d),
           {},
           [=](const Tensors&) { return run_on(Device::cpu()); },
           [=](const Tensors&) {
             const uint64_t second_offset =
                 kOffset + (static_cast<uint64_t>(shape.numel()) + 1) / 2;
             Tensors out;
             for (uint64_t off : {kOffset, second_offset}) {
               ref::Array a = ref::zeros(shape);
               for (int64_t i = 0; i < a.numel(); ++i) a[i] = ref_draw(d, off, i);
               out.push_back(ref::tensor(a, ref_dtype(d)));
             }
             return out;
           },
           {d}};
  c.tol_scale = 0.0;  // the same arithmetic as the kernel: exact
  c.run_on = run_on;
  return c;
}

// A row without tensor inputs for dtype d: run(d) against the values ref(d).
OpCase no_input_row(const std::string& op, const std::string& label, DType d,
                    std::function<Tensor(DType, Device)> run,
                    std::function<ref::Array(DType)> ref) {
  OpCase c{op,
           label + " " + dtype_name(d),
           {},
           [=](const Tensors&) { return Tensors{run(d, Device::cpu())}; },
           [=](const Tensors&) { return Tensors{ref::tensor(ref(d), ref_dtype(d))}; },
           {d}};
  c.run_on = [=](Device device) { return Tensors{run(d, device)}; };
  return c;
}

ref::Array range_array(int64_t n, const std::function<double(int64_t)>& f) {
  ref::Array a = ref::zeros({n});
  for (int64_t i = 0; i < n; ++i) a[i] = f(i);
  return a;
}

ref::Array eye_array(int64_t n, int64_t m) {
  ref::Array a = ref::zeros({n, m});
  for (int64_t i = 0; i < std::min(n, m); ++i) a[i * m + i] = 1.0;
  return a;
}

ref::Array constant_array(const Shape& shape, double v) {
  ref::Array a = ref::zeros(shape);
  for (double& x : a.v) x = v;
  return a;
}

// Dropout with a fixed generator; the reference rebuilds the keep-mask from the f32 uniform
// draws (kept when u >= p) and scales kept elements by 1/(1-p).
OpCase dropout_row(const std::string& label, Shape shape, double p, bool training) {
  return OpCase{"dropout",
                label,
                {{shape, Fill::normal}},
                [=](const Tensors& in) {
                  Generator g(kSeed);
                  return Tensors{dropout(in[0], p, training, &g)};
                },
                [=](const Tensors& in) {
                  ref::Array a = ref::of(in[0]);
                  if (!training) return Tensors{ref::tensor(a)};
                  for (int64_t i = 0; i < a.numel(); ++i) {
                    bool keep = ref_uniform(0.0, 1.0, DType::f32, 0, i) >= p;
                    a[i] = keep ? a[i] / (1.0 - p) : 0.0;
                  }
                  return Tensors{ref::tensor(a)};
                }};
}

}  // namespace

EMBER_OP_CASES(random_cases) {
  std::vector<OpCase> rows;
  const std::vector<Shape> shapes = {{1031}, {7, 13}, {0, 3}, {}};
  for (DType d : kFloats) {
    for (const Shape& s : shapes) {
      std::string label = "shape " + s.str();
      rows.push_back(random_row(
          "uniform", label, s, d,
          [](const Shape& sh, DType dt, Generator* g, Device dev) {
            return uniform(sh, -2.0, 3.0, dt, g, dev);
          },
          [](DType dt, uint64_t off, int64_t i) { return ref_uniform(-2.0, 3.0, dt, off, i); }));
      rows.push_back(random_row(
          "normal", label, s, d,
          [](const Shape& sh, DType dt, Generator* g, Device dev) {
            return normal(sh, 1.5, 2.0, dt, g, dev);
          },
          [](DType dt, uint64_t off, int64_t i) { return ref_normal(1.5, 2.0, dt, off, i); }));
    }
    rows.push_back(random_row(
        "rand", "[0, 1)", {37, 41}, d,
        [](const Shape& sh, DType dt, Generator* g, Device dev) { return rand(sh, dt, g, dev); },
        [](DType dt, uint64_t off, int64_t i) { return ref_uniform(0.0, 1.0, dt, off, i); }));
    rows.push_back(random_row(
        "randn", "N(0, 1)", {37, 41}, d,
        [](const Shape& sh, DType dt, Generator* g, Device dev) { return randn(sh, dt, g, dev); },
        [](DType dt, uint64_t off, int64_t i) { return ref_normal(0.0, 1.0, dt, off, i); }));
  }
  for (DType d : {DType::i64, DType::i32, DType::i8, DType::f32, DType::f64}) {
    for (const Shape& s : {Shape{1031}, Shape{7, 13}, Shape{0}}) {
      rows.push_back(random_row(
          "randint", "[-7, 12) shape " + s.str(), s, d,
          [](const Shape& sh, DType dt, Generator* g, Device dev) {
            return randint(-7, 12, sh, dt, g, dev);
          },
          [](DType dt, uint64_t off, int64_t i) { return ref_randint(-7, 12, dt, off, i); }));
    }
  }
  rows.push_back(random_row(
      "randint", "[3, 250) large odd", {1031}, DType::u8,
      [](const Shape& sh, DType dt, Generator* g, Device dev) {
        return randint(3, 250, sh, dt, g, dev);
      },
      [](DType dt, uint64_t off, int64_t i) { return ref_randint(3, 250, dt, off, i); }));
  rows.push_back(random_row(
      "randint", "range wider than 2^32", {7, 13}, DType::i64,
      [](const Shape& sh, DType dt, Generator* g, Device dev) {
        return randint(-(int64_t{1} << 40), int64_t{1} << 41, sh, dt, g, dev);
      },
      [](DType dt, uint64_t off, int64_t i) {
        return ref_randint(-(int64_t{1} << 40), int64_t{1} << 41, dt, off, i);
      }));
  // p = 0.5 and 0.75 scale by 2 and 4, exact in every dtype.
  rows.push_back(dropout_row("p = 0.5", {7, 13}, 0.5, true));
  rows.push_back(dropout_row("p = 0.75, large odd", {3, 1031}, 0.75, true));
  rows.push_back(dropout_row("p = 0 is the identity", {7, 13}, 0.0, true));
  rows.push_back(dropout_row("not training: identity", {7, 13}, 0.5, false));
  rows.push_back(dropout_row("empty", {0, 5}, 0.5, true));
  shrink_for_gradcheck(rows);  // dropout's rows draw a fixed mask: differentiable
  return rows;
}

EMBER_OP_CASES(fill_cases) {
  const std::vector<DType> ints = {DType::i8, DType::u8, DType::i32, DType::i64};
  std::vector<OpCase> rows = {
      OpCase{"fill",
             "full_like",
             {{{7, 13}}},
             [](const Tensors& in) { return Tensors{full_like(in[0], 2.5)}; },
             [](const Tensors& in) {
               return Tensors{ref::tensor(constant_array(in[0].shape(), 2.5))};
             }},
      OpCase{"fill",
             "every other column of a copy (strided output)",
             {{{5, 1031}}},
             [](const Tensors& in) {
               Tensor y = in[0].clone();
               y.slice(-1, 0, {}, 2).fill_(-1.25);
               return Tensors{y};
             },
             [](const Tensors& in) {
               ref::Array a = ref::of(in[0]);
               for (int64_t i = 0; i < a.numel(); ++i)
                 if (i % 1031 % 2 == 0) a[i] = -1.25;
               return Tensors{ref::tensor(a)};
             }},
      OpCase{"fill",
             "transposed view",
             {{{7, 13}}},
             [](const Tensors& in) {
               Tensor y = in[0].clone();
               y.t().fill_(0.5);
               return Tensors{y};
             },
             [](const Tensors& in) {
               return Tensors{ref::tensor(constant_array(in[0].shape(), 0.5))};
             }},
      OpCase{"fill",
             "integer dtypes",
             {{{3, 17}, Fill::integer}},
             [](const Tensors& in) { return Tensors{full_like(in[0], 7.0)}; },
             [](const Tensors& in) {
               return Tensors{ref::tensor(constant_array(in[0].shape(), 7.0), in[0].dtype())};
             },
             ints},
      OpCase{"fill",
             "bool",
             {{{3, 17}, Fill::boolean}},
             [](const Tensors& in) { return Tensors{full_like(in[0], 1.0)}; },
             [](const Tensors& in) {
               return Tensors{ref::tensor(constant_array(in[0].shape(), 1.0), DType::b8)};
             },
             {DType::b8}},
      OpCase{"fill",
             "empty",
             {{{0, 4}}},
             [](const Tensors& in) { return Tensors{full_like(in[0], 3.0)}; },
             [](const Tensors& in) {
               return Tensors{ref::tensor(constant_array(in[0].shape(), 3.0))};
             }},
      // copy: casts to every float dtype (judged by the target's tolerance), transposed and
      // broadcast copies.
      OpCase{"copy",
             "to every float dtype",
             {{{7, 13}}},
             [](const Tensors& in) {
               return Tensors{in[0].to(DType::f32), in[0].to(DType::f64), in[0].to(DType::f16),
                              in[0].to(DType::bf16)};
             },
             [](const Tensors& in) {
               Tensor t = ref::tensor(ref::of(in[0]));
               return Tensors{t, t, t, t};
             }},
      OpCase{"copy",
             "transposed clone",
             {{{37, 41}}},
             [](const Tensors& in) {
               return Tensors{in[0].t().clone(), in[0].transpose(0, 1).contiguous()};
             },
             [](const Tensors& in) {
               ref::Array a = ref::of(in[0]);
               ref::Array t = ref::zeros({41, 37});
               for (int64_t i = 0; i < 37; ++i)
                 for (int64_t j = 0; j < 41; ++j) t[j * 37 + i] = a[i * 41 + j];
               return Tensors{ref::tensor(t), ref::tensor(t)};
             }},
      OpCase{"copy",
             "broadcast into a larger tensor",
             {{{7, 13}}},
             [](const Tensors& in) {
               Tensor y = zeros({5, 7, 13}, in[0].dtype(), in[0].device());
               y.copy_(in[0]);
               return Tensors{y};
             },
             [](const Tensors& in) {
               ref::Array a = ref::of(in[0]);
               ref::Array y = ref::zeros({5, 7, 13});
               for (int64_t i = 0; i < y.numel(); ++i) y[i] = a[i % 91];
               return Tensors{ref::tensor(y)};
             }},
      OpCase{"copy",
             "to integer and bool (truncation, nonzero)",
             {{{7, 13}, Fill::integer}},
             [](const Tensors& in) {
               return Tensors{in[0].to(DType::i32), in[0].to(DType::i64), in[0].to(DType::b8)};
             },
             [](const Tensors& in) {
               ref::Array a = ref::of(in[0]);
               ref::Array nz = ref::map(a, [](double v) { return v != 0.0 ? 1.0 : 0.0; });
               return Tensors{ref::tensor(a, DType::i32), ref::tensor(a, DType::i64),
                              ref::tensor(nz, DType::b8)};
             }},
      OpCase{"copy",
             "integer dtypes to float",
             {{{5, 29}, Fill::integer}},
             [](const Tensors& in) {
               return Tensors{in[0].to(DType::f32), in[0].to(DType::f64), in[0].to(DType::bf16)};
             },
             [](const Tensors& in) {
               Tensor t = ref::tensor(ref::of(in[0]));
               return Tensors{t, t, t};
             },
             ints},
  };
  for (DType d : kFloats) {
    rows.push_back(no_input_row(
        "arange", "-3.5 to 1000.25 by 0.75", d,
        [](DType dt, Device dev) { return arange(-3.5, 1000.25, 0.75, dt, dev); },
        [](DType) { return range_array(1339, [](int64_t i) { return -3.5 + 0.75 * i; }); }));
    rows.push_back(no_input_row(
        "linspace", "-2 to 5 in 1001 steps", d,
        [](DType dt, Device dev) { return linspace(-2.0, 5.0, 1001, dt, dev); },
        [](DType) {
          return range_array(1001, [](int64_t i) { return -2.0 + 7.0 * i / 1000.0; });
        }));
    rows.push_back(no_input_row(
        "linspace", "3 down to -4 in 2 steps", d,
        [](DType dt, Device dev) { return linspace(3.0, -4.0, 2, dt, dev); },
        [](DType) { return range_array(2, [](int64_t i) { return i == 0 ? 3.0 : -4.0; }); }));
    rows.push_back(no_input_row(
        "linspace", "one step", d,
        [](DType dt, Device dev) { return linspace(1.5, 9.0, 1, dt, dev); },
        [](DType) { return range_array(1, [](int64_t) { return 1.5; }); }));
    rows.push_back(no_input_row(
        "eye", "square", d, [](DType dt, Device dev) { return eye(5, -1, dt, dev); },
        [](DType) { return eye_array(5, 5); }));
    rows.push_back(no_input_row(
        "eye", "wide, prime dims", d, [](DType dt, Device dev) { return eye(37, 41, dt, dev); },
        [](DType) { return eye_array(37, 41); }));
    rows.push_back(no_input_row(
        "eye", "tall", d, [](DType dt, Device dev) { return eye(41, 3, dt, dev); },
        [](DType) { return eye_array(41, 3); }));
    rows.push_back(no_input_row(
        "full", "[7, 13]", d,
        [](DType dt, Device dev) {
          return full({7, 13}, -2.5, dt, dev);
        },
        [](DType) {
          return constant_array({7, 13}, -2.5);
        }));
    rows.push_back(no_input_row(
        "full", "0-d", d, [](DType dt, Device dev) { return full({}, 3.0, dt, dev); },
        [](DType) { return constant_array({}, 3.0); }));
  }
  for (DType d : {DType::i64, DType::i32, DType::i8}) {
    rows.push_back(no_input_row(
        "arange", "5 down to -20 by -3", d,
        [](DType dt, Device dev) { return arange(5, -20, -3, dt, dev); },
        [](DType) { return range_array(9, [](int64_t i) { return 5.0 - 3.0 * i; }); }));
    rows.push_back(no_input_row(
        "full", "integer", d,
        [](DType dt, Device dev) {
          return full({3, 5}, -7.0, dt, dev);
        },
        [](DType) {
          return constant_array({3, 5}, -7.0);
        }));
    rows.push_back(no_input_row(
        "eye", "integer", d, [](DType dt, Device dev) { return eye(4, 6, dt, dev); },
        [](DType) { return eye_array(4, 6); }));
  }
  rows.push_back(no_input_row(
      "arange", "integer end defaults to i64", DType::i64,
      [](DType, Device dev) { return arange(17, std::nullopt, dev); },
      [](DType) { return range_array(17, [](int64_t i) { return static_cast<double>(i); }); }));
  rows.push_back(no_input_row(
      "arange", "empty", DType::f32,
      [](DType dt, Device dev) { return arange(3.0, 3.0, 1.0, dt, dev); },
      [](DType) { return range_array(0, [](int64_t) { return 0.0; }); }));
  rows.push_back(no_input_row(
      "linspace", "no steps", DType::f64,
      [](DType dt, Device dev) { return linspace(0.0, 1.0, 0, dt, dev); },
      [](DType) { return range_array(0, [](int64_t) { return 0.0; }); }));
  rows.push_back(no_input_row(
      "eye", "empty", DType::f32, [](DType dt, Device dev) { return eye(0, -1, dt, dev); },
      [](DType) { return eye_array(0, 0); }));
  rows.push_back(no_input_row(
      "full", "bool", DType::b8,
      [](DType dt, Device dev) {
        return full({4, 3}, 1.0, dt, dev);
      },
      [](DType) {
        return constant_array({4, 3}, 1.0);
      }));
  rows.push_back(no_input_row(
      "full", "empty", DType::f32,
      [](DType dt, Device dev) {
        return full({0, 4}, 1.0, dt, dev);
      },
      [](DType) {
        return constant_array({0, 4}, 1.0);
      }));
  // tri: the kernel behind tril/triu, over batched and transposed inputs, every diagonal sign.
  for (auto [upper, diagonal] : {std::pair{false, 0L}, {true, 0L}, {false, -2L}, {true, 3L}}) {
    OpCase c;
    c.op = "tri";
    c.label = std::string(upper ? "triu" : "tril") + " diagonal " + std::to_string(diagonal) +
              " of [3, 7, 11] and its transpose";
    c.inputs = {{{3, 7, 11}}};
    c.run = [upper, diagonal](const Tensors& in) {
      auto f = [&](const Tensor& x) { return upper ? triu(x, diagonal) : tril(x, diagonal); };
      return Tensors{f(in[0]), f(in[0].transpose(1, 2))};
    };
    c.reference = [upper, diagonal](const Tensors& in) {
      auto f = [&](const Tensor& x) {
        ref::Array a = ref::of(x.contiguous());
        int64_t rows = a.shape[1], cols = a.shape[2];
        for (int64_t i = 0; i < a.numel(); ++i) {
          int64_t r = i / cols % rows, col = i % cols;
          bool keep = upper ? col - r >= diagonal : col - r <= diagonal;
          if (!keep) a[i] = 0.0;
        }
        return ref::tensor(a);
      };
      return Tensors{f(in[0]), f(in[0].transpose(1, 2))};
    };
    if (!upper && diagonal == 0) c.grad_inputs = {{{2, 4, 5}}};  // small enough for gradgrad
    rows.push_back(c);
  }
  for (OpCase& c : rows) {
    if (c.label == "every other column of a copy (strided output)" ||
        c.label == "transposed view" || c.label == "broadcast into a larger tensor") {
      c.grad = grad_none(
          "tests an in-place write (fill_/copy_), which autograd does not record "
          "(on a tensor that requires grad it throws)");
    } else if (c.label == "to every float dtype") {
      c.grad = grad_none(
          "casts f64 to f32, f16 and bf16: finite differences at eps 1e-6 see "
          "only their rounding steps");
    }
  }
  shrink_for_gradcheck(rows);
  return rows;
}

}  // namespace ember::testing
