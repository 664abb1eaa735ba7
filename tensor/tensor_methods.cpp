// Tensor's op methods: each forwards to the free function of the same name in tensor/ops.h.
#include "tensor/ops.h"

namespace ember {

#define EMBER_UNARY_METHOD(name) \
  Tensor Tensor::name() const { return ember::name(*this); }
EMBER_UNARY_METHOD(neg) EMBER_UNARY_METHOD(abs) EMBER_UNARY_METHOD(sign)
EMBER_UNARY_METHOD(exp) EMBER_UNARY_METHOD(exp2) EMBER_UNARY_METHOD(log)
EMBER_UNARY_METHOD(log2) EMBER_UNARY_METHOD(log1p) EMBER_UNARY_METHOD(expm1)
EMBER_UNARY_METHOD(sqrt) EMBER_UNARY_METHOD(rsqrt) EMBER_UNARY_METHOD(sin)
EMBER_UNARY_METHOD(cos) EMBER_UNARY_METHOD(tan) EMBER_UNARY_METHOD(tanh)
EMBER_UNARY_METHOD(sigmoid) EMBER_UNARY_METHOD(relu) EMBER_UNARY_METHOD(silu)
EMBER_UNARY_METHOD(floor) EMBER_UNARY_METHOD(ceil) EMBER_UNARY_METHOD(round)
EMBER_UNARY_METHOD(trunc) EMBER_UNARY_METHOD(reciprocal) EMBER_UNARY_METHOD(square)
EMBER_UNARY_METHOD(erf) EMBER_UNARY_METHOD(logical_not)
#undef EMBER_UNARY_METHOD

Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const {
  return ember::clamp(*this, min, max);
}
Tensor Tensor::add(const Tensor& o) const { return ember::add(*this, o); }
Tensor Tensor::sub(const Tensor& o) const { return ember::sub(*this, o); }
Tensor Tensor::mul(const Tensor& o) const { return ember::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return ember::div(*this, o); }
Tensor Tensor::pow(const Tensor& e) const { return ember::pow(*this, e); }
Tensor Tensor::pow(double e) const { return ember::pow(*this, e); }

Tensor Tensor::sum(const Shape& d, bool k) const { return ember::sum(*this, d, k); }
Tensor Tensor::mean(const Shape& d, bool k) const { return ember::mean(*this, d, k); }
Tensor Tensor::prod(const Shape& d, bool k) const { return ember::prod(*this, d, k); }
Tensor Tensor::var(const Shape& d, int64_t c, bool k) const { return ember::var(*this, d, c, k); }
Tensor Tensor::std(const Shape& d, int64_t c, bool k) const { return ember::std(*this, d, c, k); }
Tensor Tensor::amax(const Shape& d, bool k) const { return ember::amax(*this, d, k); }
Tensor Tensor::amin(const Shape& d, bool k) const { return ember::amin(*this, d, k); }
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
ValuesIndices Tensor::max(int64_t d, bool k) const { return ember::max(*this, d, k); }
ValuesIndices Tensor::min(int64_t d, bool k) const { return ember::min(*this, d, k); }
Tensor Tensor::argmax(std::optional<int64_t> d, bool k) const { return ember::argmax(*this, d, k); }
Tensor Tensor::argmin(std::optional<int64_t> d, bool k) const { return ember::argmin(*this, d, k); }
Tensor Tensor::logsumexp(const Shape& d, bool k) const { return ember::logsumexp(*this, d, k); }
Tensor Tensor::norm(double p, const Shape& d, bool k) const { return ember::norm(*this, p, d, k); }
Tensor Tensor::all(const Shape& d, bool k) const { return ember::all(*this, d, k); }
Tensor Tensor::any(const Shape& d, bool k) const { return ember::any(*this, d, k); }

Tensor Tensor::matmul(const Tensor& o) const { return ember::matmul(*this, o); }
Tensor Tensor::softmax(int64_t dim) const { return ember::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return ember::log_softmax(*this, dim); }

}  // namespace ember
