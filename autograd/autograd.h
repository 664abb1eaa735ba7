// Public autograd API beyond the Tensor methods: grad mode and gradients without .grad.
// The engine is define-by-run: docs/internals/autograd.md describes it.
#pragma once
#include <vector>

#include "tensor/grad_hook.h"
#include "tensor/tensor.h"

namespace ember::autograd {

// Turns graph recording off for its scope (this thread): ops record nothing.
class NoGradGuard {
 public:
  NoGradGuard() : guard_(false) {}

 private:
  GradModeGuard guard_;
};

// Turns recording back on inside a NoGradGuard.
class EnableGradGuard {
 public:
  EnableGradGuard() : guard_(true) {}

 private:
  GradModeGuard guard_;
};

// d(outputs)/d(inputs) contracted with grad_outputs (empty: ones for one-element outputs),
// returned without touching any .grad. An input the outputs do not depend on gets an
// undefined tensor. create_graph records the backward pass, so the results are differentiable.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false);

}  // namespace ember::autograd
