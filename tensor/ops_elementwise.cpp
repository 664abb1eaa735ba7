// Front end of the elementwise families (unary, binary, ternary): output dtype rules,
// broadcasting, casting inputs to the compute dtype, and dispatch. Every op here ends in
// run_elementwise(); the kernels never see two input dtypes.
#include <cmath>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"
#include "tensor/promotion.h"

namespace ember {

namespace {

Tensor run_elementwise(OpId op, DType out_dtype, std::initializer_list<const Tensor*> inputs,
                       const ScalarArgs& args = {}) {
  Shape shape;
  for (const Tensor* t : inputs) shape = broadcast_shapes(shape, t->shape(), op_name(op));
  check_same_device(op_name(op), inputs);
  Device device = (*inputs.begin())->device();
  Tensor out = empty(shape, out_dtype, device);
  StridedLoop loop = make_loop(out, inputs);
  kernel<ElementwiseKernel>(op, device.type)(loop, args);
  if (grad_recording(inputs)) {
    std::vector<Tensor> ins;
    for (const Tensor* t : inputs) ins.push_back(*t);
    record_op(OpCall{.op = op, .inputs = std::move(ins), .outputs = {out}, .a = args.a,
                     .b = args.b});
  }
  return out;
}

bool is_whole(double v) { return std::isfinite(v) && std::trunc(v) == v; }

void reject_bool(const Tensor& x, OpId op) {
  EMBER_CHECK(x.dtype() != DType::b8, DTypeError, op_name(op),
              ": bool tensors are not supported; convert with .to(DType::i64) or use the "
              "logical_* ops");
}

// Ops that compute in floating point: integer/bool inputs are converted to f32 first.
Tensor float_unary(OpId op, const Tensor& x, const ScalarArgs& args = {}) {
  Tensor in = x.to(to_floating(x.dtype()));
  return run_elementwise(op, in.dtype(), {&in}, args);
}

// Ops that keep the input's dtype (bool rejected).
Tensor same_unary(OpId op, const Tensor& x, const ScalarArgs& args = {}) {
  reject_bool(x, op);
  return run_elementwise(op, x.dtype(), {&x}, args);
}

// Rounding ops: the identity on integers.
Tensor rounding_unary(OpId op, const Tensor& x) {
  reject_bool(x, op);
  if (!is_floating(x.dtype())) return x.clone();
  return run_elementwise(op, x.dtype(), {&x});
}

enum class BinaryKind {
  arithmetic,  // promoted dtype; bool-only inputs compute in i64
  floating,    // promoted dtype, then f32 if not floating
  compare,     // promoted dtype in, bool out
  logical,     // promoted dtype in, bool out
};

Tensor binary(OpId op, BinaryKind kind, const Tensor& a, const Tensor& b) {
  DType compute = promote_types(a.dtype(), b.dtype());
  if (kind == BinaryKind::arithmetic && compute == DType::b8) compute = DType::i64;
  if (kind == BinaryKind::floating) compute = to_floating(compute);
  DType out = kind == BinaryKind::compare || kind == BinaryKind::logical ? DType::b8 : compute;
  Tensor ca = a.to(compute), cb = b.to(compute);
  return run_elementwise(op, out, {&ca, &cb});
}

Tensor binary(OpId op, BinaryKind kind, const Tensor& a, double b) {
  DType dt = promote_with_scalar(a.dtype(), is_whole(b));
  return binary(op, kind, a, scalar_tensor(b, dt, a.device()));
}

Tensor binary(OpId op, BinaryKind kind, double a, const Tensor& b) {
  DType dt = promote_with_scalar(b.dtype(), is_whole(a));
  return binary(op, kind, scalar_tensor(a, dt, b.device()), b);
}

}  // namespace

// --- unary --------------------------------------------------------------------------------

#define EMBER_FLOAT_UNARY(name) \
  Tensor name(const Tensor& x) { return float_unary(OpId::name, x); }
EMBER_FLOAT_UNARY(exp) EMBER_FLOAT_UNARY(exp2) EMBER_FLOAT_UNARY(log)
EMBER_FLOAT_UNARY(log2) EMBER_FLOAT_UNARY(log1p) EMBER_FLOAT_UNARY(expm1)
EMBER_FLOAT_UNARY(sqrt) EMBER_FLOAT_UNARY(rsqrt) EMBER_FLOAT_UNARY(sin)
EMBER_FLOAT_UNARY(cos) EMBER_FLOAT_UNARY(tan) EMBER_FLOAT_UNARY(tanh)
EMBER_FLOAT_UNARY(sigmoid) EMBER_FLOAT_UNARY(silu) EMBER_FLOAT_UNARY(erf)
EMBER_FLOAT_UNARY(reciprocal)
#undef EMBER_FLOAT_UNARY

#define EMBER_SAME_UNARY(name) \
  Tensor name(const Tensor& x) { return same_unary(OpId::name, x); }
EMBER_SAME_UNARY(neg) EMBER_SAME_UNARY(abs) EMBER_SAME_UNARY(sign) EMBER_SAME_UNARY(relu)
EMBER_SAME_UNARY(square)
#undef EMBER_SAME_UNARY

Tensor floor(const Tensor& x) { return rounding_unary(OpId::floor, x); }
Tensor ceil(const Tensor& x) { return rounding_unary(OpId::ceil, x); }
Tensor round(const Tensor& x) { return rounding_unary(OpId::round, x); }
Tensor trunc(const Tensor& x) { return rounding_unary(OpId::trunc, x); }

Tensor logical_not(const Tensor& x) { return run_elementwise(OpId::logical_not, DType::b8, {&x}); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  ScalarArgs args;
  args.a = negative_slope;
  return float_unary(OpId::leaky_relu, x, args);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  if (approximate == "none") return float_unary(OpId::gelu, x);
  if (approximate == "tanh") return float_unary(OpId::gelu_tanh, x);
  throw ValueError(str("gelu: approximate must be \"none\" or \"tanh\", got \"", approximate, "\""));
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  EMBER_CHECK(beta > 0, ValueError, "softplus: beta must be positive, got ", beta);
  ScalarArgs args;
  args.a = beta;
  args.b = threshold;
  return float_unary(OpId::softplus, x, args);
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  EMBER_CHECK(min || max, ValueError, "clamp: at least one of min and max must be given");
  ScalarArgs args;
  args.a = min.value_or(-INFINITY);
  args.b = max.value_or(INFINITY);
  bool whole = (!min || is_whole(*min)) && (!max || is_whole(*max));
  Tensor in = is_floating(x.dtype()) || whole ? x : x.to(DType::f32);
  return same_unary(OpId::clamp, in, args);
}

// --- binary -------------------------------------------------------------------------------

#define EMBER_DEFINE_BINARY(name, kind)                                                        \
  Tensor name(const Tensor& a, const Tensor& b) { return binary(OpId::name, kind, a, b); }   \
  Tensor name(const Tensor& a, double b) { return binary(OpId::name, kind, a, b); }          \
  Tensor name(double a, const Tensor& b) { return binary(OpId::name, kind, a, b); }
EMBER_DEFINE_BINARY(add, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(sub, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(mul, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(div, BinaryKind::floating)
EMBER_DEFINE_BINARY(pow, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(maximum, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(minimum, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(fmod, BinaryKind::arithmetic)
EMBER_DEFINE_BINARY(atan2, BinaryKind::floating)
EMBER_DEFINE_BINARY(eq, BinaryKind::compare)
EMBER_DEFINE_BINARY(ne, BinaryKind::compare)
EMBER_DEFINE_BINARY(lt, BinaryKind::compare)
EMBER_DEFINE_BINARY(le, BinaryKind::compare)
EMBER_DEFINE_BINARY(gt, BinaryKind::compare)
EMBER_DEFINE_BINARY(ge, BinaryKind::compare)
EMBER_DEFINE_BINARY(logical_and, BinaryKind::logical)
EMBER_DEFINE_BINARY(logical_or, BinaryKind::logical)
#undef EMBER_DEFINE_BINARY

// --- ternary ------------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(cond.dtype() == DType::b8, DTypeError, "where: condition must be bool, got ",
              dtype_name(cond.dtype()));
  DType dt = promote_types(a.dtype(), b.dtype());
  Tensor ca = a.to(dt), cb = b.to(dt);
  return run_elementwise(OpId::where, dt, {&cond, &ca, &cb});
}
Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, scalar_tensor(b, promote_with_scalar(a.dtype(), is_whole(b)), a.device()));
}
Tensor where(const Tensor& cond, double a, const Tensor& b) {
  return where(cond, scalar_tensor(a, promote_with_scalar(b.dtype(), is_whole(a)), b.device()), b);
}

Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight) {
  DType dt = to_floating(promote_types(promote_types(a.dtype(), b.dtype()), weight.dtype()));
  Tensor ca = a.to(dt), cb = b.to(dt), cw = weight.to(dt);
  return run_elementwise(OpId::lerp, dt, {&ca, &cb, &cw});
}
Tensor lerp(const Tensor& a, const Tensor& b, double weight) {
  return lerp(a, b, scalar_tensor(weight, to_floating(a.dtype()), a.device()));
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  EMBER_CHECK(mask.dtype() == DType::b8, DTypeError, "masked_fill: mask must be bool, got ",
              dtype_name(mask.dtype()));
  Shape s = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  EMBER_CHECK(s == x.shape(), ShapeError, "masked_fill: mask of shape ", mask.shape(),
              " does not broadcast to the input's shape ", x.shape());
  return where(mask, scalar_tensor(value, x.dtype(), x.device()), x);
}

}  // namespace ember
