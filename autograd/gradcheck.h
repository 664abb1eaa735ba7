// Numerical gradient checks: analytic gradients (autograd::grad) against central finite
// differences, in f64. Failures throw ValueError naming the worst element.
#pragma once
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace ember::autograd {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks d(sum(fn(inputs) * v))/d(inputs) for a fixed random v, for every input that requires
// grad (all must be f64). An element fails when |analytic - numeric| > atol + rtol*|numeric|,
// or when exactly one of the two is NaN.
// Returns true or throws with: input index, element index, analytic vs numeric.
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
               double atol = 1e-5, double rtol = 1e-3);

// Second derivatives: gradcheck of the function inputs -> (first gradients . u), the first
// gradients taken with create_graph=true.
bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, double eps = 1e-6,
                   double atol = 1e-5, double rtol = 1e-3);

}  // namespace ember::autograd
