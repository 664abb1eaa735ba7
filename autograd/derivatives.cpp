// Derivative rules: one row per primitive op, written with differentiable tensor ops so that
// create_graph gives second derivatives. A row names what it saves (inputs/outputs by bit)
// and returns one gradient per input; the engine reduces broadcast gradients and casts them.
#include <array>

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
    g = g.unsqueeze(-2);
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
                      static_cast<double>(step), DType::i64);
  return index_add(zeros(in.shape, g.dtype()), c.node.dim, idx, g);
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

  // ternary: the condition gets no gradient
  {OpId::where, ViewOp::none, {kSave0, 0, [](const BackwardCtx& c) -> Grads {
    Tensor cond = c.in(0);
    return {Tensor(), c.needs(1) ? where(cond, c.g(), 0.0) : Tensor(),
            c.needs(2) ? where(cond, 0.0, c.g()) : Tensor()}; }}},

  // copies: clone, to(dtype), contiguous (the engine casts back to the input's dtype)
  {OpId::copy, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads { return {c.g()}; }}},

  // reductions
  {OpId::sum, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unreduce(c, c.g())}; }}},
  {OpId::mean, ViewOp::none, {0, 0, [](const BackwardCtx& c) -> Grads {
    return {unreduce(c, c.g()) / static_cast<double>(reduced_count(c))}; }}},
  {OpId::amax, ViewOp::none, {kSave0, kSave0, extremum}},
  {OpId::amin, ViewOp::none, {kSave0, kSave0, extremum}},

  {OpId::matmul, ViewOp::none, {kSave0 | kSave1, 0, matmul_rule}},

  {OpId::softmax, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    Tensor y = c.out();
    return {y * (c.g() - sum(c.g() * y, {c.node.dim}, true))}; }}},
  {OpId::log_softmax, ViewOp::none, {0, kSave0, [](const BackwardCtx& c) -> Grads {
    return {c.g() - exp(c.out()) * sum(c.g(), {c.node.dim}, true)}; }}},

  // indexing: inputs (x, index[, src])
  {OpId::index_select, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {index_add(zeros(c.in_shape(0), c.g().dtype()), c.node.dim, c.in(1), c.g())}; }}},
  {OpId::gather, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {scatter_add(zeros(c.in_shape(0), c.g().dtype()), c.node.dim, c.in(1), c.g())}; }}},
  {OpId::index_add, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), Tensor(),
            c.needs(2) ? index_select(c.g(), c.node.dim, c.in(1)) * c.node.a : Tensor()}; }}},
  {OpId::scatter_add, ViewOp::none, {kSave1, 0, [](const BackwardCtx& c) -> Grads {
    return {c.g(), Tensor(), c.needs(2) ? gather(c.g(), c.node.dim, c.in(1)) : Tensor()}; }}},

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
