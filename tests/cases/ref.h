// Plain float64 reference helpers for the op-case table: host arrays, naive broadcasting,
// index arithmetic. Nothing here calls an ember kernel except to read inputs and wrap results.
#pragma once
#include <functional>
#include <vector>

#include "tensor/ops.h"

namespace ember::testing::ref {

struct Array {
  Shape shape;
  std::vector<double> v;  // row-major

  int64_t numel() const { return static_cast<int64_t>(v.size()); }
  double& operator[](int64_t i) { return v[static_cast<size_t>(i)]; }
  double operator[](int64_t i) const { return v[static_cast<size_t>(i)]; }
};

Array of(const Tensor& t);  // values as doubles
Array zeros(const Shape& shape);
// The tensor of `a` in dtype (f64 by default; i64 and bool round-trip exactly).
Tensor tensor(const Array& a, DType dtype = DType::f64);

// Row-major coordinates of linear index i in shape, and back.
Shape unravel(int64_t i, const Shape& shape);
int64_t ravel(const Shape& index, const Shape& shape);
// Linear index in `from` (broadcast to `to`) of the element at coordinates `index` of `to`.
int64_t broadcast_index(const Shape& index, const Shape& to, const Shape& from);

Array map(const Array& a, const std::function<double(double)>& f);
Array map2(const Array& a, const Array& b, const std::function<double(double, double)>& f);
Array map3(const Array& a, const Array& b, const Array& c,
           const std::function<double(double, double, double)>& f);

}  // namespace ember::testing::ref
