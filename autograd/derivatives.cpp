// Derivative rules: one row per primitive op, written with differentiable tensor ops so that
// create_graph gives second derivatives. A row names what it saves (inputs/outputs by bit)
// and returns one gradient per input; the engine reduces broadcast gradients and casts them.
#include <algorithm>
#include <array>
#include <numbers>

#include "autograd/rules.h"
#include "kernels/error.h"
#include "tensor/ops.h"

namespace ember::autograd {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  const int lead = g.dim() - shape.size();
  EMBER_CHECK(lead >= 0, ShapeError, "autograd: gradient of shape ", g.shape(),
              " cannot be summed to shape ", shape);
  Shape dims;
  for (int d = 0; d < g.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && g.size(d) != 1)) dims.push_back(d);
  }
  Tensor r = dims.empty() ? g : sum(g, dims, true);
  return r.reshape(shape);
}

namespace {

using Grads = std::vector<Tensor>;

// The gradient of a reduction's output spread back over the reduced dims of input 0.
Tensor unreduce(const BackwardCtx& c, const Tensor& g) {
  const Shape& in = c.in_shape(0);
  Shape keep = in;
  for (int64_t d : c.node.dims) keep[d] = 1;
  return g.reshape(keep).expand(in);
}

int64_t reduced_count(const BackwardCtx& c) {
  int64_t n = 1;
  for (int64_t d : c.node.dims) n *= c.in_shape(0)[d];
  return n;
}

// amax/amin: the gradient goes to the elements equal to the result, split evenly among ties.
Grads extremum(const BackwardCtx& c) {
  Tensor x = c.in(0);
  Tensor hit = eq(x, unreduce(c, c.out())).to(x.dtype());
  Tensor ties = sum(hit, c.node.dims, true);
  return {hit * (unreduce(c, c.g()) / ties)};
}

Grads matmul_rule(const BackwardCtx& c) {
  Tensor a = c.in(0), b = c.in(1), g = c.g();
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  if (a_vec) {
    a = a.unsqueeze(0);
    g = g.unsqueeze(g.dim() == 0 ? 0 : -2);  // 1-d @ 1-d: a 0-d gradient
  }
  if (b_vec) {
    b = b.unsqueeze(-1);
    g = g.unsqueeze(-1);
  }
  Grads r(2);
  if (c.needs(0)) r[0] = sum_to(matmul(g, b.transpose(-1, -2)), a.shape()).reshape(c.in_shape(0));
  if (c.needs(1)) r[1] = sum_to(matmul(a.transpose(-1, -2), g), b.shape()).reshape(c.in_shape(1));
  return r;
}

// Gradient of a strided slice of input 0 along dim: the slice's gradient added into zeros.
Tensor unslice(const BackwardCtx& c, const Tensor& g, int64_t start, int64_t step, int64_t len) {
  const TensorInfo& in = c.node.inputs[0];
  Tensor idx = arange(static_cast<double>(start), static_cast<double>(start + len * step),
                      static_cast<double>(step), DType::i64, g.device());
  return index_add(zeros(in.shape, g.dtype(), g.device()), c.node.dim, idx, g);
}

Grads cat_rule(const BackwardCtx& c) {
  Grads r(c.node.inputs.size());
  const int d = static_cast<int>(c.node.dim);
  const int rank = c.g().dim();
  int64_t offset = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const Shape& s = c.node.inputs[i].shape;
    if (s.size() != rank) continue;  // the legacy empty 1-d tensors cat skips
    if (c.needs(static_cast<int>(i))) r[i] = c.g().narrow(d, offset, s[d]);
    offset += s[d];
  }
  return r;
}

// Zero gradient for piecewise-constant ops (sign, floor, ...): zeros, not "no gradient", so
// the input's .grad is defined as in PyTorch.
Grads zero_grad(const BackwardCtx& c) {
  return {zeros(c.in_shape(0), c.g().dtype(), c.g().device())};
}

// Gradient of a sum along `dim` from each position to the end: the reverse cumsum, written as
// total - cumsum + g so that it needs no flip (flip writes through copy_).
Tensor reverse_cumsum(const Tensor& g, int64_t dim) {
  return sum(g, {dim}, true) - cumsum(g, dim) + g;
}

// maximum/minimum: the gradient goes to the larger (smaller) input, split evenly on ties,
// matching amax/amin.
Grads pick_extremum(const BackwardCtx& c, bool is_max) {
  Tensor a = c.in(0), b = c.in(1);
  const DType dt = c.g().dtype();
  Tensor half_tie = eq(a, b).to(dt) * 0.5;
  Tensor a_wins = (is_max ? gt(a, b) : lt(a, b)).to(dt) + half_tie;
  Tensor b_wins = (is_max ? lt(a, b) : gt(a, b)).to(dt) + half_tie;
  return {c.needs(0) ? c.g() * a_wins : Tensor(), c.needs(1) ? c.g() * b_wins : Tensor()};
}

// prod: g * prod(others). With no zero in a reduced group that is g * out / x; with exactly
// one zero only the zero gets a gradient (the product of the rest); with two or more zeros
// every gradient is 0. Products are taken with the zeros replaced by 1 so nothing divides by 0.
// Second derivatives are exact only for groups without a zero (the zero cases are piecewise
// constants of the other elements here).
Grads prod_rule(const BackwardCtx& c) {
  Tensor x = c.in(0);
  Tensor is_zero = eq(x, 0.0);
  Tensor x_nz = where(is_zero, 1.0, x);
  Tensor p_nz = prod(x_nz, c.node.dims, true);
  Tensor zeros_in_group = unreduce(c, sum(is_zero.to(DType::i64), c.node.dims, true));
  Tensor p = p_nz.expand(c.in_shape(0));
  Tensor one_zero = logical_and(eq(zeros_in_group, 1.0), is_zero);
  Tensor d = where(eq(zeros_in_group, 0.0), p / x_nz, where(one_zero, p, 0.0));
  return {unreduce(c, c.g()) * d};
}

// var: g * 2 (x - mean) / (N - correction).
Grads var_rule(const BackwardCtx& c) {
  Tensor x = c.in(0);
  const double divisor = static_cast<double>(reduced_count(c)) - c.node.a;
  return {unreduce(c, c.g()) * (2.0 / divisor) * (x - mean(x, c.node.dims, true))};
}

int64_t wrap(int64_t dim, size_t rank) {
  return dim < 0 ? dim + static_cast<int64_t>(rank) : dim;
}

// max(dim)/min(dim) values: the gradient goes to the index the kernel picked (the first
// extremum), as in PyTorch. Output 1 holds the indices.
Grads arg_extremum(const BackwardCtx& c) {
  const Shape& in = c.in_shape(0);
  if (in.size() == 0) return {c.g()};
  const int64_t d = wrap(c.node.dim, in.size());
  Tensor idx = c.out(1), g = c.g();
  if (!c.node.keepdim) {
    idx = idx.unsqueeze(d);
    g = g.unsqueeze(d);
  }
  return {scatter_add(zeros(in, g.dtype(), g.device()), d, idx, g)};
}

// sort/topk values: each value's gradient goes back to the position it came from.
Grads sorted_values(const BackwardCtx& c) {
  const Shape& in = c.in_shape(0);
  if (in.size() == 0) return {c.g()};
  return {scatter_add(zeros(in, c.g().dtype(), c.g().device()), c.node.dim, c.out(1), c.g())};
}

// cumprod: grad_i = sum_{j >= i} g_j out_j / x_i, exact while the line has no zero. With zeros,
// positions before the first zero keep that formula (later terms vanish), positions after it
// get 0, and the first zero itself gets sum_{j >= z} g_j prod_{k <= j, k != z} x_k: the same
// reverse cumsum over the cumprod of x with that one zero replaced by 1. Second derivatives
// are exact for lines without a zero.
Grads cumprod_rule(const BackwardCtx& c) {
  Tensor x = c.in(0), y = c.out(), g = c.g();
  const int64_t d = c.node.dim;
  Tensor is_zero = eq(x, 0.0);
  if (!any(is_zero).item<bool>()) return {reverse_cumsum(g * y, d) / x};
  Tensor first_zero = logical_and(is_zero, eq(cumsum(is_zero, d), 1.0));
  Tensor x_nz = where(is_zero, 1.0, x);
  Tensor before = reverse_cumsum(g * y, d) / x_nz;
  Tensor at_first = reverse_cumsum(g * cumprod(where(first_zero, 1.0, x), d), d);
  return {where(first_zero, at_first, where(is_zero, 0.0, before))};
}

// Gradient for a src larger than its index (scatter/scatter_add read only the index's extent
// of src): the gathered gradient, padded with zeros up to src's shape.
Tensor pad_to(const Tensor& g, const Shape& shape) {
  Tensor r = g;
  for (int d = 0; d < r.dim(); ++d) {
    if (r.size(d) == shape[d]) continue;
    Shape z = r.shape();
    z[d] = shape[d] - r.size(d);
    r = cat({r, zeros(z, r.dtype(), r.device())}, d);
  }
  return r;
}

Tensor scattered_src_grad(const BackwardCtx& c) {
  if (c.in_shape(2).size() == 0) return c.g();
  return pad_to(gather(c.g(), c.node.dim, c.in(1)), c.in_shape(2));
}

// scatter: x's gradient is g where src did not overwrite it. src's is g at its target for the
// element the kernel wrote, and 0 for elements a later duplicate overwrote: the kernel writes
// in row-major order of the index (last write wins), so scattering the element ids with the
// same index leaves each target's winner.
Grads scatter_rule(const BackwardCtx& c) {
  Grads r(3);
  Tensor idx = c.in(1);
  const int64_t d = c.node.dim;
  if (c.needs(0)) {
    r[0] = scatter(c.g(), d, idx, zeros(idx.shape(), c.g().dtype(), idx.device()));
  }
  if (c.needs(2)) {
    if (c.in_shape(2).size() == 0) return {r[0], Tensor(), c.g()};
    Tensor ids = arange(0.0, static_cast<double>(idx.numel()), 1.0, DType::i64, idx.device())
                     .reshape(idx.shape());
    Tensor winner = scatter(full(c.in_shape(0), -1.0, DType::i64, idx.device()), d, idx, ids);
    Tensor won = eq(gather(winner, d, idx), ids);
    r[2] = pad_to(where(won, gather(c.g(), d, idx), 0.0), c.in_shape(2));
  }
  return r;
}

// masked_select (recorded on the broadcast input and mask): element k of the output came
// from the k-th true mask position, so that position reads g[k] and the others get 0.
Grads masked_select_rule(const BackwardCtx& c) {
  Tensor mask = c.in(1);
  if (c.g().numel() == 0) return {zeros(c.in_shape(0), c.g().dtype(), c.g().device())};
  Tensor flat = mask.reshape({-1});
  Tensor pos = cumsum(flat, 0) - 1;
  Tensor picked = index_select(c.g(), 0, where(flat, pos, 0.0).to(DType::i64));
  return {where(flat, picked, 0.0).reshape(c.in_shape(0))};
}

// Storage positions of every element of a tensor of geometry `t`, flattened in row-major order.
Tensor storage_positions(const TensorInfo& t, Device device) {
  Tensor pos = full({}, static_cast<double>(t.offset), DType::i64, device);
  const int rank = t.shape.size();
  for (int d = 0; d < rank; ++d) {
    Shape s = Shape::filled(rank, 1);
    s[d] = t.shape[d];
    Tensor step =
        arange(0.0, static_cast<double>(t.shape[d]), 1.0, DType::i64, device) * t.strides[d];
    pos = pos + step.reshape(s);
  }
  return pos.expand(t.shape).reshape({-1});
}

int64_t max_position(const TensorInfo& t) {
  int64_t hi = t.offset;
  for (int d = 0; d < t.shape.size(); ++d) {
    hi += (t.shape[d] - 1) * std::max<int64_t>(t.strides[d], 0);
  }
  return hi;
}

// as_strided: the output's gradient is added into a buffer laid out like the storage, which
// the input then reads at its own positions. Input elements that share a storage position
// (an expanded input) split that position's gradient evenly; output positions outside the
// input's footprint contribute nothing.
Grads as_strided_rule(const BackwardCtx& c) {
  const TensorInfo& in = c.node.inputs[0];
  const TensorInfo& out = c.node.outputs[0];
  const DType dt = c.g().dtype();
  const Device dev = c.g().device();
  if (in.shape.numel() == 0 || out.shape.numel() == 0) return {zeros(in.shape, dt, dev)};
  const int64_t size = std::max(max_position(in), max_position(out)) + 1;
  Tensor in_pos = storage_positions(in, dev);
  Tensor buffer =
      index_add(zeros({size}, dt, dev), 0, storage_positions(out, dev), c.g().reshape({-1}));
  Tensor count = index_add(zeros({size}, dt, dev), 0, in_pos, ones({in_pos.numel()}, dt, dev));
  return {index_select(buffer / where(eq(count, 0.0), 1.0, count), 0, in_pos).reshape(in.shape)};
}

struct Row {
  OpId op;
  ViewOp view;
  Rule rule;
};

// clang-format off
const Row kRows[] = {
  // unary
  {OpId::neg, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads { return {-c.g()}; }}},
  {OpId::exp, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * c.out()}; }}},
  {OpId::log, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() / c.in(0)}; }}},
  {OpId::sqrt, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() / (2.0 * c.out())}; }}},
  {OpId::tanh, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {c.g() * (1.0 - y * y)}; }}},
  {OpId::sigmoid, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {c.g() * y * (1.0 - y)}; }}},
  // relu'(0) = 0, as in PyTorch
  {OpId::relu, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {where(c.out() > 0.0, c.g(), 0.0)}; }}},
  {OpId::square, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * (2.0 * c.in(0))}; }}},
  // abs'(0) = sign(0) = 0
  {OpId::abs, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * sign(c.in(0))}; }}},
  {OpId::sign, ViewOp::none, {0, 0, zero_grad}},
  {OpId::floor, ViewOp::none, {0, 0, zero_grad}},
  {OpId::ceil, ViewOp::none, {0, 0, zero_grad}},
  {OpId::round, ViewOp::none, {0, 0, zero_grad}},
  {OpId::trunc, ViewOp::none, {0, 0, zero_grad}},
  {OpId::exp2, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * c.out() * std::numbers::ln2}; }}},
  {OpId::log2, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() / (c.in(0) * std::numbers::ln2)}; }}},
  {OpId::log1p, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() / (c.in(0) + 1.0)}; }}},
  {OpId::expm1, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * (c.out() + 1.0)}; }}},
  {OpId::rsqrt, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {c.g() * (-0.5 * y * y * y)}; }}},
  {OpId::reciprocal, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {-c.g() * y * y}; }}},
  {OpId::sin, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g() * cos(c.in(0))}; }}},
  {OpId::cos, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {-c.g() * sin(c.in(0))}; }}},
  {OpId::tan, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {c.g() * (1.0 + y * y)}; }}},
  {OpId::erf, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor x = c.in(0);
    return {c.g() * (std::numbers::inv_sqrtpi * 2.0) * exp(-x * x)}; }}},
  // leaky_relu'(0) = slope, as in PyTorch (x > 0 takes the identity branch)
  {OpId::leaky_relu, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    return {where(c.in(0) > 0.0, c.g(), c.g() * c.node.a)}; }}},
  // gelu' = Phi(x) + x phi(x)
  {OpId::gelu, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor x = c.in(0);
    Tensor cdf = 0.5 * (1.0 + erf(x * (0.5 * std::numbers::sqrt2)));
    Tensor pdf = exp(-0.5 * x * x) * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
    return {c.g() * (cdf + x * pdf)}; }}},
  // y = x s(2u), u = k (x + 0.044715 x^3): y' = s + x s (1 - s) 2k (1 + 3 * 0.044715 x^2)
  {OpId::gelu_tanh, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    constexpr double kK = 0.79788456080286535588, kC = 0.044715;
    Tensor x = c.in(0);
    Tensor s = sigmoid(2.0 * kK * (x + kC * x * x * x));
    return {c.g() * (s + x * s * (1.0 - s) * (2.0 * kK) * (1.0 + 3.0 * kC * x * x))}; }}},
  {OpId::silu, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor x = c.in(0), s = sigmoid(x);
    return {c.g() * s * (1.0 + x * (1.0 - s))}; }}},
  // softplus' = sigmoid(beta x), and 1 on the linear part above the threshold
  {OpId::softplus, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor z = c.in(0) * c.node.a;
    return {where(z > c.node.b, c.g(), c.g() * sigmoid(z))}; }}},
  // clamp passes the gradient strictly inside (min, max); at a bound it is 0 (PyTorch passes
  // it at the bound too). The strict choice keeps a clamped-at-the-bound value from moving.
  {OpId::clamp, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor x = c.in(0);
    return {where(logical_and(x > c.node.a, x < c.node.b), c.g(), 0.0)}; }}},

  // binary (the engine sums broadcast gradients back to each input's shape)
  {OpId::add, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads { return {c.g(), c.g()}; }}},
  {OpId::sub, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), c.needs(1) ? -c.g() : Tensor()}; }}},
  {OpId::mul, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.needs(0) ? c.g() * c.in(1) : Tensor(), c.needs(1) ? c.g() * c.in(0) : Tensor()}; }}},
  {OpId::div, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    Tensor b = c.in(1);
    return {c.needs(0) ? c.g() / b : Tensor(),
            c.needs(1) ? -c.g() * c.in(0) / (b * b) : Tensor()}; }}},
  // d/db a^b = a^b log a, taken as 0 where a <= 0 (the real power is not differentiable in b)
  {OpId::pow, ViewOp::none, {kSave0 | kSave1, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor a = c.in(0), b = c.in(1);
    return {c.needs(0) ? c.g() * b * pow(a, b - 1.0) : Tensor(),
            c.needs(1) ? where(a > 0.0, c.g() * c.out() * log(a), 0.0) : Tensor()}; }}},
  {OpId::maximum, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return pick_extremum(c, true); }}},
  {OpId::minimum, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return pick_extremum(c, false); }}},
  {OpId::atan2, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    Tensor a = c.in(0), b = c.in(1);
    Tensor r2 = a * a + b * b;
    return {c.needs(0) ? c.g() * b / r2 : Tensor(), c.needs(1) ? -c.g() * a / r2 : Tensor()}; }}},
  // fmod(a, b) = a - trunc(a / b) b
  {OpId::fmod, ViewOp::none, {kSave0 | kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), c.needs(1) ? -c.g() * trunc(c.in(0) / c.in(1)) : Tensor()}; }}},

  // ternary: the condition gets no gradient
  {OpId::where, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor cond = c.in(0);
    return {Tensor(), c.needs(1) ? where(cond, c.g(), 0.0) : Tensor(),
            c.needs(2) ? where(cond, 0.0, c.g()) : Tensor()}; }}},
  // lerp(a, b, w) = a + w (b - a)
  {OpId::lerp, ViewOp::none, {kSave0 | kSave1 | kSave2, 0, [](const BackwardCtx& c) -> Grads {
    Tensor w = c.in(2);
    return {c.needs(0) ? c.g() * (1.0 - w) : Tensor(), c.needs(1) ? c.g() * w : Tensor(),
            c.needs(2) ? c.g() * (c.in(1) - c.in(0)) : Tensor()}; }}},

  // copies: clone, to(dtype), contiguous (the engine casts back to the input's dtype)
  {OpId::copy, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads { return {c.g()}; }}},

  // reductions
  {OpId::sum, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unreduce(c, c.g())}; }}},
  {OpId::mean, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unreduce(c, c.g()) / static_cast<double>(reduced_count(c))}; }}},
  {OpId::amax, ViewOp::none, {kSave0, kSave0, extremum}},
  {OpId::amin, ViewOp::none, {kSave0, kSave0, extremum}},
  {OpId::prod, ViewOp::none, {kSave0, 0, prod_rule}},
  {OpId::var, ViewOp::none, {kSave0, 0, var_rule}},
  {OpId::argmax, ViewOp::none, {0, kSave1, arg_extremum}},
  {OpId::argmin, ViewOp::none, {0, kSave1, arg_extremum}},

  {OpId::matmul, ViewOp::none, {kSave0 | kSave1, 0, matmul_rule}},

  {OpId::softmax, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {y * (c.g() - sum(c.g() * y, {c.node.dim}, true))}; }}},
  {OpId::log_softmax, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() - exp(c.out()) * sum(c.g(), {c.node.dim}, true)}; }}},
  {OpId::cumsum, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {reverse_cumsum(c.g(), c.node.dim)}; }}},
  {OpId::cumprod, ViewOp::none, {kSave0, kSave0, cumprod_rule}},
  {OpId::sort, ViewOp::none, {0, kSave1, sorted_values}},
  {OpId::topk, ViewOp::none, {0, kSave1, sorted_values}},
  // tril/triu: the same mask on the gradient
  {OpId::tri, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    const auto diagonal = static_cast<int64_t>(c.node.a);
    return {c.node.b != 0.0 ? triu(c.g(), diagonal) : tril(c.g(), diagonal)}; }}},

  // indexing: inputs (x, index[, src])
  {OpId::index_select, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {index_add(zeros(c.in_shape(0), c.g().dtype(), c.g().device()), c.node.dim, c.in(1),
                      c.g())}; }}},
  {OpId::gather, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {scatter_add(zeros(c.in_shape(0), c.g().dtype(), c.g().device()), c.node.dim, c.in(1),
                        c.g())}; }}},
  {OpId::index_add, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), Tensor(),
            c.needs(2) ? index_select(c.g(), c.node.dim, c.in(1)) * c.node.a : Tensor()}; }}},
  {OpId::scatter_add, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), Tensor(), c.needs(2) ? scattered_src_grad(c) : Tensor()}; }}},
  {OpId::scatter, ViewOp::none, {kSave1, 0, scatter_rule}},
  {OpId::masked_select, ViewOp::none, {kSave1, 0, masked_select_rule}},

  {OpId::cat, ViewOp::none, {0, 0, cat_rule}},

  // views
  {OpId::copy, ViewOp::reshape, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g().reshape(c.in_shape(0))}; }}},
  {OpId::copy, ViewOp::permute, {0, 0, [](const BackwardCtx& c) -> Grads {
    Shape inverse = c.node.dims;
    for (int i = 0; i < c.node.dims.size(); ++i) inverse[c.node.dims[i]] = i;
    return {c.g().permute(inverse)}; }}},
  {OpId::copy, ViewOp::expand, {0, 0, [](const BackwardCtx& c) -> Grads { return {c.g()}; }}},
  {OpId::copy, ViewOp::slice, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unslice(c, c.g(), static_cast<int64_t>(c.node.a), static_cast<int64_t>(c.node.b),
                    c.g().size(c.node.dim))}; }}},
  {OpId::copy, ViewOp::as_strided, {0, 0, as_strided_rule}},
  {OpId::copy, ViewOp::select, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unslice(c, c.g().unsqueeze(c.node.dim), static_cast<int64_t>(c.node.a), 1, 1)}; }}},
};
// clang-format on

struct Table {
  std::array<const Rule*, kNumOps> ops{};
  std::array<const Rule*, 7> views{};
  Table() {
    for (const Row& r : kRows) {
      if (r.view == ViewOp::none) {
        ops[static_cast<size_t>(r.op)] = &r.rule;
      } else {
        views[static_cast<size_t>(r.view)] = &r.rule;
      }
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const Rule* find_rule(OpId op, ViewOp view) {
  if (view != ViewOp::none) return table().views[static_cast<size_t>(view)];
  return table().ops[static_cast<size_t>(op)];
}

bool has_rule(OpId op) { return find_rule(op, ViewOp::none) != nullptr; }

}  // namespace ember::autograd
