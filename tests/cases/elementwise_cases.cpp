// Op-case rows of the elementwise families (unary, binary, ternary): every op over a large odd
// shape (past the parallel threshold for some), 0-d, empty and broadcast shapes, the
// tensor-scalar overloads, integer and bool dtypes where the op takes them. References are the
// std:: math in double.
#include <cmath>

#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

using Fn1 = std::function<Tensor(const Tensor&)>;
using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;
using FnTS = std::function<Tensor(const Tensor&, double)>;
using FnST = std::function<Tensor(double, const Tensor&)>;
using Ref1 = std::function<double(double)>;
using Ref2 = std::function<double(double, double)>;

const std::vector<DType> kFloats = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kInts = {DType::i32, DType::i64};
const std::vector<DType> kBoolRow = {DType::b8};

// Large odd shapes: kLarge passes the parallel threshold of the libm ops, kHuge that of the
// cheap ones (cpu::kParallelGrain), so both the serial and the threaded paths are checked.
const Shape kLarge = {67, 71};
const Shape kHuge = {181, 191};

// Reference results are f64, or i64 when the reference inputs are integers.
DType ref_dtype(const Tensor& t) { return is_integral(t.dtype()) ? DType::i64 : DType::f64; }

OpCase unary_case(const std::string& op, const std::string& label, const Shape& shape, Fill fill,
                  Fn1 run, Ref1 ref, std::vector<DType> dtypes = kFloats,
                  std::optional<DType> out = {}, std::optional<DType> input_dtype = {}) {
  OpCase c;
  c.op = op;
  c.label = label;
  c.inputs = {Input{shape, fill, 0, input_dtype}};
  c.run = [run](const Tensors& in) { return Tensors{run(in[0])}; };
  c.reference = [ref, out](const Tensors& in) {
    return Tensors{ref::tensor(ref::map(ref::of(in[0]), ref), out.value_or(ref_dtype(in[0])))};
  };
  c.dtypes = std::move(dtypes);
  return c;
}

// The rows every unary op gets: a large odd shape, 0-d, empty, a 3-d shape with size-1 dims;
// with `ints` also i32/i64 rows.
std::vector<OpCase> unary_rows(const std::string& op, Fill fill, const Fn1& run, const Ref1& ref,
                               bool ints = false) {
  std::vector<OpCase> rows = {
      unary_case(op, "large odd [67, 71]", kLarge, fill, run, ref),
      unary_case(op, "0-d", {}, fill, run, ref),
      unary_case(op, "empty [4, 0, 3]", {4, 0, 3}, fill, run, ref),
      unary_case(op, "size-1 dims [1, 5, 1, 3]", {1, 5, 1, 3}, fill, run, ref),
  };
  if (ints) {
    rows.push_back(unary_case(op, "integers", kLarge, Fill::integer, run, ref, kInts));
    rows.push_back(unary_case(op, "integers, empty", {0, 6}, Fill::integer, run, ref, kInts));
  }
  return rows;
}

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double gelu_ref(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh_ref(double x) {
  const double k = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}
double softplus_ref(double x, double beta, double threshold) {
  return beta * x > threshold ? x : std::log1p(std::exp(beta * x)) / beta;
}
double clamp_ref(double x, double lo, double hi) { return std::min(std::max(x, lo), hi); }
double sign_ref(double x) { return static_cast<double>((x > 0) - (x < 0)); }

EMBER_OP_CASES(unary_cases) {
  std::vector<OpCase> rows;
  auto add = [&rows](std::vector<OpCase> more) {
    for (OpCase& c : more) rows.push_back(std::move(c));
  };
  // Float math; integer inputs compute in f32 (checked on exp and sigmoid).
  add(unary_rows(
      "exp", Fill::normal, [](const Tensor& x) { return exp(x); },
      [](double x) { return std::exp(x); }));
  rows.push_back(unary_case(
      "exp", "integer input gives f32", kLarge, Fill::integer,
      [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }, kInts,
      DType::f64));
  add(unary_rows(
      "exp2", Fill::normal, [](const Tensor& x) { return exp2(x); },
      [](double x) { return std::exp2(x); }));
  add(unary_rows(
      "log", Fill::positive, [](const Tensor& x) { return log(x); },
      [](double x) { return std::log(x); }));
  add(unary_rows(
      "log2", Fill::positive, [](const Tensor& x) { return log2(x); },
      [](double x) { return std::log2(x); }));
  add(unary_rows(
      "log1p", Fill::positive, [](const Tensor& x) { return log1p(x); },
      [](double x) { return std::log1p(x); }));
  add(unary_rows(
      "expm1", Fill::normal, [](const Tensor& x) { return expm1(x); },
      [](double x) { return std::expm1(x); }));
  add(unary_rows(
      "sqrt", Fill::positive, [](const Tensor& x) { return sqrt(x); },
      [](double x) { return std::sqrt(x); }));
  add(unary_rows(
      "rsqrt", Fill::positive, [](const Tensor& x) { return rsqrt(x); },
      [](double x) { return 1.0 / std::sqrt(x); }));
  add(unary_rows(
      "sin", Fill::normal, [](const Tensor& x) { return sin(x); },
      [](double x) { return std::sin(x); }));
  add(unary_rows(
      "cos", Fill::normal, [](const Tensor& x) { return cos(x); },
      [](double x) { return std::cos(x); }));
  add(unary_rows(
      "tan", Fill::unit, [](const Tensor& x) { return tan(x); },
      [](double x) { return std::tan(x); }));
  add(unary_rows(
      "tanh", Fill::normal, [](const Tensor& x) { return tanh(x); },
      [](double x) { return std::tanh(x); }));
  add(unary_rows(
      "sigmoid", Fill::normal, [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref));
  rows.push_back(unary_case(
      "sigmoid", "integer input gives f32", kLarge, Fill::integer,
      [](const Tensor& x) { return sigmoid(x); }, sigmoid_ref, kInts, DType::f64));
  add(unary_rows(
      "gelu", Fill::normal, [](const Tensor& x) { return gelu(x); }, gelu_ref));
  add(unary_rows(
      "gelu_tanh", Fill::normal, [](const Tensor& x) { return gelu(x, "tanh"); }, gelu_tanh_ref));
  add(unary_rows(
      "silu", Fill::normal, [](const Tensor& x) { return silu(x); },
      [](double x) { return x * sigmoid_ref(x); }));
  add(unary_rows(
      "softplus", Fill::normal, [](const Tensor& x) { return softplus(x); },
      [](double x) { return softplus_ref(x, 1.0, 20.0); }));
  rows.push_back(unary_case(
      "softplus", "beta 2, threshold 1: both branches", kLarge, Fill::normal,
      [](const Tensor& x) { return softplus(x, 2.0, 1.0); },
      [](double x) { return softplus_ref(x, 2.0, 1.0); }));
  add(unary_rows(
      "leaky_relu", Fill::normal, [](const Tensor& x) { return leaky_relu(x); },
      [](double x) { return x > 0 ? x : 0.01 * x; }));
  rows.push_back(unary_case(
      "leaky_relu", "slope 0.25", kLarge, Fill::normal,
      [](const Tensor& x) { return leaky_relu(x, 0.25); },
      [](double x) { return x > 0 ? x : 0.25 * x; }));
  add(unary_rows(
      "reciprocal", Fill::nonzero, [](const Tensor& x) { return reciprocal(x); },
      [](double x) { return 1.0 / x; }));
  add(unary_rows(
      "erf", Fill::normal, [](const Tensor& x) { return erf(x); },
      [](double x) { return std::erf(x); }));

  // Rounding: float rows (scaled by 4, exactly in every dtype, to spread the values) plus
  // integer rows (the identity).
  add(unary_rows(
      "floor", Fill::normal, [](const Tensor& x) { return floor(x * 4.0); },
      [](double x) { return std::floor(x * 4.0); }, true));
  add(unary_rows(
      "ceil", Fill::normal, [](const Tensor& x) { return ceil(x * 4.0); },
      [](double x) { return std::ceil(x * 4.0); }, true));
  add(unary_rows(
      "trunc", Fill::normal, [](const Tensor& x) { return trunc(x * 4.0); },
      [](double x) { return std::trunc(x * 4.0); }, true));
  add(unary_rows(
      "round", Fill::normal, [](const Tensor& x) { return round(x * 4.0); },
      [](double x) { return std::nearbyint(x * 4.0); }, true));
  rows.push_back(unary_case(
      "round", "halves round to even", kLarge, Fill::integer,
      [](const Tensor& x) { return round(x * 0.5); },
      [](double x) { return std::nearbyint(x * 0.5); }));

  // Ops that also run on integers in their own dtype.
  add(unary_rows(
      "neg", Fill::normal, [](const Tensor& x) { return neg(x); }, [](double x) { return -x; },
      true));
  rows.push_back(unary_case(
      "neg", "threaded [181, 191]", kHuge, Fill::normal, [](const Tensor& x) { return neg(x); },
      [](double x) { return -x; }));
  add(unary_rows(
      "abs", Fill::normal, [](const Tensor& x) { return abs(x); },
      [](double x) { return std::fabs(x); }, true));
  add(unary_rows(
      "sign", Fill::integer, [](const Tensor& x) { return sign(x); }, sign_ref, true));
  add(unary_rows(
      "relu", Fill::normal, [](const Tensor& x) { return relu(x); },
      [](double x) { return std::max(x, 0.0); }, true));
  rows.push_back(unary_case(
      "relu", "threaded [181, 191]", kHuge, Fill::normal, [](const Tensor& x) { return relu(x); },
      [](double x) { return std::max(x, 0.0); }));
  add(unary_rows(
      "square", Fill::normal, [](const Tensor& x) { return square(x); },
      [](double x) { return x * x; }, true));
  add(unary_rows(
      "clamp", Fill::normal, [](const Tensor& x) { return clamp(x, -0.5, 0.75); },
      [](double x) { return clamp_ref(x, -0.5, 0.75); }));
  rows.push_back(unary_case(
      "clamp", "min only", kLarge, Fill::normal,
      [](const Tensor& x) { return clamp(x, 0.25, std::nullopt); },
      [](double x) { return std::max(x, 0.25); }));
  rows.push_back(unary_case(
      "clamp", "max only", kLarge, Fill::normal,
      [](const Tensor& x) { return clamp(x, std::nullopt, -0.25); },
      [](double x) { return std::min(x, -0.25); }));
  rows.push_back(unary_case(
      "clamp", "integers, whole bounds", kLarge, Fill::integer,
      [](const Tensor& x) { return clamp(x, -2.0, 3.0); },
      [](double x) { return clamp_ref(x, -2.0, 3.0); }, kInts));
  rows.push_back(unary_case(
      "clamp", "integers, min only", {0, 6}, Fill::integer,
      [](const Tensor& x) { return clamp(x, -2.0, std::nullopt); },
      [](double x) { return std::max(x, -2.0); }, kInts));
  rows.push_back(unary_case(
      "clamp", "integers, fractional bounds give f32", kLarge, Fill::integer,
      [](const Tensor& x) { return clamp(x, -1.5, 2.5); },
      [](double x) { return clamp_ref(x, -1.5, 2.5); }, kInts, DType::f64));

  // logical_not: any dtype in, bool out.
  auto lnot = [](const Tensor& x) { return logical_not(x); };
  auto lnot_ref = [](double x) { return x == 0 ? 1.0 : 0.0; };
  rows.push_back(unary_case("logical_not", "floats with zeros", kLarge, Fill::integer, lnot,
                            lnot_ref, kFloats, DType::b8));
  rows.push_back(unary_case("logical_not", "integers", kLarge, Fill::integer, lnot, lnot_ref, kInts,
                            DType::b8));
  rows.push_back(unary_case("logical_not", "bool", kLarge, Fill::boolean, lnot, lnot_ref, kBoolRow,
                            DType::b8, DType::b8));
  rows.push_back(unary_case("logical_not", "empty", {3, 0}, Fill::boolean, lnot, lnot_ref, kBoolRow,
                            DType::b8, DType::b8));
  rows.push_back(
      unary_case("logical_not", "0-d", {}, Fill::integer, lnot, lnot_ref, kFloats, DType::b8));
  for (OpCase& c : rows) {
    if (c.op == "floor" || c.op == "ceil" || c.op == "trunc" || c.op == "round" || c.op == "sign") {
      c.grad = grad_zero("piecewise constant: the gradient is zero wherever it exists");
    }
  }
  shrink_for_gradcheck(rows);
  return rows;
}

// --- binary -----------------------------------------------------------------------------------

struct BinaryOp {
  std::string name;
  Fn2 run;
  FnTS run_ts;
  FnST run_st;
  Ref2 ref;
  Fill fill_a = Fill::normal, fill_b = Fill::normal;
  double scalar = 2.5;     // for the tensor-scalar rows; exact in f16 and bf16
  bool ints = false;       // also i32/i64 rows (the op keeps the integer dtype)
  bool predicate = false;  // bool output
};

#define EMBER_BINARY_FNS(name)                                 \
  [](const Tensor& a, const Tensor& b) { return name(a, b); }, \
      [](const Tensor& a, double s) { return name(a, s); },    \
      [](double s, const Tensor& b) { return name(s, b); }

OpCase binary_case(const BinaryOp& op, const std::string& label, const Shape& sa, const Shape& sb,
                   Fill fa, Fill fb, std::vector<DType> dtypes,
                   std::optional<DType> input_dtype = {}) {
  OpCase c;
  c.op = op.name;
  c.label = label;
  c.inputs = {Input{sa, fa, 0, input_dtype}, Input{sb, fb, 0, input_dtype}};
  Fn2 run = op.run;
  c.run = [run](const Tensors& in) { return Tensors{run(in[0], in[1])}; };
  Ref2 ref = op.ref;
  bool predicate = op.predicate;
  c.reference = [ref, predicate](const Tensors& in) {
    DType out = predicate ? DType::b8 : ref_dtype(in[0]);
    return Tensors{ref::tensor(ref::map2(ref::of(in[0]), ref::of(in[1]), ref), out)};
  };
  c.dtypes = std::move(dtypes);
  return c;
}

// op(x, s) with x filled by fill_first, and op(s, x) with x filled by fill_second.
std::vector<OpCase> scalar_cases(const BinaryOp& op, Fill fill_first, Fill fill_second, double s,
                                 std::vector<DType> dtypes, const std::string& what) {
  std::vector<OpCase> rows;
  for (bool tensor_first : {true, false}) {
    OpCase c;
    c.op = op.name;
    c.label = std::string(tensor_first ? "tensor op scalar, " : "scalar op tensor, ") + what;
    c.inputs = {Input{kLarge, tensor_first ? fill_first : fill_second}};
    FnTS ts = op.run_ts;
    FnST st = op.run_st;
    c.run = [ts, st, s, tensor_first](const Tensors& in) {
      return Tensors{tensor_first ? ts(in[0], s) : st(s, in[0])};
    };
    Ref2 ref = op.ref;
    bool predicate = op.predicate;
    c.reference = [ref, s, tensor_first, predicate](const Tensors& in) {
      ref::Array r =
          ref::map(ref::of(in[0]), [&](double x) { return tensor_first ? ref(x, s) : ref(s, x); });
      return Tensors{ref::tensor(r, predicate ? DType::b8 : ref_dtype(in[0]))};
    };
    c.dtypes = dtypes;
    rows.push_back(std::move(c));
  }
  return rows;
}

std::vector<OpCase> binary_rows(const BinaryOp& op) {
  const Fill fa = op.fill_a, fb = op.fill_b;
  std::vector<OpCase> rows = {
      binary_case(op, "same shape [67, 71]", kLarge, kLarge, fa, fb, kFloats),
      binary_case(op, "broadcast [7, 1, 5] with [3, 5]", {7, 1, 5}, {3, 5}, fa, fb, kFloats),
      binary_case(op, "broadcast [4, 1] with [1, 9] (outer)", {4, 1}, {1, 9}, fa, fb, kFloats),
      binary_case(op, "0-d with [6, 5]", {}, {6, 5}, fa, fb, kFloats),
      binary_case(op, "empty [0, 5] with [5]", {0, 5}, {5}, fa, fb, kFloats),
      binary_case(op, "empty [3, 0, 2] with [1, 2]", {3, 0, 2}, {1, 2}, fa, fb, kFloats),
  };
  for (OpCase& c : scalar_cases(op, fa, fb, op.scalar, kFloats, "float"))
    rows.push_back(std::move(c));
  if (op.ints) {
    rows.push_back(
        binary_case(op, "integers", kLarge, kLarge, Fill::integer, Fill::integer, kInts));
    rows.push_back(binary_case(op, "integers, broadcast", {7, 1, 5}, {3, 5}, Fill::integer,
                               Fill::integer, kInts));
    // A whole scalar keeps the integer dtype.
    for (OpCase& c : scalar_cases(op, Fill::integer, Fill::integer, 3.0, kInts, "integers"))
      rows.push_back(std::move(c));
  }
  return rows;
}

double ipow_ref(double base, double e) {
  if (e < 0) {
    if (base == 1) return 1;
    if (base == -1) return std::fmod(e, 2.0) != 0 ? -1 : 1;
    return 0;
  }
  return std::pow(base, e);
}

EMBER_OP_CASES(binary_cases) {
  std::vector<BinaryOp> ops = {
      {"add", EMBER_BINARY_FNS(add), [](double a, double b) { return a + b; }},
      {"sub", EMBER_BINARY_FNS(sub), [](double a, double b) { return a - b; }},
      {"mul", EMBER_BINARY_FNS(mul), [](double a, double b) { return a * b; }},
      {"div", EMBER_BINARY_FNS(div), [](double a, double b) { return a / b; }, Fill::nonzero,
       Fill::nonzero, -1.5},
      {"pow", EMBER_BINARY_FNS(pow), [](double a, double b) { return std::pow(a, b); },
       Fill::positive, Fill::normal, 1.5},
      {"maximum", EMBER_BINARY_FNS(maximum), [](double a, double b) { return std::max(a, b); }},
      {"minimum", EMBER_BINARY_FNS(minimum), [](double a, double b) { return std::min(a, b); }},
      {"fmod", EMBER_BINARY_FNS(fmod), [](double a, double b) { return std::fmod(a, b); },
       Fill::normal, Fill::nonzero, -0.75},
      {"atan2", EMBER_BINARY_FNS(atan2), [](double a, double b) { return std::atan2(a, b); },
       Fill::unit, Fill::unit, 0.5},
      {"eq", EMBER_BINARY_FNS(eq), [](double a, double b) { return a == b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, 1.0},
      {"ne", EMBER_BINARY_FNS(ne), [](double a, double b) { return a != b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, 1.0},
      {"lt", EMBER_BINARY_FNS(lt), [](double a, double b) { return a < b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, 0.5},
      {"le", EMBER_BINARY_FNS(le), [](double a, double b) { return a <= b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, 2.0},
      {"gt", EMBER_BINARY_FNS(gt), [](double a, double b) { return a > b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, -1.5},
      {"ge", EMBER_BINARY_FNS(ge), [](double a, double b) { return a >= b ? 1.0 : 0.0; },
       Fill::integer, Fill::integer, -2.0},
      {"logical_and", EMBER_BINARY_FNS(logical_and),
       [](double a, double b) { return a != 0 && b != 0 ? 1.0 : 0.0; }, Fill::integer,
       Fill::integer, 2.5},
      {"logical_or", EMBER_BINARY_FNS(logical_or),
       [](double a, double b) { return a != 0 || b != 0 ? 1.0 : 0.0; }, Fill::integer,
       Fill::integer, 0.0},
  };
  for (BinaryOp& op : ops) {
    const std::string& n = op.name;
    op.ints = n == "add" || n == "sub" || n == "mul" || n == "maximum" || n == "minimum";
    op.predicate = n == "eq" || n == "ne" || n == "lt" || n == "le" || n == "gt" || n == "ge" ||
                   n == "logical_and" || n == "logical_or";
    op.ints |= op.predicate;
  }

  std::vector<OpCase> rows;
  for (const BinaryOp& op : ops) {
    for (OpCase& c : binary_rows(op)) rows.push_back(std::move(c));
    if (op.predicate) {
      rows.push_back(binary_case(op, "bool inputs", kLarge, kLarge, Fill::boolean, Fill::boolean,
                                 kBoolRow, DType::b8));
      rows.push_back(binary_case(op, "bool, broadcast", {7, 1, 5}, {3, 5}, Fill::boolean,
                                 Fill::boolean, kBoolRow, DType::b8));
      rows.push_back(
          binary_case(op, "normal floats", kLarge, kLarge, Fill::normal, Fill::normal, kFloats));
    }
  }
  // The threaded path (past cpu::kParallelGrain), contiguous and broadcast.
  for (const BinaryOp& op : ops) {
    if (op.name == "add" || op.name == "mul" || op.name == "lt") {
      rows.push_back(
          binary_case(op, "threaded [181, 191]", kHuge, kHuge, op.fill_a, op.fill_b, kFloats));
      rows.push_back(binary_case(op, "threaded broadcast [181, 1] with [191]", {181, 1}, {191},
                                 op.fill_a, op.fill_b, kFloats));
    }
  }

  // Integer pow: repeated squaring; negative exponents follow integer division (0 unless the
  // base is +-1).
  BinaryOp ipow{"pow", EMBER_BINARY_FNS(pow), ipow_ref};
  rows.push_back(binary_case(ipow, "integers, negative exponents included", kLarge, kLarge,
                             Fill::integer, Fill::integer, kInts));
  rows.push_back(binary_case(ipow, "integers, broadcast", {7, 1, 5}, {3, 5}, Fill::integer,
                             Fill::integer, kInts));
  for (OpCase& c : scalar_cases(ipow, Fill::integer, Fill::integer, 3.0, kInts, "integers"))
    rows.push_back(std::move(c));

  // Integer fmod: C semantics (sign of the dividend); zero divisors are replaced by 1 first
  // (a zero divisor raises, see elementwise_test.cpp).
  OpCase ifmod;
  ifmod.op = "fmod";
  ifmod.label = "integers, both signs";
  ifmod.inputs = {Input{kLarge, Fill::integer}, Input{kLarge, Fill::integer}};
  ifmod.run = [](const Tensors& in) { return Tensors{fmod(in[0], in[1] + (in[1] == 0.0))}; };
  ifmod.reference = [](const Tensors& in) {
    auto f = [](double a, double b) { return std::fmod(a, b == 0 ? 1.0 : b); };
    return Tensors{ref::tensor(ref::map2(ref::of(in[0]), ref::of(in[1]), f), DType::i64)};
  };
  ifmod.dtypes = kInts;
  rows.push_back(ifmod);
  BinaryOp fmod_op{"fmod", EMBER_BINARY_FNS(fmod),
                   [](double a, double b) { return std::fmod(a, b); }};
  for (OpCase& c : scalar_cases(fmod_op, Fill::integer, Fill::integer, -3.0, kInts, "integers")) {
    if (c.label.rfind("tensor op scalar", 0) == 0) rows.push_back(std::move(c));
  }
  shrink_for_gradcheck(rows);
  return rows;
}

#undef EMBER_BINARY_FNS

// --- ternary ----------------------------------------------------------------------------------

OpCase where_case(const std::string& label, const Shape& sc, const Shape& sa, const Shape& sb,
                  Fill fill, std::vector<DType> dtypes, std::optional<DType> value_dtype = {}) {
  OpCase c;
  c.op = "where";
  c.label = label;
  c.inputs = {Input{sc, Fill::boolean, 0, DType::b8}, Input{sa, fill, 0, value_dtype},
              Input{sb, fill, 0, value_dtype}};
  c.run = [](const Tensors& in) { return Tensors{where(in[0], in[1], in[2])}; };
  c.reference = [](const Tensors& in) {
    auto f = [](double cond, double a, double b) { return cond != 0 ? a : b; };
    DType out = in[1].dtype() == DType::b8 ? DType::b8 : ref_dtype(in[1]);
    return Tensors{ref::tensor(ref::map3(ref::of(in[0]), ref::of(in[1]), ref::of(in[2]), f), out)};
  };
  c.dtypes = std::move(dtypes);
  return c;
}

OpCase where_scalar_case(bool scalar_first, Fill fill, double s, std::vector<DType> dtypes) {
  OpCase c;
  c.op = "where";
  c.label = scalar_first ? "where(cond, scalar, x)" : "where(cond, x, scalar)";
  c.inputs = {Input{kLarge, Fill::boolean, 0, DType::b8}, Input{kLarge, fill}};
  c.run = [scalar_first, s](const Tensors& in) {
    return Tensors{scalar_first ? where(in[0], s, in[1]) : where(in[0], in[1], s)};
  };
  c.reference = [scalar_first, s](const Tensors& in) {
    auto f = [&](double cond, double x) { return (cond != 0) == scalar_first ? s : x; };
    return Tensors{ref::tensor(ref::map2(ref::of(in[0]), ref::of(in[1]), f), ref_dtype(in[1]))};
  };
  c.dtypes = std::move(dtypes);
  return c;
}

OpCase lerp_case(const std::string& label, const Shape& sa, const Shape& sb, const Shape& sw) {
  OpCase c;
  c.op = "lerp";
  c.label = label;
  c.inputs = {Input{sa, Fill::normal}, Input{sb, Fill::normal}, Input{sw, Fill::unit}};
  c.run = [](const Tensors& in) { return Tensors{lerp(in[0], in[1], in[2])}; };
  c.reference = [](const Tensors& in) {
    auto f = [](double a, double b, double w) { return a + w * (b - a); };
    return Tensors{ref::tensor(ref::map3(ref::of(in[0]), ref::of(in[1]), ref::of(in[2]), f))};
  };
  return c;
}

EMBER_OP_CASES(ternary_cases) {
  std::vector<OpCase> rows = {
      where_case("same shape [67, 71]", kLarge, kLarge, kLarge, Fill::normal, kFloats),
      where_case("threaded [181, 191]", kHuge, kHuge, kHuge, Fill::normal, kFloats),
      where_case("broadcast [7, 1, 5], [3, 5], [5]", {7, 1, 5}, {3, 5}, {5}, Fill::normal, kFloats),
      where_case("broadcast cond [6, 1] over [6, 7]", {6, 1}, {6, 7}, {1, 7}, Fill::normal,
                 kFloats),
      where_case("0-d", {}, {}, {}, Fill::normal, kFloats),
      where_case("empty [0, 4]", {0, 4}, {0, 4}, {4}, Fill::normal, kFloats),
      where_case("integers", kLarge, kLarge, kLarge, Fill::integer, kInts),
      where_case("integers, broadcast", {7, 1, 5}, {3, 5}, {5}, Fill::integer, kInts),
      where_case("bool values", kLarge, kLarge, kLarge, Fill::boolean, kBoolRow, DType::b8),
      where_scalar_case(false, Fill::normal, 2.5, kFloats),
      where_scalar_case(true, Fill::normal, -0.75, kFloats),
      where_scalar_case(false, Fill::integer, 4.0, kInts),
      lerp_case("same shape [67, 71]", kLarge, kLarge, kLarge),
      lerp_case("threaded [181, 191]", kHuge, kHuge, kHuge),
      lerp_case("broadcast [7, 1, 5], [3, 5], [5]", {7, 1, 5}, {3, 5}, {5}),
      lerp_case("0-d weight", {4, 9}, {4, 9}, {}),
      lerp_case("empty [2, 0]", {2, 0}, {2, 0}, {1}),
  };
  OpCase scalar_weight;
  scalar_weight.op = "lerp";
  scalar_weight.label = "scalar weight 0.75";
  scalar_weight.inputs = {Input{kLarge, Fill::normal}, Input{kLarge, Fill::normal}};
  scalar_weight.run = [](const Tensors& in) { return Tensors{lerp(in[0], in[1], 0.75)}; };
  scalar_weight.reference = [](const Tensors& in) {
    auto f = [](double a, double b) { return a + 0.75 * (b - a); };
    return Tensors{ref::tensor(ref::map2(ref::of(in[0]), ref::of(in[1]), f))};
  };
  rows.push_back(scalar_weight);

  // masked_fill: where(mask, value, x) with the mask broadcast to x's shape.
  for (auto [label, mask_shape, dtypes, fill] :
       {std::tuple{"mask [67, 71]", kLarge, kFloats, Fill::normal},
        std::tuple{"row mask [1, 71] broadcast", Shape{1, 71}, kFloats, Fill::normal},
        std::tuple{"integers", kLarge, kInts, Fill::integer}}) {
    OpCase c;
    c.op = "masked_fill";
    c.label = label;
    c.inputs = {Input{kLarge, fill}, Input{mask_shape, Fill::boolean, 0, DType::b8}};
    c.run = [](const Tensors& in) { return Tensors{masked_fill(in[0], in[1], -3.0)}; };
    c.reference = [](const Tensors& in) {
      auto f = [](double x, double m) { return m != 0 ? -3.0 : x; };
      return Tensors{ref::tensor(ref::map2(ref::of(in[0]), ref::of(in[1]), f), ref_dtype(in[0]))};
    };
    c.dtypes = dtypes;
    rows.push_back(c);
  }
  shrink_for_gradcheck(rows);
  return rows;
}

}  // namespace
}  // namespace ember::testing
