// Tensor factories: uninitialised, constant, ranges, identity, random (Philox), and tensors
// over existing host data.
#pragma once
#include <cstring>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace ember {

Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor empty_like(const Tensor& t);
Tensor empty_strided(const Shape& shape, const Strides& strides, DType dtype,
                     Device device = Device::cpu());
Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
            Device device = Device::cpu());
Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A 0-d tensor holding `value`.
Tensor scalar_tensor(double value, DType dtype = DType::f32, Device device = Device::cpu());

// [start, end) in steps of `step`; the dtype defaults to i64 when all three are integers.
Tensor arange(double end, std::optional<DType> dtype = {}, Device device = Device::cpu());
Tensor arange(double start, double end, double step = 1.0, std::optional<DType> dtype = {},
              Device device = Device::cpu());
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::f32,
                Device device = Device::cpu());
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::f32, Device device = Device::cpu());

// Random tensors, drawn from `gen` (the default generator when null). See tensor/random.h for
// how element i maps to a Philox counter, so every backend draws the same numbers.
Tensor rand(const Shape& shape, DType dtype = DType::f32, Generator* gen = nullptr,
            Device device = Device::cpu());  // uniform [0, 1)
Tensor uniform(const Shape& shape, double low, double high, DType dtype = DType::f32,
               Generator* gen = nullptr, Device device = Device::cpu());
Tensor randn(const Shape& shape, DType dtype = DType::f32, Generator* gen = nullptr,
             Device device = Device::cpu());
Tensor normal(const Shape& shape, double mean, double std, DType dtype = DType::f32,
              Generator* gen = nullptr, Device device = Device::cpu());
// Integers uniform in [low, high).
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::i64,
               Generator* gen = nullptr, Device device = Device::cpu());

// Copies host values into a new CPU tensor of `shape` (default: 1-d).
template <typename T>
Tensor from_vector(const std::vector<T>& values, std::optional<Shape> shape = {}) {
  Shape s = shape ? *shape : Shape{static_cast<int64_t>(values.size())};
  EMBER_CHECK(s.numel() == static_cast<int64_t>(values.size()), ShapeError, "from_vector: ",
              values.size(), " values do not fill shape ", s);
  Tensor t = empty(s, dtype_v<T>);
  if (!values.empty()) std::memcpy(t.data_ptr(), values.data(), values.size() * sizeof(T));
  return t;
}
Tensor from_vector(const std::vector<bool>& values, std::optional<Shape> shape = {});

// A tensor over memory the caller owns (no copy). `deleter` runs when the last view goes.
Tensor from_blob(void* data, const Shape& shape, DType dtype, Storage::Deleter deleter = {},
                 Device device = Device::cpu());

}  // namespace ember
