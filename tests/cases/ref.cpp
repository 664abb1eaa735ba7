// Reference helpers (see ref.h).
#include "tests/cases/ref.h"

namespace ember::testing::ref {

Array of(const Tensor& t) { return {t.shape(), t.to_vector<double>()}; }

Array zeros(const Shape& shape) {
  return {shape, std::vector<double>(static_cast<size_t>(shape.numel()), 0.0)};
}

Tensor tensor(const Array& a, DType dtype) {
  return from_vector(a.v, a.shape).to(dtype);
}

Shape unravel(int64_t i, const Shape& shape) {
  Shape idx = Shape::filled(shape.size(), 0);
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

int64_t ravel(const Shape& index, const Shape& shape) {
  int64_t i = 0;
  for (int d = 0; d < shape.size(); ++d) i = i * shape[d] + index[d];
  return i;
}

int64_t broadcast_index(const Shape& index, const Shape& to, const Shape& from) {
  int off = to.size() - from.size();
  int64_t i = 0;
  for (int d = 0; d < from.size(); ++d) i = i * from[d] + (from[d] == 1 ? 0 : index[off + d]);
  return i;
}

Array map(const Array& a, const std::function<double(double)>& f) {
  Array out = a;
  for (double& x : out.v) x = f(x);
  return out;
}

Array map2(const Array& a, const Array& b, const std::function<double(double, double)>& f) {
  Shape s = broadcast_shapes(a.shape, b.shape, "ref::map2");
  Array out = ref::zeros(s);
  for (int64_t i = 0; i < out.numel(); ++i) {
    Shape idx = unravel(i, s);
    out[i] = f(a[broadcast_index(idx, s, a.shape)], b[broadcast_index(idx, s, b.shape)]);
  }
  return out;
}

Array map3(const Array& a, const Array& b, const Array& c,
           const std::function<double(double, double, double)>& f) {
  Shape s = broadcast_shapes(broadcast_shapes(a.shape, b.shape, "ref::map3"), c.shape, "ref::map3");
  Array out = ref::zeros(s);
  for (int64_t i = 0; i < out.numel(); ++i) {
    Shape idx = unravel(i, s);
    out[i] = f(a[broadcast_index(idx, s, a.shape)], b[broadcast_index(idx, s, b.shape)],
               c[broadcast_index(idx, s, c.shape)]);
  }
  return out;
}

}  // namespace ember::testing::ref
