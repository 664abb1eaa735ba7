// Tensor factories. Random ones reserve Philox counters from a Generator and run the
// device's random kernels (kernels/cpu/random.cpp documents the counter layout).
#include "tensor/factory.h"

#include <cmath>

#include "kernels/registry.h"
#include "tensor/iterator.h"

namespace ember {

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) {
    EMBER_CHECK(d >= 0, ShapeError, "empty: negative size in shape ", shape);
  }
  size_t nbytes = static_cast<size_t>(shape.numel()) * element_size(dtype);
  auto storage = std::make_shared<Storage>(nbytes, device);
  return make_tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype(), t.device()); }

Tensor empty_strided(const Shape& shape, const Strides& strides, DType dtype, Device device) {
  EMBER_CHECK(shape.size() == strides.size(), ShapeError, "empty_strided: shape ", shape,
              " and strides ", strides, " differ in length");
  int64_t extent = 1;
  for (int d = 0; d < shape.size(); ++d) {
    EMBER_CHECK(shape[d] >= 0 && strides[d] >= 0, ShapeError,
                "empty_strided: negative size or stride in ", shape, " / ", strides);
    if (shape[d] == 0) extent = 0;
  }
  if (extent != 0)
    for (int d = 0; d < shape.size(); ++d) extent += (shape[d] - 1) * strides[d];
  auto storage = std::make_shared<Storage>(static_cast<size_t>(extent) * element_size(dtype), device);
  return make_tensor(std::move(storage), shape, strides, 0, dtype);
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }
Tensor full_like(const Tensor& t, double value) {
  return full(t.shape(), value, t.dtype(), t.device());
}
Tensor scalar_tensor(double value, DType dtype, Device device) {
  return full({}, value, dtype, device);
}

namespace {
bool is_whole(double v) { return std::isfinite(v) && std::trunc(v) == v; }

Tensor run_1d_fill(OpId op, int64_t n, DType dtype, Device device, double a, double b) {
  EMBER_CHECK(dtype != DType::b8, DTypeError, op_name(op),
              ": dtype bool is not supported; expected a floating or integer dtype");
  Tensor t = empty({n}, dtype, device);
  StridedLoop loop = make_loop(t, {});
  ScalarArgs args;
  args.a = a;
  args.b = b;
  kernel<ElementwiseKernel>(op, device.type)(loop, args);
  return t;
}
}  // namespace

Tensor arange(double end, std::optional<DType> dtype, Device device) {
  return arange(0.0, end, 1.0, dtype, device);
}

Tensor arange(double start, double end, double step, std::optional<DType> dtype, Device device) {
  EMBER_CHECK(step != 0.0, ValueError, "arange: step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), ValueError,
              "arange: start ", start, ", end ", end, " and step ", step, " must be finite");
  EMBER_CHECK((end - start) / step >= 0 || start == end, ValueError, "arange: step ", step,
              " has the wrong sign to go from ", start, " to ", end);
  DType dt = dtype.value_or(is_whole(start) && is_whole(end) && is_whole(step) ? DType::i64
                                                                               : DType::f32);
  auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  return run_1d_fill(OpId::arange, std::max<int64_t>(n, 0), dt, device, start, step);
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, ValueError, "linspace: steps must be non-negative, got ", steps);
  return run_1d_fill(OpId::linspace, steps, dtype, device, start, end);
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  if (m < 0) m = n;
  EMBER_CHECK(n >= 0, ValueError, "eye: n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype, device);
  int64_t k = std::min(n, m);
  if (k > 0) t.as_strided({k}, {m + 1}, 0).fill_(1.0);
  return t;
}

namespace {
// Reserves counters for `numel` elements and runs the random kernel `op` into a new tensor.
Tensor run_random(OpId op, const Shape& shape, DType dtype, Device device, Generator* gen,
                  double a, double b, const char* name) {
  EMBER_CHECK(op == OpId::randint || is_floating(dtype), DTypeError, name,
              ": dtype must be floating, got ", dtype_name(dtype));
  Tensor t = empty(shape, dtype, device);
  Generator& g = gen != nullptr ? *gen : default_generator();
  ScalarArgs args;
  args.a = a;
  args.b = b;
  args.seed = g.seed();
  // One Philox call yields four 32-bit words; reserve enough for two words per element.
  args.offset = g.advance((static_cast<uint64_t>(t.numel()) + 1) / 2);
  StridedLoop loop = make_loop(t, {});
  kernel<ElementwiseKernel>(op, device.type)(loop, args);
  return t;
}
}  // namespace

Tensor rand(const Shape& shape, DType dtype, Generator* gen, Device device) {
  return uniform(shape, 0.0, 1.0, dtype, gen, device);
}
Tensor uniform(const Shape& shape, double low, double high, DType dtype, Generator* gen,
               Device device) {
  EMBER_CHECK(low <= high, ValueError, "uniform: low ", low, " must not exceed high ", high);
  return run_random(OpId::uniform, shape, dtype, device, gen, low, high, "uniform");
}
Tensor randn(const Shape& shape, DType dtype, Generator* gen, Device device) {
  return normal(shape, 0.0, 1.0, dtype, gen, device);
}
Tensor normal(const Shape& shape, double mean, double std, DType dtype, Generator* gen,
              Device device) {
  EMBER_CHECK(std >= 0.0, ValueError, "normal: std must be non-negative, got ", std);
  return run_random(OpId::normal, shape, dtype, device, gen, mean, std, "normal");
}
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen,
               Device device) {
  EMBER_CHECK(low < high, ValueError, "randint: low ", low, " must be less than high ", high);
  EMBER_CHECK(is_integral(dtype) || is_floating(dtype), DTypeError,
              "randint: dtype must be integral or floating, got ", dtype_name(dtype));
  return run_random(OpId::randint, shape, dtype, device, gen, static_cast<double>(low),
                    static_cast<double>(high), "randint");
}

Tensor from_vector(const std::vector<bool>& values, std::optional<Shape> shape) {
  Shape s = shape ? *shape : Shape{static_cast<int64_t>(values.size())};
  EMBER_CHECK(s.numel() == static_cast<int64_t>(values.size()), ShapeError, "from_vector: ",
              values.size(), " values do not fill shape ", s);
  Tensor t = empty(s, DType::b8);
  bool* p = t.data<bool>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, Storage::Deleter deleter,
                 Device device) {
  size_t nbytes = static_cast<size_t>(shape.numel()) * element_size(dtype);
  auto storage = std::make_shared<Storage>(data, nbytes, device, std::move(deleter));
  return make_tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Generator& default_generator() {
  static Generator gen;
  return gen;
}
void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu();
  if (name == "cuda") return Device::cuda(0);
  if (name.rfind("cuda:", 0) == 0) {
    try {
      size_t used = 0;
      int i = std::stoi(name.substr(5), &used);
      if (used == name.size() - 5 && i >= 0) return Device::cuda(i);
    } catch (const std::exception&) {
    }
  }
  throw ValueError(str("device: unknown device '", name, "'; expected cpu, cuda or cuda:N"));
}

}  // namespace ember
