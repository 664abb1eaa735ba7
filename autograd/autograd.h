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

// Anomaly mode (this thread; EMBER_ANOMALY=1 turns it on by default): ops recorded while it is
// on remember a description of their forward call, and a backward run while it is on throws
// an ember::Error naming the node whose rule produced a NaN or Inf gradient.
bool anomaly_enabled();
void set_anomaly_enabled(bool enabled);

class AnomalyGuard {
 public:
  explicit AnomalyGuard(bool enabled = true) : prev_(anomaly_enabled()) {
    set_anomaly_enabled(enabled);
  }
  ~AnomalyGuard() { set_anomaly_enabled(prev_); }
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool prev_;
};

// d(outputs)/d(inputs) contracted with grad_outputs (empty: ones for one-element outputs),
// returned without touching any .grad. An input the outputs do not depend on gets an
// undefined tensor. create_graph records the backward pass, so the results are differentiable.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false);

}  // namespace ember::autograd
