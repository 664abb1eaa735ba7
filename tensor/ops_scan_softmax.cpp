// Front ends of the ops along one dim (cumsum, cumprod, softmax, log_softmax) and of dropout,
// which is composed from a Philox keep-mask (dropout_mask) and the elementwise where/mul.
#include <cmath>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/ops.h"

namespace ember {

namespace {

// Runs a DimKernel over x viewed as [outer, len, inner] around `dim` into a new tensor of x's
// shape and `out_dtype`.
Tensor run_along_dim(OpId op, const Tensor& x, int64_t dim, DType out_dtype) {
  const int d = wrap_dim(dim, x.dim(), op_name(op));
  Tensor in = x.contiguous().detach();
  Tensor out = empty(x.shape(), out_dtype, x.device());
  DimArgs args;
  args.outer = 1;
  args.len = x.dim() == 0 ? 1 : x.size(d);
  args.inner = 1;
  for (int i = 0; i < d; ++i) args.outer *= x.size(i);
  for (int i = d + 1; i < x.dim(); ++i) args.inner *= x.size(i);
  args.in = static_cast<const char*>(in.data_ptr());
  args.out = static_cast<char*>(out.data_ptr());
  args.in_dtype = x.dtype();
  args.out_dtype = out_dtype;
  kernel<DimKernel>(op, x.device().type)(args);
  if (grad_recording({&x})) record_op(OpCall{.op = op, .inputs = {x}, .outputs = {out}, .dim = d});
  return out;
}

Tensor scan(OpId op, const Tensor& x, int64_t dim) {
  return run_along_dim(op, x, dim, is_floating(x.dtype()) ? x.dtype() : DType::i64);
}

Tensor softmax_like(OpId op, const Tensor& x, int64_t dim) {
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, op_name(op), ": expected a floating tensor, got ",
              dtype_name(x.dtype()), "; convert it first, e.g. x.to(DType::f32)");
  return run_along_dim(op, x, dim, x.dtype());
}

void check_dropout_p(double p, const char* op) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, op, ": p = ", p,
              " is not a probability; expected 0 <= p <= 1");
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) { return scan(OpId::cumsum, x, dim); }
Tensor cumprod(const Tensor& x, int64_t dim) { return scan(OpId::cumprod, x, dim); }

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_like(OpId::softmax, x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_like(OpId::log_softmax, x, dim); }

// Element i is kept when the i-th f32 uniform draw u of `gen` (tensor/random.h) is >= p. The
// draws are made on `device` (Philox gives every device the same numbers) and compared there:
// since u is a float, u >= p in double is u >= t, with t the smallest float >= p, so the f32
// comparison with t gives the same mask on every device, with no host round trip.
Tensor dropout_mask(const Shape& shape, double p, Generator* gen, Device device) {
  check_dropout_p(p, "dropout_mask");
  float threshold = static_cast<float>(p);
  if (static_cast<double>(threshold) < p) threshold = std::nextafter(threshold, INFINITY);
  return ge(rand(shape, DType::f32, gen, device), static_cast<double>(threshold));
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  check_dropout_p(p, "dropout");
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "dropout: expected a floating tensor, got ",
              dtype_name(x.dtype()));
  if (!training || p == 0.0) return x;
  if (p == 1.0) return zeros_like(x);
  Tensor keep = dropout_mask(x.shape(), p, gen, x.device());
  return where(keep, x * (1.0 / (1.0 - p)), 0.0);
}

}  // namespace ember
