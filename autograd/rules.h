// The derivative-rule table: one row per primitive op (or view kind), queryable by OpId.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

// What a rule sees: the node (attributes, saved tensors, input geometry) and the gradient of
// every output (zeros where an output received none).
struct BackwardCtx {
  const Node& node;
  const std::vector<Tensor>& grad_outputs;
  const Tensor& g(int i = 0) const { return grad_outputs[i]; }
  Tensor in(int i) const { return node.input(i); }
  Tensor out(int i = 0) const { return node.output(i); }
  const Shape& in_shape(int i) const { return node.inputs[i].shape; }
  bool needs(int i) const { return node.edges[i].defined(); }
};

// Gradients per input (undefined: none). They may have a broadcast shape or another dtype:
// the engine sums them to the input's shape and casts them to its dtype.
using BackwardFn = std::vector<Tensor> (*)(const BackwardCtx&);

constexpr uint32_t kSave0 = 1, kSave1 = 2, kSave2 = 4;

struct Rule {
  uint32_t save_inputs = 0;   // bit i: the rule reads input i
  uint32_t save_outputs = 0;  // bit i: the rule reads output i
  BackwardFn backward = nullptr;
};

// The rule of an op (view == ViewOp::none) or of a view kind; null when there is none.
const Rule* find_rule(OpId op, ViewOp view);
bool has_rule(OpId op);

// Sums `g` over broadcast dims down to `shape` (the reverse of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace ember::autograd
