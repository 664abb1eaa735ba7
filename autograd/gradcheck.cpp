// gradcheck / gradgradcheck: central differences on each input element, computed under
// NoGradGuard, against the engine's gradient of a random projection of the output.
#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/autograd.h"
#include "kernels/error.h"
#include "tensor/ops.h"

namespace ember::autograd {
namespace {

// A fixed projection so every output element contributes with its own weight.
Tensor projection(const Shape& shape, DType dtype) {
  Generator gen(20240617);
  return uniform(shape, 0.5, 1.5, dtype, &gen);
}

double project(const Tensor& y, const Tensor& v) { return sum(y * v).item(); }

}  // namespace

bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, double eps, double atol,
               double rtol) {
  std::vector<Tensor> wrt;
  std::vector<size_t> wrt_index;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    EMBER_CHECK(inputs[i].dtype() == DType::f64, DTypeError, "gradcheck: input ", i,
                " has dtype ", dtype_name(inputs[i].dtype()), "; expected f64");
    wrt.push_back(inputs[i]);
    wrt_index.push_back(i);
  }
  EMBER_CHECK(!wrt.empty(), ValueError, "gradcheck: no input requires grad");
  Tensor y = fn(inputs);
  EMBER_CHECK(is_floating(y.dtype()), DTypeError, "gradcheck: fn returned dtype ",
              dtype_name(y.dtype()), "; expected a floating output");
  Tensor v = projection(y.shape(), y.dtype());
  std::vector<Tensor> analytic;
  if (y.requires_grad()) {
    analytic = grad({y}, wrt, {v}, /*retain_graph=*/false, /*create_graph=*/false);
  } else {
    analytic.resize(wrt.size());
  }

  double worst = -1, worst_a = 0, worst_n = 0;
  size_t worst_input = 0;
  int64_t worst_elem = 0;
  for (size_t w = 0; w < wrt.size(); ++w) {
    const Tensor& x = wrt[w];
    Tensor a = analytic[w].defined() ? analytic[w].contiguous() : zeros(x.shape(), DType::f64);
    std::vector<double> av = a.to_vector<double>();
    for (int64_t e = 0; e < x.numel(); ++e) {
      // Perturb element e through a view of x's own storage, so strided inputs work too.
      Shape idx = Shape::filled(x.dim(), 0);
      int64_t rest = e, off = x.offset();
      for (int d = x.dim() - 1; d >= 0; --d) {
        idx[d] = rest % x.size(d);
        rest /= x.size(d);
        off += idx[d] * x.stride(d);
      }
      double* p = static_cast<double*>(x.storage()->data()) + off;
      const double orig = *p;
      double plus, minus;
      {
        NoGradGuard no_grad;
        *p = orig + eps;
        plus = project(fn(inputs), v);
        *p = orig - eps;
        minus = project(fn(inputs), v);
        *p = orig;
      }
      const double numeric = (plus - minus) / (2 * eps);
      // NaN agrees only with NaN (a NaN on one side is the worst mismatch).
      const bool nan_a = std::isnan(av[e]), nan_n = std::isnan(numeric);
      const double err = nan_a || nan_n
                             ? (nan_a == nan_n ? 0.0 : HUGE_VAL)
                             : std::fabs(av[e] - numeric) - (atol + rtol * std::fabs(numeric));
      if (err > 0 && err > worst) {
        worst = err;
        worst_a = av[e];
        worst_n = numeric;
        worst_input = wrt_index[w];
        worst_elem = e;
      }
    }
  }
  if (worst > 0) {
    throw ValueError(str("gradcheck: gradient mismatch at input ", worst_input, " element ",
                         worst_elem, " (row-major): analytic ", worst_a, " vs numeric ", worst_n,
                         " (atol ", atol, ", rtol ", rtol, ")"));
  }
  return true;
}

bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, double eps,
                   double atol, double rtol) {
  // inputs -> sum_i <d(sum(fn * v))/d(input_i), u_i>, differentiated again by gradcheck.
  GradcheckFn first = [&fn](const std::vector<Tensor>& xs) {
    std::vector<Tensor> wrt;
    for (const Tensor& x : xs) {
      if (x.requires_grad()) wrt.push_back(x);
    }
    Tensor y = fn(xs);
    Tensor v = projection(y.shape(), y.dtype());
    if (!grad_enabled() || !y.requires_grad()) {
      // Under NoGradGuard (the numeric pass) evaluate the same quantity with grad on locally.
      EnableGradGuard on;
      std::vector<Tensor> fresh;
      for (const Tensor& x : xs) {
        Tensor c = x.detach();
        if (x.requires_grad()) c.requires_grad_(true);
        fresh.push_back(c);
      }
      std::vector<Tensor> fresh_wrt;
      for (const Tensor& c : fresh) {
        if (c.requires_grad()) fresh_wrt.push_back(c);
      }
      Tensor yy = fn(fresh);
      Tensor total = scalar_tensor(0.0, DType::f64);
      if (!yy.requires_grad()) return total;  // fn does not depend on the inputs
      auto gs = grad({yy}, fresh_wrt, {v}, false, false);
      for (size_t i = 0; i < gs.size(); ++i) {
        if (gs[i].defined()) total = total + sum(gs[i] * projection(gs[i].shape(), DType::f64));
      }
      return total.detach();
    }
    auto gs = grad({y}, wrt, {v}, /*retain_graph=*/true, /*create_graph=*/true);
    Tensor total = scalar_tensor(0.0, DType::f64);
    for (size_t i = 0; i < gs.size(); ++i) {
      if (gs[i].defined()) total = total + sum(gs[i] * projection(gs[i].shape(), DType::f64));
    }
    return total;
  };
  return gradcheck(first, inputs, eps, atol, rtol);
}

}  // namespace ember::autograd
